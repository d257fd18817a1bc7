"""Measurements the diagnosis rules need beyond the analysis tables (pure functions).

The key one separates a spark trial's waiting into 'no slot was free' (a consequence of
parallelism, not a cost) and 'a slot was free but the trial was not yet dispatched' (the
SparkTrials dispatcher's 1-second loop: a fixed cost paid by every trial).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .concurrency import concurrency_stats, concurrency_steps


def slot_ready_times(suggest, book, refresh, parallelism: int) -> np.ndarray:
    """For each trial of one cell: the earliest moment at or after its suggestion when fewer
    than `parallelism` earlier-dispatched trials were still unfinished (a slot was free)."""
    suggest, book, refresh = (np.asarray(a, dtype=float) for a in (suggest, book, refresh))
    ready = np.full(len(book), np.nan)
    order = np.argsort(book, kind="stable")
    for pos, i in enumerate(order):
        if not (np.isfinite(suggest[i]) and np.isfinite(book[i])):
            continue
        earlier = order[:pos]
        ends = refresh[earlier]
        ends = ends[np.isfinite(ends)]
        candidates = np.sort(np.concatenate([[suggest[i]], ends[ends > suggest[i]]]))
        for t in candidates:
            # trials dispatched before this one had the first claim on slots: they hold one
            # until their result is recorded
            running = np.sum(~(refresh[earlier] <= t))
            if running < parallelism:
                ready[i] = t
                break
        else:
            ready[i] = book[i]
    return ready


def fixed_costs(trials: pd.DataFrame) -> pd.DataFrame:
    """Per spark trial: dispatch_delay_s (slot free -> dispatched), startup_s (dispatched ->
    objective start, incl. worker start and imports), return_s, and their sum fixed_s.

    Serial trials get dispatch_delay_s = wait_dispatch_s (the driver runs them at once).
    """
    parts = []
    for _, grp in trials.groupby("cell_id", sort=False):
        grp = grp.copy()
        if (grp["mode"] == "spark").all() and grp["parallelism"].notna().all():
            p = int(grp["parallelism"].iloc[0])
            ready = slot_ready_times(grp["suggest_ts"], grp["book_ts"], grp["refresh_ts"], p)
            grp["dispatch_delay_s"] = np.clip(grp["book_ts"].to_numpy(float) - ready, 0, None)
        else:
            grp["dispatch_delay_s"] = grp["wait_dispatch_s"].clip(lower=0)
        grp["startup_s"] = grp["dispatch_to_start_s"]
        grp["fixed_s"] = grp["dispatch_delay_s"] + grp["startup_s"] + grp["return_s"]
        parts.append(grp)
    if not parts:
        return trials.assign(dispatch_delay_s=np.nan, startup_s=np.nan, fixed_s=np.nan)
    return pd.concat(parts, ignore_index=True)


def break_even_objective_s(fixed_s: float, parallelism: int) -> float:
    """Shortest objective for which SparkTrials at this parallelism beats serial Trials.

    With fixed per-trial cost F and p trials at once, a trial of length t costs (t + F) / p
    of wall time against t serially, so SparkTrials wins when t > F / (p - 1). At p = 1 it
    never wins (infinite).
    """
    if parallelism <= 1:
        return float("inf")
    return fixed_s / (parallelism - 1)


def median(values) -> float:
    s = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    return float(s.median()) if len(s) else float("nan")


def slot_occupancy(trials: pd.DataFrame) -> pd.DataFrame:
    """Per spark cell: the time-weighted mean number of trials holding a slot (from dispatch,
    book_ts, to result recorded, refresh_ts) between the first dispatch and the last result."""
    rows = []
    for cell_id, grp in trials.groupby("cell_id", sort=False):
        stats = concurrency_stats(concurrency_steps(grp["book_ts"], grp["refresh_ts"]))
        first = grp.iloc[0]
        rows.append({"cell_id": cell_id, "workload": first["workload"],
                     "parallelism": first["parallelism"], "max_queue_len": first["max_queue_len"],
                     "occupancy": stats["mean"], "max_held": stats["max"]})
    return pd.DataFrame(rows, columns=["cell_id", "workload", "parallelism", "max_queue_len",
                                       "occupancy", "max_held"])
