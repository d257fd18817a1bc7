"""Small statistics used across the analysis: intervals, Karp–Flatt, unevenness.

Intervals are honest about how many repeats stand behind them: with fewer than
MIN_BOOTSTRAP_N values a bootstrap of the median is not a 95% interval (three values have
only ten distinct resamples), so the interval is the observed min–max range and says so.
From MIN_BOOTSTRAP_N on it is a percentile bootstrap, seeded so the same results folder
always gives the same report, paired by repeat where both sides ran in the same repeat
blocks. Every Estimate carries its n and the kind of interval it is.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# the kinds of interval an Estimate carries and how each reads (bench.formats)
from ..formats import (BOOTSTRAP, DEFAULT_LEVEL, NO_INTERVAL, PAIRED_BOOTSTRAP, RANGE,  # noqa: F401
                       interval_label)

DEFAULT_BOOT = 2000
DEFAULT_SEED = 20240611
#: Fewer values than this get their min–max range instead of a bootstrap interval.
MIN_BOOTSTRAP_N = 5


@dataclass(frozen=True)
class Estimate:
    """A point estimate with an interval of the named kind (equal to the point when n <= 1):
    'range' = the min–max of what was observed, 'bootstrap' / 'paired bootstrap' = a 95%
    percentile bootstrap interval. n = values behind it (the smaller side of a ratio)."""

    value: float
    low: float
    high: float
    n: int
    kind: str = NO_INTERVAL

    @property
    def label(self) -> str:
        """How a report names the interval: 'range', '95% CI', '95% CI, paired'."""
        return interval_label(self.kind, DEFAULT_LEVEL)


_NAN = Estimate(float("nan"), float("nan"), float("nan"), 0)


def _clean(values) -> np.ndarray:
    arr = np.asarray(values, dtype="float64").ravel()
    return arr[np.isfinite(arr)]


def _boot_medians(arr: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    idx = rng.integers(0, len(arr), size=(n_boot, len(arr)))
    return np.median(arr[idx], axis=1)


def _bounds(samples: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(samples, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_median(values, n_boot: int = DEFAULT_BOOT, level: float = DEFAULT_LEVEL,
                     seed: int = DEFAULT_SEED) -> Estimate:
    """Median with a percentile-bootstrap CI; NaNs are ignored, empty input gives NaN."""
    arr = _clean(values)
    if len(arr) == 0:
        return _NAN
    median = float(np.median(arr))
    if len(arr) == 1:
        return Estimate(median, median, median, 1)
    if len(arr) < MIN_BOOTSTRAP_N:
        return Estimate(median, float(arr.min()), float(arr.max()), len(arr), RANGE)
    low, high = _bounds(_boot_medians(arr, n_boot, np.random.default_rng(seed)), level)
    return Estimate(median, low, high, len(arr), BOOTSTRAP)


def _ratio_range(value: float, num: np.ndarray, den: np.ndarray) -> Estimate:
    """The ratio's range over what was observed: min(num)/max(den) to max(num)/min(den)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = num.min() / den.max(), num.max() / den.min()
    if not (np.isfinite(low) and np.isfinite(high)):
        return Estimate(value, float("nan"), float("nan"), min(len(num), len(den)), RANGE)
    return Estimate(value, float(low), float(high), min(len(num), len(den)), RANGE)


def bootstrap_median_ratio(numerator, denominator, n_boot: int = DEFAULT_BOOT,
                           level: float = DEFAULT_LEVEL, seed: int = DEFAULT_SEED) -> Estimate:
    """median(numerator) / median(denominator), both resampled independently for the CI.

    Used for speedup = serial wall / spark wall, resampling the repeats of each side.
    """
    num, den = _clean(numerator), _clean(denominator)
    if len(num) == 0 or len(den) == 0:
        return _NAN
    value = _safe_ratio(float(np.median(num)), float(np.median(den)))
    if len(num) == 1 and len(den) == 1:
        return Estimate(value, value, value, 1)
    if min(len(num), len(den)) < MIN_BOOTSTRAP_N:
        return _ratio_range(value, num, den)
    rng = np.random.default_rng(seed)
    num_b = _boot_medians(num, n_boot, rng) if len(num) > 1 else np.full(n_boot, num[0])
    den_b = _boot_medians(den, n_boot, rng) if len(den) > 1 else np.full(n_boot, den[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = num_b / den_b
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios) == 0:
        return Estimate(value, float("nan"), float("nan"), min(len(num), len(den)), BOOTSTRAP)
    low, high = _bounds(ratios, level)
    return Estimate(value, low, high, min(len(num), len(den)), BOOTSTRAP)


def bootstrap_paired_median_ratio(numerator, denominator, n_boot: int = DEFAULT_BOOT,
                                  level: float = DEFAULT_LEVEL,
                                  seed: int = DEFAULT_SEED) -> Estimate:
    """median(numerator) / median(denominator) for paired samples (same length, same order):
    each bootstrap draw resamples the pairs, keeping a pair's two values together.

    Used by compare when both runs have the same repeat blocks: repeat r of one run is
    paired with repeat r of the other, so drift shared by a repeat index cancels.
    """
    num = np.asarray(numerator, dtype="float64").ravel()
    den = np.asarray(denominator, dtype="float64").ravel()
    if len(num) != len(den):
        raise ValueError("paired samples must have the same length")
    keep = np.isfinite(num) & np.isfinite(den)
    num, den = num[keep], den[keep]
    if len(num) == 0:
        return _NAN
    value = _safe_ratio(float(np.median(num)), float(np.median(den)))
    if len(num) == 1:
        return Estimate(value, value, value, 1)
    if len(num) < MIN_BOOTSTRAP_N:
        return _ratio_range(value, num, den)
    idx = np.random.default_rng(seed).integers(0, len(num), size=(n_boot, len(num)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.median(num[idx], axis=1) / np.median(den[idx], axis=1)
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios) == 0:
        return Estimate(value, float("nan"), float("nan"), len(num), PAIRED_BOOTSTRAP)
    low, high = _bounds(ratios, level)
    return Estimate(value, low, high, len(num), PAIRED_BOOTSTRAP)


def paired_by_repeat(numerator, denominator, num_repeats, den_repeats,
                     **kwargs) -> Estimate:
    """median(numerator) / median(denominator), resampled in pairs when both sides ran in
    the same repeat blocks (the same repeat indices, once each): repeat r of one side
    shares its block's machine state with repeat r of the other. Otherwise independently."""
    num_r, den_r = list(num_repeats), list(den_repeats)
    if sorted(num_r) == sorted(den_r) and len(set(num_r)) == len(num_r) and len(num_r) > 1:
        num = dict(zip(num_r, np.asarray(numerator, dtype="float64")))
        den = dict(zip(den_r, np.asarray(denominator, dtype="float64")))
        reps = sorted(num_r)
        return bootstrap_paired_median_ratio([num[r] for r in reps], [den[r] for r in reps],
                                             **kwargs)
    return bootstrap_median_ratio(numerator, denominator, **kwargs)


def _safe_ratio(a: float, b: float) -> float:
    return a / b if b != 0 else float("nan")


def karp_flatt(speedup: float, processors: float) -> float:
    """Experimentally determined serial fraction e = (1/S - 1/p) / (1 - 1/p), p > 1.

    e near 0: the parallel part scales; e growing with p: overhead grows with parallelism.
    NaN for p <= 1 or a speedup that is not a positive number.
    """
    if processors is None or speedup is None:
        return float("nan")
    p, s = float(processors), float(speedup)
    if not (p > 1) or not (s > 0) or not np.isfinite(s):
        return float("nan")
    return (1.0 / s - 1.0 / p) / (1.0 - 1.0 / p)


def unevenness(counts) -> float:
    """max / mean of per-worker counts: 1.0 is perfectly even, 2.0 means one worker did twice
    its fair share. NaN when there is nothing to compare."""
    arr = _clean(counts)
    if len(arr) == 0 or arr.mean() == 0:
        return float("nan")
    return float(arr.max() / arr.mean())


def coefficient_of_variation(counts) -> float:
    """Standard deviation / mean (population), 0 when all equal."""
    arr = _clean(counts)
    if len(arr) == 0 or arr.mean() == 0:
        return float("nan")
    return float(arr.std() / arr.mean())


def median(values) -> float:
    """Median as a float of the numeric values; NaN when there is none."""
    series = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64")
    return float(series.median()) if series.notna().any() else float("nan")
