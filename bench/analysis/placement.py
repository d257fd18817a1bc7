"""Where trials ran: per executor (from the event log) or per host, how evenly, and in how
many distinct Python worker processes (a new pid per trial means no worker reuse)."""
from __future__ import annotations

import pandas as pd

from ..model import Manifest
from .frames import GROUP_COLS
from .stats import coefficient_of_variation, unevenness


def _placed(trials: pd.DataFrame, joined: pd.DataFrame) -> pd.DataFrame:
    """Trials with a `worker` column: the executor id when the event log was joined, else the
    host name the probe saw; serial trials are placed on 'driver'."""
    cols = ["cell_id", "tid", "hostname", "pid"] + GROUP_COLS + ["setting", "setting_order"]
    placed = trials[cols].copy()
    placed["host"] = placed["hostname"].fillna("unknown").astype(str)
    placed["worker"] = placed["host"]
    placed.loc[placed["mode"] == "serial", "worker"] = "driver"
    if len(joined) and "executor_id" in joined.columns:
        ex = joined["executor_id"].dropna().astype(str)
        placed.loc[ex.index, "worker"] = "executor " + ex
        hosts = joined["host"].dropna().astype(str)
        placed.loc[hosts.index, "host"] = hosts
    return placed


def placement_table(trials: pd.DataFrame, joined: pd.DataFrame) -> pd.DataFrame:
    """Per mode, cluster shape and worker: trials, share of that mode's trials on that shape,
    distinct pids, trials per pid. Executor ids restart with every application, so workers
    are only told apart within one cluster shape."""
    cols = ["mode", "cluster", "worker", "host", "trials", "share", "distinct_pids",
            "trials_per_pid"]
    placed = _placed(trials, joined).rename(columns={"cluster_label": "cluster"})
    if len(placed) == 0:
        return pd.DataFrame(columns=cols)
    out = placed.groupby(["mode", "cluster", "worker", "host"], sort=True).agg(
        trials=("tid", "size"), distinct_pids=("pid", "nunique")).reset_index()
    out["share"] = out["trials"] / out.groupby(["mode", "cluster"])["trials"].transform("sum")
    out["trials_per_pid"] = out["trials"] / out["distinct_pids"].where(out["distinct_pids"] > 0)
    return out[cols]


def _spark_cells(cells: pd.DataFrame) -> pd.DataFrame:
    if cells is None or not len(cells):
        return pd.DataFrame(columns=["cell_id", "start_ts", "end_ts", "cluster_label"])
    return cells[cells["mode"] == "spark"].drop_duplicates("cell_id")


def available_executors(manifest: Manifest, cells: pd.DataFrame,
                        executors: pd.DataFrame | None = None) -> dict:
    """Per spark cell: {"ids": executor ids or None, "count": executors that could run its
    trials, "cores": {id: cores}}. From the event log's executors alive while the cell ran
    (applications of one run never overlap in time), else from the cluster shape the cell ran
    on (executors registered when its session started), else from the run's own session
    (local mode: the driver is the one executor)."""
    out = {}
    have_log = executors is not None and len(executors) and "executor_id" in executors
    for c in _spark_cells(cells).to_dict("records"):
        if have_log and pd.notna(c.get("start_ts")) and pd.notna(c.get("end_ts")):
            added = executors["added_ts"].astype("float64")
            removed = executors["removed_ts"].astype("float64")
            alive = executors[~(added > c["end_ts"]) & ~(removed < c["start_ts"])]
            if len(alive):
                ids = alive["executor_id"].astype(str).tolist()
                cores = dict(zip(ids, pd.to_numeric(alive["cores"], errors="coerce")))
                out[c["cell_id"]] = {"ids": ids, "count": len(set(ids)), "cores": cores}
                continue
        count = manifest.executors(c.get("cluster_label") or None)
        if count:
            out[c["cell_id"]] = {"ids": None, "count": count, "cores": {}}
    return out


def _with_idle(per_worker: pd.Series, available: dict | None) -> list:
    """Trials per executor of one cell, with a zero for every available executor that ran
    none. Only executor placements (not host names) are completed: a host may hold several
    executors."""
    counts = per_worker.tolist()
    if not available or not all(str(w).startswith("executor ") for w in per_worker.index):
        return counts
    used = {str(w)[len("executor "):] for w in per_worker.index}
    if available["ids"] is not None:
        idle = len(set(available["ids"]) - used)
    else:
        idle = max(0, available["count"] - len(used))
    return counts + [0] * idle


def placement_unevenness(trials: pd.DataFrame, joined: pd.DataFrame,
                         available: dict | None = None) -> pd.DataFrame:
    """Per spark configuration: how unevenly trials spread over the executors that could run
    them (`available`, see available_executors; idle ones count as zero trials) within a
    cell: median over cells of max/mean trials per executor (1.0 = even) and of max - min
    (an as-even-as-possible spread has max - min <= 1), the executors available and used."""
    placed = _placed(trials, joined)
    placed = placed[placed["mode"] == "spark"]
    available = available or {}
    rows = []
    for key, grp in placed.groupby(GROUP_COLS, dropna=False, sort=False):
        per_cell = grp.groupby(["cell_id", "worker"], sort=False).size()
        counts = {cell: _with_idle(n.droplevel("cell_id"), available.get(cell))
                  for cell, n in per_cell.groupby(level="cell_id", sort=False)}
        rows.append({
            **dict(zip(GROUP_COLS, key)),
            "setting": grp["setting"].iloc[0], "setting_order": grp["setting_order"].iloc[0],
            "workers": int(max(len(c) for c in counts.values())),
            "workers_used": int(grp["worker"].nunique()),
            "unevenness_median": float(pd.Series([unevenness(c)
                                                  for c in counts.values()]).median()),
            "cv_median": float(pd.Series([coefficient_of_variation(c)
                                          for c in counts.values()]).median()),
            "spread_median": float(pd.Series([max(c) - min(c) for c in counts.values()]).median()),
            "trials_per_pid": len(grp) / max(grp["pid"].nunique(), 1),
        })
    if not rows:
        return pd.DataFrame(columns=GROUP_COLS + ["setting", "setting_order", "workers",
                                                  "workers_used", "unevenness_median",
                                                  "cv_median", "spread_median",
                                                  "trials_per_pid"])
    return pd.DataFrame(rows).sort_values(["workload", "setting_order"], ignore_index=True)
