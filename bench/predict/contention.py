"""Objectives sharing a host's cores: which trials overlapped which, how busy the host was
besides, the speed processor sharing leaves each trial, and the extra slowdown measured when
the host was loaded above its cores."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .simulate import overloaded

#: A trial ran alone when siblings of its cell overlapped less than this share of it.
ALONE_SHARE = 0.05


def _overlap_matrix(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """frac[i, j]: share of trial i's objective during which trial j's objective also ran."""
    lo = np.maximum(start[:, None], start[None, :])
    hi = np.minimum(end[:, None], end[None, :])
    dur = np.where(end - start > 0, end - start, np.nan)
    frac = np.clip(hi - lo, 0, None) / dur[:, None]
    np.fill_diagonal(frac, 0.0)
    return np.nan_to_num(frac)


def contention(trials: pd.DataFrame, cores: int) -> pd.DataFrame:
    """Per spark trial: `overlap_share` (objectives of its cell running beside it, in trials),
    `background` (other busy cores the probe saw, minus what those trials used) and
    `fresh` (first trial of its pid in the cell: a new Python worker)."""
    trials = trials.sort_values(["cell_id", "start_ts"])
    share = np.zeros(len(trials))
    used = np.zeros(len(trials))
    cell = trials["cell_id"].to_numpy()
    start = trials["start_ts"].to_numpy(float)
    end = trials["end_ts"].to_numpy(float)
    eff = np.nan_to_num(trials["effective_cores"].to_numpy(float))
    bounds = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - a > 1:
            frac = _overlap_matrix(start[a:b], end[a:b])
            share[a:b] = frac.sum(axis=1)
            used[a:b] = frac @ eff[a:b]
    other = trials["other_busy_cores"].to_numpy(float)
    background = np.clip(np.where(np.isfinite(other), other - used, np.nan), 0, cores)
    by_book = trials.sort_values("book_ts", kind="stable")
    fresh = ~by_book.duplicated(["cell_id", "pid"]).reindex(trials.index)
    return pd.DataFrame({"overlap_share": share, "background": background,
                         "fresh": fresh.to_numpy(bool)}, index=trials.index)


def sharing_rate(overlap, background, demand: float, cores: int) -> np.ndarray:
    """Each trial's speed under processor sharing: min(1, cores / load), the load being the
    host's other busy cores, its own demand and its overlapping siblings' demand."""
    load = (np.asarray(background, float) + demand
            + demand * np.asarray(overlap, float))
    return np.minimum(1.0, cores / np.maximum(load, 1e-9))


def oversubscribed_slowdown(trials: pd.DataFrame, alone_s: np.ndarray, demand: float,
                            cores: int) -> float:
    """How much slower than processor sharing explains an objective ran while its host was
    loaded above its cores (>= 1; 1 when no trial of it ran so).

    Measured on the trials that had siblings beside them throughout (the mirror of running
    alone: overlapped for all but ALONE_SHARE of their time), on a host their load
    oversubscribed: such a trial took alone x sharing x slowdown, sharing being load /
    cores. Summed over them and solved for the one slowdown, with `alone` the mean time of
    the objective's trials that ran alone (their parameters differ; the mean keeps the total
    time right). Partly overlapped trials would need their split of work between the two
    rates, which the timestamps do not give."""
    alone_s = np.asarray(alone_s, float)
    alone_s = alone_s[np.isfinite(alone_s)]
    alone = float(np.mean(alone_s)) if len(alone_s) else float("nan")
    share = trials["overlap_share"].to_numpy(float)
    took = trials["objective_s"].to_numpy(float)
    load = trials["background"].fillna(0.0).to_numpy(float) + demand * (1.0 + share)
    over = (share >= 1.0 - ALONE_SHARE) & overloaded(load, cores) & np.isfinite(took)
    if not over.any() or not (alone > 0):
        return 1.0
    slowdown = took[over].sum() / (alone * load[over] / cores).sum()
    return float(max(1.0, slowdown))
