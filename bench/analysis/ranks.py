"""Rank tests of "did it get slower", exact and distribution-free, and the interval of the
ratio each one implies.

Two independent samples (two runs of a scenario, repeat walls on each side): the
Mann–Whitney (Wilcoxon rank-sum) test. If nothing changed, both samples come from one
distribution -- whatever its shape: uniform, skewed, ticks of a 1 s loop -- and every way of
splitting the pooled values into the two sides is equally likely. So the chance that at
least u of the n*m cross pairs have the new value above the base one is known exactly, and a
test at level alpha calls an unchanged configuration slower at most alpha of the time, for
any noise. The same order statistics give the interval of the ratio new/base (Moses'
interval for the Hodges–Lehmann shift, on log times): its lower end is above 1 exactly when
the test says slower at level alpha, its upper end below 1 exactly when it says faster.

Paired samples (both sides measured in the same blocks, e.g. an A/B run that interleaves
them): Wilcoxon's signed-rank test of the per-block log ratios, with its interval from the
Walsh averages. Two separate runs never share blocks, so they are never paired.

The point estimate is the one the test implies (Hodges–Lehmann): the median of the ratios
of every new/base pair (of the per-block ratios' Walsh averages, paired). Unlike the ratio of
the two medians it does not jump when walls fall on a few values (fmin walls that end on
hyperopt's 1 s loop ticks), so a threshold on it holds at any number of repeats.

Ties count against a change (a tied pair is not 'above'), so ties only make the test more
cautious. Pure functions of numbers.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..formats import PAIRED_RANK, RANGE, RANK, RANK_LEVEL
from .stats import Estimate

#: Probability in each tail of compare's rank intervals (RANK_LEVEL is two-sided).
TAIL = (1.0 - RANK_LEVEL) / 2.0

#: Beyond this many cross pairs the exact null distribution is replaced by the normal
#: approximation (with continuity correction): exact tables of 2,500 pairs are instant,
#: larger ones are never needed by a benchmark's repeats.
_EXACT_PAIRS = 2500


@lru_cache(maxsize=None)
def _rank_sum_null(n: int, m: int) -> tuple:
    """P(U = u) for u = 0..n*m, U = #{x_i > y_j}, n x's and m y's from one distribution.
    The largest pooled value is an x with probability n/(n+m) and then exceeds all m y's."""
    if n == 0 or m == 0:
        return (1.0,)
    with_x = _rank_sum_null(n - 1, m)
    with_y = _rank_sum_null(n, m - 1)
    out = np.zeros(n * m + 1)
    out[m:m + len(with_x)] += np.asarray(with_x) * (n / (n + m))
    out[:len(with_y)] += np.asarray(with_y) * (m / (n + m))
    return tuple(out)


def _normal_critical(mean: float, var: float, top: int, alpha: float) -> int | None:
    from statistics import NormalDist

    crit = int(np.ceil(mean + NormalDist().inv_cdf(1.0 - alpha) * np.sqrt(var) + 0.5))
    return crit if crit <= top else None


@lru_cache(maxsize=None)
def rank_sum_critical(n: int, m: int, alpha: float = TAIL) -> int | None:
    """The smallest u with P(U >= u) <= alpha when nothing changed; None when even the most
    extreme split (every new value above every base value) is more likely than alpha, i.e.
    too few values for the test to ever say 'changed'."""
    if n < 1 or m < 1:
        return None
    if n * m > _EXACT_PAIRS:
        return _normal_critical(n * m / 2.0, n * m * (n + m + 1) / 12.0, n * m, alpha)
    tail = np.cumsum(np.asarray(_rank_sum_null(n, m))[::-1])[::-1]  # tail[u] = P(U >= u)
    ok = np.nonzero(tail <= alpha + 1e-12)[0]
    return int(ok[0]) if len(ok) else None


@lru_cache(maxsize=None)
def _signed_rank_null(n: int) -> tuple:
    """P(W = w) for w = 0..n(n+1)/2, W = sum of the ranks of the positive differences of n
    pairs whose two sides come from one distribution (each sign equally likely)."""
    dist = np.array([1.0])
    for rank in range(1, n + 1):
        nxt = np.zeros(len(dist) + rank)
        nxt[:len(dist)] += dist / 2.0
        nxt[rank:] += dist / 2.0
        dist = nxt
    return tuple(dist)


@lru_cache(maxsize=None)
def signed_rank_critical(n: int, alpha: float = TAIL) -> int | None:
    """The smallest w with P(W >= w) <= alpha for n pairs; None when too few pairs."""
    if n < 1:
        return None
    top = n * (n + 1) // 2
    if n > 60:
        return _normal_critical(top / 2.0, n * (n + 1) * (2 * n + 1) / 24.0, top, alpha)
    tail = np.cumsum(np.asarray(_signed_rank_null(n))[::-1])[::-1]
    ok = np.nonzero(tail <= alpha + 1e-12)[0]
    return int(ok[0]) if len(ok) else None


def can_judge(n: int, m: int | None = None, paired: bool = False,
              alpha: float = TAIL) -> bool:
    """Whether n (and m) values can ever show a change at level alpha."""
    if paired:
        return signed_rank_critical(n, alpha) is not None
    return rank_sum_critical(n, m if m is not None else n, alpha) is not None


def _positive(values) -> np.ndarray:
    arr = np.asarray(values, dtype="float64").ravel()
    return arr[np.isfinite(arr) & (arr > 0)]


def shift_seconds(new, base) -> float:
    """The Hodges–Lehmann shift in the values' own unit: the median of new_i - base_j."""
    x, y = _positive(new), _positive(base)
    if len(x) == 0 or len(y) == 0:
        return float("nan")
    return float(np.median((x[:, None] - y[None, :]).ravel()))


def _observed_range(value: float, new: np.ndarray, base: np.ndarray) -> Estimate:
    n = min(len(new), len(base))
    if n == 1 and len(new) == len(base):
        return Estimate(value, value, value, 1)
    return Estimate(value, float(new.min() / base.max()), float(new.max() / base.min()), n,
                    RANGE)


def ratio_interval(new, base, alpha: float = TAIL) -> Estimate:
    """The ratio new/base (Hodges–Lehmann: the median of every pair's ratio) with the
    rank-sum interval (two independent samples): [exp of the (nm-k+1)-th, exp of the k-th
    smallest log ratio new_i/base_j], k the critical value at `alpha` per tail. With too few
    values for the test, the observed min–max range of the ratios (kind 'range')."""
    x, y = _positive(new), _positive(base)
    if len(x) == 0 or len(y) == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    diffs = np.sort((np.log(x)[:, None] - np.log(y)[None, :]).ravel())
    value = float(np.exp(np.median(diffs)))
    k = rank_sum_critical(len(x), len(y), alpha)
    if k is None:
        return _observed_range(value, x, y)
    low, high = np.exp(diffs[len(diffs) - k]), np.exp(diffs[k - 1])
    return Estimate(value, float(low), float(high), min(len(x), len(y)), RANK)


def paired_ratio_interval(new, base, alpha: float = TAIL) -> Estimate:
    """The same for pairs measured in the same blocks (new[i] beside base[i]): the
    signed-rank interval of the per-block log ratio, from the sorted Walsh averages."""
    x = np.asarray(new, dtype="float64").ravel()
    y = np.asarray(base, dtype="float64").ravel()
    if len(x) != len(y):
        raise ValueError("paired samples must have the same length")
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    x, y = x[keep], y[keep]
    if len(x) == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    d = np.log(x) - np.log(y)
    i, j = np.triu_indices(len(d))
    walsh = np.sort((d[i] + d[j]) / 2.0)
    value = float(np.exp(np.median(walsh)))
    k = signed_rank_critical(len(x), alpha)
    if k is None:
        return _observed_range(value, x, y)
    low, high = np.exp(walsh[len(walsh) - k]), np.exp(walsh[k - 1])
    return Estimate(value, float(low), float(high), len(x), PAIRED_RANK)
