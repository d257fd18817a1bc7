"""Executor clocks against the driver's: a per-host offset, so a trial's split is on one clock.

A spark trial's dispatch-to-start and return subtract driver stamps (hyperopt's book and
refresh times, Spark's task launch and finish) from the probe's `time.time()` on the
executor's host. On a cluster, that host's clock may be seconds away from the driver's, and
the offset lands in start-up, return and so in the fixed-overhead finding.

Each trial bounds the offset θ (executor clock − driver clock): its objective ran inside its
task's life, so launch ≤ start − θ and end − θ ≤ finish (driver stamps from the event log;
without them, hyperopt's book and refresh, which enclose the task). Over a host's trials:
θ ∈ [max(end − finish), min(start − launch)], widened by the stamps' 1 ms truncation.

- 0 in that interval: the stamps show no skew (always so when driver and executor share a
  host), and the clocks are left alone.
- Otherwise the host is skewed and θ is taken at the interval's low end, the bound set by
  the trial whose result came back fastest: the return path (objective end → task finish)
  carries one status message, while the dispatch path carries Python worker start and
  imports (~1 s), so the low end is the tight one. The offset is then too low by that
  fastest return (a few ms with the event log; the shortest return_s without it), and the
  interval's width bounds the error whatever the return times were.
- A trial whose own bounds exclude its host's offset (the clock stepped or drifted during the
  run) is flagged clock_uncertain: its split is off by more than the stamps' resolution.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import STAMP_RESOLUTION_S

CLOCK_COLS = ["host", "trials", "offset_s", "feasible_low_s", "feasible_high_s",
              "uncertainty_s", "skewed", "source", "trials_uncertain"]


def _task_window(trials: pd.DataFrame, tasks: pd.DataFrame | None) -> tuple:
    """Per trial: the driver-clock window its objective must lie in (the Spark task's
    launch..finish where the event log named the trial, else book..refresh) and whether the
    task was found."""
    lo, hi = trials["book_ts"].astype("float64"), trials["refresh_ts"].astype("float64")
    if tasks is None or not len(tasks) or not {"cell_id", "tid", "launch_ts",
                                                "finish_ts"} <= set(tasks.columns):
        return lo, hi, pd.Series(False, index=trials.index)
    named = tasks.dropna(subset=["cell_id", "tid", "launch_ts", "finish_ts"])
    named = named.assign(tid=named["tid"].astype("float64")).sort_values("finish_ts")
    named = named.drop_duplicates(["cell_id", "tid"], keep="last").set_index(["cell_id", "tid"])
    keys = pd.MultiIndex.from_arrays([trials["cell_id"], trials["tid"].astype("float64")])
    launch = pd.Series(named["launch_ts"].reindex(keys).to_numpy(float), index=trials.index)
    finish = pd.Series(named["finish_ts"].reindex(keys).to_numpy(float), index=trials.index)
    joined = launch.notna() & finish.notna()
    return launch.where(joined, lo), finish.where(joined, hi), joined


def _bounds(trials: pd.DataFrame, tasks) -> pd.DataFrame:
    """Per spark trial with probe and driver clocks: host, and the offsets it allows (from
    the probe's own stamps: host_start_ts/host_end_ts once corrected)."""
    start = trials["host_start_ts"] if "host_start_ts" in trials else trials["start_ts"]
    end = trials["host_end_ts"] if "host_end_ts" in trials else trials["end_ts"]
    spark = trials[(trials["mode"] == "spark") & start.notna() & end.notna()
                   & trials["book_ts"].notna()]
    if not len(spark):
        return pd.DataFrame(columns=["host", "low", "high", "joined"])
    start, end = start[spark.index], end[spark.index]
    win_lo, win_hi, joined = _task_window(spark, tasks)
    res = STAMP_RESOLUTION_S
    high = start - win_lo + res
    low = (end - win_hi - res).where(win_hi.notna(), -np.inf)
    return pd.DataFrame({"host": spark["hostname"].fillna("unknown").astype(str),
                         "low": low, "high": high, "joined": joined})


def _offset(low: float, high: float) -> float:
    """0 when the stamps allow it, else the low (return-path) end; see the module doc."""
    if low <= 0.0 <= high:
        return 0.0
    return low if np.isfinite(low) else high


def clock_offsets(trials: pd.DataFrame, tasks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per executor host: the clock offset applied to its trials (executor − driver, s), the
    interval of offsets its trials allow, its width (the bound on the offset's error),
    whether skew was proven, where the bounds came from and how many trials' own bounds
    exclude the offset."""
    b = _bounds(trials, tasks)
    rows = []
    for host, grp in b.groupby("host", sort=True):
        low, high = float(grp["low"].max()), float(grp["high"].min())
        offset = _offset(low, high)
        uncertain = int(((grp["low"] > offset) | (grp["high"] < offset)).sum())
        rows.append({"host": host, "trials": len(grp), "offset_s": offset,
                     "feasible_low_s": low, "feasible_high_s": high,
                     "uncertainty_s": high - low if high >= low else float("nan"),
                     "skewed": offset != 0.0,
                     "source": "spark task" if grp["joined"].all() else "hyperopt stamps",
                     "trials_uncertain": uncertain})
    return pd.DataFrame(rows, columns=CLOCK_COLS)


def _gap(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """collect._diff on columns: a negative gap within the stamp resolution is truncation."""
    gap = later - earlier
    return gap.mask((gap < 0) & (gap >= -STAMP_RESOLUTION_S), 0.0)


#: (column, later stamp, earlier stamp) of a trial's latency split (bench.model's
#: DERIVED_TRIAL_COLUMNS): derived on read, never trusted from a record when its stamps exist.
SPLIT = (("wait_dispatch_s", "book_ts", "suggest_ts"), ("dispatch_to_start_s", "start_ts", "book_ts"),
         ("return_s", "refresh_ts", "end_ts"))


def _split(trials: pd.DataFrame, rows=None) -> None:
    """Set the split columns from the stamps (of `rows`, default all); a value stored by an
    older writer is kept only where a stamp it needs is missing."""
    rows = trials.index if rows is None else rows
    for col, later, earlier in SPLIT:
        stamps = trials.loc[rows].reindex(columns=[later, earlier]).astype("float64")
        derived = _gap(stamps[later], stamps[earlier])
        stored = trials.loc[rows, col] if col in trials else pd.Series(np.nan, index=rows)
        if col not in trials:
            trials[col] = np.nan
        trials.loc[rows, col] = derived.where(stamps.notna().all(axis=1),
                                              pd.to_numeric(stored, errors="coerce"))
        trials[col] = trials[col].astype("float64")


def correct_clocks(trials: pd.DataFrame, tasks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Trials with the probe's start_ts/end_ts moved onto the driver's clock by their host's
    offset (raw values kept in host_start_ts/host_end_ts), the split (wait_dispatch_s,
    dispatch_to_start_s, return_s) derived from the stamps, and clock_offset_s /
    clock_uncertain per trial. Hosts without skew keep their stamps unchanged."""
    trials = trials.copy()
    if "host_start_ts" not in trials:
        trials["host_start_ts"] = trials["start_ts"]
        trials["host_end_ts"] = trials["end_ts"]
    trials["clock_offset_s"] = 0.0
    trials["clock_uncertain"] = False
    _split(trials)
    if not len(trials):
        return trials
    b = _bounds(trials, tasks)
    if not len(b):
        return trials
    table = clock_offsets(trials, tasks).set_index("host")
    offset = b["host"].map(table["offset_s"]).astype("float64")
    trials.loc[b.index, "clock_offset_s"] = offset
    trials.loc[b.index, "clock_uncertain"] = (b["low"] > offset) | (b["high"] < offset)
    skewed = b.index[offset.to_numpy() != 0.0]
    if len(skewed):
        shift = trials.loc[skewed, "clock_offset_s"]
        trials.loc[skewed, "start_ts"] = trials.loc[skewed, "host_start_ts"] - shift
        trials.loc[skewed, "end_ts"] = trials.loc[skewed, "host_end_ts"] - shift
        _split(trials, skewed)
    return trials
