"""Small statistics used across the analysis: seeded bootstrap CIs, Karp–Flatt, unevenness.

Bootstraps are seeded so the same results folder always gives the same report.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_BOOT = 2000
DEFAULT_SEED = 20240611
DEFAULT_LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval (equal to the point when n == 1)."""

    value: float
    low: float
    high: float
    n: int


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
    low, high = _bounds(_boot_medians(arr, n_boot, np.random.default_rng(seed)), level)
    return Estimate(median, low, high, len(arr))


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
    rng = np.random.default_rng(seed)
    num_b = _boot_medians(num, n_boot, rng) if len(num) > 1 else np.full(n_boot, num[0])
    den_b = _boot_medians(den, n_boot, rng) if len(den) > 1 else np.full(n_boot, den[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = num_b / den_b
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios) == 0:
        return Estimate(value, float("nan"), float("nan"), min(len(num), len(den)))
    low, high = _bounds(ratios, level)
    return Estimate(value, low, high, min(len(num), len(den)))


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
    idx = np.random.default_rng(seed).integers(0, len(num), size=(n_boot, len(num)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.median(num[idx], axis=1) / np.median(den[idx], axis=1)
    ratios = ratios[np.isfinite(ratios)]
    if len(ratios) == 0:
        return Estimate(value, float("nan"), float("nan"), len(num))
    low, high = _bounds(ratios, level)
    return Estimate(value, low, high, len(num))


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
