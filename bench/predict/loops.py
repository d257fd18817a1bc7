"""hyperopt's two loops (fmin's and SparkTrials' dispatcher's): their nominal sleep, and the
measured period per turn from the gaps between events of one loop."""
from __future__ import annotations

import numpy as np

from ..variant_table import FAST_POLL_S, VARIANTS
from ..versions import fmin_poll_s as _hyperopt_poll_s  # read from its source, checked there
from .grouping import STOCK


def nominal_poll_s(variant: str = STOCK) -> float:
    """The loops' nominal sleep for a SparkTrials variant: hyperopt's own, or the harness'
    shortened one for variants that shorten it (bench.variants). Used only to count loop
    turns between two timestamps; the period itself is measured."""
    spec = VARIANTS.get(variant)
    return FAST_POLL_S if spec is not None and spec.fastpoll else _hyperopt_poll_s()


def loop_period(gaps: np.ndarray, nominal: float) -> float:
    """Mean seconds per loop turn: each gap between two events of one loop divided into whole
    turns (events of the same turn, < 2% of a turn apart, are skipped)."""
    gaps = np.asarray(gaps, dtype=float)
    gaps = gaps[np.isfinite(gaps) & (gaps > 0.02 * nominal)]
    if not len(gaps):
        return float("nan")
    turns = np.maximum(1, np.round(gaps / nominal))
    return float(gaps.sum() / turns.sum())
