"""Honest intervals: ranges under 5 repeats, bootstrap from 5, pairing by repeat block, n shown."""
from __future__ import annotations

import pytest

from bench.analysis import analyze, load_run, stats
from bench.formats import fmt_ci, fmt_x_ci
from tests import fixture_records as fr


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    run = load_run(fr.write_known_run(tmp_path_factory.mktemp("known")).path)
    return run, analyze(run)


def test_fewer_than_five_values_give_their_min_max_range_labelled_as_such():
    est = stats.bootstrap_median([7.9, 8.0, 8.6])
    assert (est.value, est.low, est.high, est.n, est.kind) == (8.0, 7.9, 8.6, 3, stats.RANGE)
    assert est.label == "range"
    five = stats.bootstrap_median([3.1, 2.9, 3.4, 3.0, 5.0])
    assert five.kind == stats.BOOTSTRAP and five.label == "95% CI" and five.n == 5


def test_ratio_of_few_repeats_is_the_range_of_observed_ratios():
    est = stats.bootstrap_median_ratio([8.0, 9.0, 10.0], [4.0, 5.0])
    assert est.kind == stats.RANGE and est.n == 2
    assert est.low == pytest.approx(8.0 / 5.0) and est.high == pytest.approx(10.0 / 4.0)
    assert est.low <= est.value <= est.high


def test_repeats_of_the_same_blocks_are_paired():
    # a drift shared by both sides in each repeat block cancels when paired
    drift = [1.0, 1.5, 0.8, 1.2, 0.9, 1.4]
    serial = [8.0 * d for d in drift]
    spark = [4.0 * d for d in drift]
    paired = stats.paired_by_repeat(serial, spark, range(6), range(6))
    assert paired.kind == stats.PAIRED_BOOTSTRAP and paired.label == "95% CI, paired"
    assert paired.low == pytest.approx(2.0) and paired.high == pytest.approx(2.0)
    loose = stats.paired_by_repeat(serial, spark, range(6), [0, 1, 2, 3, 4, 7])
    assert loose.kind == stats.BOOTSTRAP and loose.high - loose.low > 0.5


def test_every_printed_interval_names_its_kind_and_n():
    assert fmt_ci(8.0, 7.9, 8.6, n=3, kind=stats.RANGE) == "8.00 (range 7.90–8.60, n=3)"
    assert fmt_x_ci(2.0, 1.9, 2.1, 6, stats.BOOTSTRAP) == "2.00× (95% CI 1.90–2.10, n=6)"
    assert fmt_x_ci(2.0, 2.0, 2.0, 1, stats.NO_INTERVAL) == "2.00× (n=1)"


def test_speedups_and_summary_table_carry_kind_and_n(known):
    from bench.report.sections import summary

    _, a = known
    s = a.speedups[(a.speedups["setting"] == "spark p=2")
                   & (a.speedups["serial_condition"] == "native")].iloc[0]
    assert s["speedup_interval"] == stats.RANGE and s["speedup_n"] == 3
    text = "\n".join(summary(a))
    assert "(range " in text and ", n=3)" in text
    assert "| 95% CI" not in text and "(95% CI" not in text  # 3 repeats: no CI claimed
