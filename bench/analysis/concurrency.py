"""How many objectives really ran at once, from the probe's start_ts/end_ts.

Requested parallelism is an upper bound; the 1-second loops in fmin and in the SparkTrials
dispatcher, and worker start-up, keep the achieved concurrency below it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .frames import GROUP_COLS


@dataclass(frozen=True)
class Steps:
    """Concurrency as a step function: `levels[i]` holds from `times[i]` to `times[i+1]`."""

    times: np.ndarray
    levels: np.ndarray


def concurrency_steps(starts, ends) -> Steps:
    """Running-objective count after each start/end event; an end at the same instant as a
    start is applied first, so back-to-back trials do not count as overlapping."""
    s = np.asarray(starts, dtype="float64")
    e = np.asarray(ends, dtype="float64")
    keep = np.isfinite(s) & np.isfinite(e)
    s, e = s[keep], e[keep]
    times = np.concatenate([s, e])
    deltas = np.concatenate([np.ones(len(s)), -np.ones(len(e))])
    order = np.lexsort((deltas, times))
    return Steps(times[order], np.cumsum(deltas[order]))


def concurrency_stats(steps: Steps, window_start=None, window_end=None) -> dict:
    """Time-weighted mean and max concurrency over a window (default: first start to last end).

    The mean divides the objective-seconds inside the window by the window's length.
    """
    if len(steps.times) == 0:
        return {"mean": float("nan"), "max": 0, "window_s": float("nan")}
    w0 = steps.times[0] if window_start is None or not np.isfinite(window_start) else window_start
    w1 = steps.times[-1] if window_end is None or not np.isfinite(window_end) else window_end
    span = float(w1 - w0)
    if span <= 0:
        return {"mean": float("nan"), "max": int(steps.levels.max()), "window_s": span}
    t = np.clip(steps.times, w0, w1)
    busy = float(np.sum(steps.levels[:-1] * np.diff(t)))
    return {"mean": busy / span, "max": int(steps.levels.max()), "window_s": span}


def cell_concurrency(trials: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """Per cell: time-weighted mean concurrency over the fmin call (cell start to end) and
    over the busy span (first objective start to last end), max concurrency, and the
    requested parallelism (1 for serial).

    Vectorised over all cells at once: every cell's +1/-1 events sum to zero, so one running
    sum over events sorted by (cell, time) gives each cell's own step function.
    """
    timed = trials[np.isfinite(trials["start_ts"].to_numpy(float))
                   & np.isfinite(trials["end_ts"].to_numpy(float))]
    if len(timed) == 0:
        return pd.DataFrame(columns=_CELL_COLS)
    codes, cell_ids = pd.factorize(timed["cell_id"], sort=False)
    n_cells = len(cell_ids)
    times = np.concatenate([timed["start_ts"].to_numpy(float), timed["end_ts"].to_numpy(float)])
    deltas = np.concatenate([np.ones(len(timed)), -np.ones(len(timed))])
    owner = np.concatenate([codes, codes])
    order = np.lexsort((deltas, times, owner))
    times, deltas, owner = times[order], deltas[order], owner[order]
    levels = np.cumsum(deltas)
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    peak = np.maximum.reduceat(levels, first)
    busy_start = times[first]
    busy_end = np.r_[times[first[1:] - 1], times[-1]]

    windows = cells.drop_duplicates("cell_id").set_index("cell_id")
    w0 = windows["start_ts"].reindex(cell_ids).to_numpy(float)
    w1 = windows["end_ts"].reindex(cell_ids).to_numpy(float)
    w0 = np.where(np.isfinite(w0), w0, busy_start)
    w1 = np.where(np.isfinite(w1), w1, busy_end)

    def mean_over(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        clipped = np.clip(times, lo[owner], hi[owner])
        same = owner[1:] == owner[:-1]
        area = levels[:-1][same] * np.diff(clipped)[same]
        busy = np.bincount(owner[:-1][same], weights=area, minlength=n_cells)
        span = hi - lo
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(span > 0, busy / span, np.nan)

    meta = timed.drop_duplicates("cell_id").set_index("cell_id").reindex(
        pd.Index(cell_ids, name="cell_id"))
    out = meta[GROUP_COLS + ["setting", "setting_order"]].reset_index()
    par = meta["parallelism"]
    out["requested"] = np.where(par.isna(), 1, par.fillna(1).astype("int64"))
    out["mean_concurrency"] = mean_over(w0, w1)
    out["busy_concurrency"] = mean_over(busy_start, busy_end)
    out["max_concurrency"] = peak.astype("int64")
    out["window_s"] = w1 - w0
    return out[_CELL_COLS]


_CELL_COLS = ["cell_id"] + GROUP_COLS + ["setting", "setting_order", "requested",
                                         "mean_concurrency", "busy_concurrency",
                                         "max_concurrency", "window_s"]


def group_concurrency(per_cell: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: median over repeats of the mean concurrency, and the max seen."""
    if len(per_cell) == 0:
        return pd.DataFrame(columns=GROUP_COLS + ["setting", "setting_order", "requested",
                                                  "mean_concurrency", "max_concurrency",
                                                  "cells"])
    out = per_cell.groupby(GROUP_COLS, dropna=False, sort=False).agg(
        setting=("setting", "first"), setting_order=("setting_order", "first"),
        requested=("requested", "first"), mean_concurrency=("mean_concurrency", "median"),
        busy_concurrency=("busy_concurrency", "median"),
        max_concurrency=("max_concurrency", "max"), cells=("cell_id", "size")).reset_index()
    return out.sort_values(["workload", "setting_order"], ignore_index=True)
