"""Where trials ran: per executor (from the event log) or per host, how evenly, and in how
many distinct Python worker processes (a new pid per trial means no worker reuse)."""
from __future__ import annotations

import pandas as pd

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


def placement_unevenness(trials: pd.DataFrame, joined: pd.DataFrame) -> pd.DataFrame:
    """Per spark configuration: how unevenly trials spread over workers within a cell
    (median over cells of max/mean trials per worker; 1.0 = even), and the worker count."""
    placed = _placed(trials, joined)
    placed = placed[placed["mode"] == "spark"]
    rows = []
    for key, grp in placed.groupby(GROUP_COLS, dropna=False, sort=False):
        per_cell = grp.groupby(["cell_id", "worker"], sort=False).size()
        by_cell = per_cell.groupby(level="cell_id", sort=False)
        rows.append({
            **dict(zip(GROUP_COLS, key)),
            "setting": grp["setting"].iloc[0], "setting_order": grp["setting_order"].iloc[0],
            "workers": int(grp["worker"].nunique()),
            "unevenness_median": float(by_cell.apply(unevenness).median()),
            "cv_median": float(by_cell.apply(coefficient_of_variation).median()),
            "trials_per_pid": len(grp) / max(grp["pid"].nunique(), 1),
        })
    if not rows:
        return pd.DataFrame(columns=GROUP_COLS + ["setting", "setting_order", "workers",
                                                  "unevenness_median", "cv_median",
                                                  "trials_per_pid"])
    return pd.DataFrame(rows).sort_values(["workload", "setting_order"], ignore_index=True)
