"""Spin-wait collapse: when trials' threads outnumber the cores of the executor they share.

The physics: an OpenMP runtime with the default (active) wait policy keeps a thread that
waits at a barrier spinning on its core for a while before it sleeps. While an executor's
cores hold every thread of every trial at once (threads per trial x trials at once <=
cores), the spinning costs nothing: each thread has its core. When the threads outnumber the
cores, a spinning thread holds a core that a sibling trial's working thread needs, the
barriers wait for threads that are not scheduled, and the objective runs slower than
processor sharing explains — by a factor that varies from one fmin call to the next with
how the threads happen to be scheduled. A spinning class (an objective: workload, threads
per trial, thread environment) therefore collapses only where its demand exceeds the
executor's cores; a 4-core executor running 2 + 2 threads does not collapse at all.

The factor and its spread are measured per class, from its trials that ran beside siblings
throughout on an executor their threads oversubscribed: one factor per fmin call (cell),
because the collapse is a property of a call's scheduling, not of one trial.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: A trial ran beside siblings throughout when they overlapped all but this share of it
#: (the mirror of bench.predict.contention.ALONE_SHARE).
BESIDE_SHARE = 0.95


def threads_per_trial(n_jobs: str, demand_cores: float) -> float:
    """Threads one trial of the class runs: its n_jobs when that is a positive number, else
    (None, -1, 0: the library's default) the cores it was measured keeping busy alone,
    rounded to whole threads (at least one)."""
    try:
        n = int(float(n_jobs))
    except (TypeError, ValueError):
        n = 0
    if n > 0:
        return float(n)
    return float(max(1, round(demand_cores)))


def collapses(threads: float, trials_at_once: int, cores: float) -> bool:
    """Spinning threads collapse the objective: two or more trials share the executor and
    their threads outnumber its cores (background load is processor sharing, not this)."""
    return trials_at_once > 1 and threads * trials_at_once > cores + 1e-9


def cell_factors(trials: pd.DataFrame, alone_s: float, threads: float, demand: float,
                 cores: int) -> np.ndarray:
    """One spin-wait factor per cell (fmin call) that had trials beside siblings throughout
    on cores their threads oversubscribed: their time over what the objective's mean time
    alone (`alone_s`) and processor sharing explain (load / cores, the load being background,
    own demand and the siblings' demand), summed over the cell's such trials. Factors below
    1 (ran faster than sharing explains) count as 1: no speed-up is modelled. Empty when no
    cell had such trials or `alone_s` is unknown."""
    if not (alone_s > 0) or trials.empty:
        return np.zeros(0)
    share = trials["overlap_share"].to_numpy(float)
    took = trials["objective_s"].to_numpy(float)
    at_once = 1 + np.rint(share).astype(int)
    load = trials["background"].fillna(0.0).to_numpy(float) + demand * (1.0 + share)
    beside = (share >= BESIDE_SHARE) & np.isfinite(took) & np.array(
        [collapses(threads, k, cores) for k in at_once], dtype=bool)
    if not beside.any():
        return np.zeros(0)
    explained = alone_s * np.maximum(load, cores) / cores
    frame = pd.DataFrame({"cell": trials["cell_id"].to_numpy()[beside],
                          "took": took[beside], "explained": explained[beside]})
    sums = frame.groupby("cell", sort=True)[["took", "explained"]].sum()
    return np.maximum(1.0, (sums["took"] / sums["explained"]).to_numpy(float))


def spread(factors: np.ndarray) -> dict:
    """The measured factors as the calibration summary shows them (median, range, calls)."""
    if not len(factors):
        return {"calls": 0, "median": 1.0, "low": 1.0, "high": 1.0}
    return {"calls": int(len(factors)), "median": round(float(np.median(factors)), 3),
            "low": round(float(np.min(factors)), 3), "high": round(float(np.max(factors)), 3)}
