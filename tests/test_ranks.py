"""The exact rank tests behind compare's verdicts, checked against brute-force enumeration of
every split (independent samples) and every sign pattern (pairs)."""
from __future__ import annotations

import itertools
from math import comb

import numpy as np
import pytest

from bench.analysis import ranks
from bench.formats import interval_label


def _brute_p_greater(x, y) -> float:
    """P(U >= observed U) over every split of the pooled values (no ties)."""
    pooled = list(x) + list(y)
    n = len(x)

    def u(xs, ys):
        return sum(a > b for a in xs for b in ys)

    seen = u(x, y)
    hits = total = 0
    for idx in itertools.combinations(range(len(pooled)), n):
        xs = [pooled[i] for i in idx]
        ys = [pooled[i] for i in range(len(pooled)) if i not in idx]
        hits += u(xs, ys) >= seen
        total += 1
    return hits / total


def test_rank_sum_critical_values_match_the_tables():
    # n = m = 5 at 1% one-sided: U >= 24 of 25 (P = 2/252); 4 and 4 can never reach 1%
    assert ranks.rank_sum_critical(5, 5, 0.01) == 24
    assert ranks.rank_sum_critical(4, 4, 0.01) is None
    assert ranks.rank_sum_critical(4, 5, 0.01) == 20          # P(U = 20) = 1/126
    assert not ranks.can_judge(4, 4) and ranks.can_judge(5, 5) and ranks.can_judge(4, 5)
    # the null distribution sums to one and is symmetric
    dist = np.asarray(ranks._rank_sum_null(6, 4))
    assert dist.sum() == pytest.approx(1.0) and np.allclose(dist, dist[::-1])
    assert dist[0] == pytest.approx(1 / comb(10, 4))


def test_interval_says_changed_exactly_when_the_exact_test_does():
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(150):
        n, m = rng.integers(4, 7, size=2)
        base = rng.uniform(0.8, 1.2, m)
        new = rng.uniform(0.8, 1.2, n) * rng.choice([1.0, 1.15, 1.3])
        est = ranks.ratio_interval(new, base)
        if est.kind != "rank":
            continue
        checked += 1
        assert (est.low > 1) == (_brute_p_greater(new, base) <= ranks.TAIL)
        assert (est.high < 1) == (_brute_p_greater(base, new) <= ranks.TAIL)
        assert est.low <= est.value <= est.high
    assert checked > 100


def test_too_few_values_give_the_observed_range():
    est = ranks.ratio_interval([2.0, 2.2, 2.4], [1.0, 1.1, 1.2])
    assert est.kind == "range" and est.low == pytest.approx(2.0 / 1.2)
    assert est.high == pytest.approx(2.4 / 1.0) and est.n == 3
    one = ranks.ratio_interval([2.0], [1.0])
    assert (one.value, one.low, one.high, one.n) == (2.0, 2.0, 2.0, 1)
    assert np.isnan(ranks.ratio_interval([], [1.0]).value)


def test_ties_never_count_as_a_change():
    same = [4.0] * 8
    est = ranks.ratio_interval(same, same)
    assert est.low == est.high == 1.0  # neither above nor below 1: no change


def test_paired_signed_rank_against_every_sign_pattern():
    assert ranks.signed_rank_critical(6) is None            # 1/64 > 1%
    assert ranks.signed_rank_critical(7) == 28              # every pair up: 1/128
    rng = np.random.default_rng(11)
    for _ in range(40):
        n = int(rng.integers(7, 10))
        base = rng.uniform(0.8, 1.2, n)
        new = base * rng.uniform(0.95, 1.35, n)
        d = np.log(new) - np.log(base)
        ranks_of = np.argsort(np.argsort(np.abs(d))) + 1
        seen = ranks_of[d > 0].sum()
        p = np.mean([ranks_of[np.array(s) > 0].sum() >= seen
                     for s in itertools.product([-1, 1], repeat=n)])
        est = ranks.paired_ratio_interval(new, base)
        assert est.kind == "paired rank" and (est.low > 1) == (p <= ranks.TAIL)
    with pytest.raises(ValueError, match="same length"):
        ranks.paired_ratio_interval([1.0], [1.0, 2.0])


def test_rank_intervals_read_as_98_percent():
    assert interval_label("rank") == "98% CI, rank"
    assert interval_label("paired rank") == "98% CI, paired rank"
    assert ranks.TAIL == pytest.approx(0.01)
