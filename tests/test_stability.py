"""Stable findings: a configuration in two regimes is classified unstable (analysis.stability,
the one rule the diagnosis, compare and the prediction read), and every finding says on how
many cells and repeats it rests and whether it held in each (diagnosis.support)."""
from __future__ import annotations

import numpy as np
import pytest

from bench.analysis.stability import (STABILITY_THRESHOLDS, classify, relative_times,
                                      run_stability, split_modes)
from bench.diagnosis import THRESHOLDS, diagnose_data
from tests import test_spin_wait as sw
from tests.test_diagnosis import T0


# --- the classification --------------------------------------------------------------

def test_two_regimes_within_a_cell_are_two_modes():
    """The spin-wait collapse as measured: 0.38 s and 10.6 s per trial of one configuration."""
    m = split_modes([0.38, 0.39, 10.6, 10.8], min_per_mode=2, where="cell c")
    assert (m.low_s, m.high_s, m.low_n, m.high_n) == (pytest.approx(0.385),
                                                       pytest.approx(10.7), 2, 2)
    assert m.text() == "0.385 s and 10.7 s per trial (2 and 2 trials, cell c)"
    across = split_modes([10.6, 0.38], min_per_mode=1, where="repeats", unit="repeats")
    assert across.text() == "0.380 s and 10.6 s per trial (1 and 1 repeats, repeats)"


def test_noise_spread_and_single_outliers_are_not_modes():
    rng = np.random.default_rng(3)
    for _ in range(500):  # +-20% repeat noise, and a 3x spread of point costs (log-uniform)
        assert split_modes(rng.uniform(0.8, 1.2, 8), min_per_mode=2) is None
        assert split_modes(np.exp(rng.uniform(0, np.log(3), 8)), min_per_mode=2) is None
    # one trial far from the rest is one interruption, not a regime
    assert split_modes([0.1, 0.1, 0.11, 0.1, 5.0], min_per_mode=2) is None
    # two groups 3x apart: a jump, but not the collapse's 5x
    assert split_modes([1.0, 1.05, 3.0, 3.1], min_per_mode=2) is None


def test_the_bounds_come_from_thresholds_with_their_reasons():
    for name in ("unstable_gap", "unstable_modes", "unstable_min_trials"):
        value, why = THRESHOLDS[name]
        assert STABILITY_THRESHOLDS[name] == (value, why) and len(why) > 40
    assert THRESHOLDS["unstable_modes"][0] == THRESHOLDS["collapse_slowdown"][0]
    assert THRESHOLDS["unstable_gap"][0] == THRESHOLDS["thread_time_ratio"][0]


def _cell(name, repeat, n_jobs=1, cluster="1x2"):
    c = sw.lgbm_cell("spark", n_jobs, cluster)
    return {**c, "repeat": repeat, "cell_id": f"{name}.r{repeat}"}


def _trials(c, seconds, points=None, threads=1):
    ts = sw.lgbm_trials(c, objective=1.0, threads=threads, eff=1.0, start=T0 + 1000 * c["repeat"])
    for t, s, p in zip(ts, seconds, points or [t["params"] for t in ts]):
        t.update(objective_s=s, end_ts=t["start_ts"] + s, refresh_ts=t["start_ts"] + s, params=p)
    return ts


def test_a_costly_parameter_is_not_read_as_two_regimes_where_points_are_shared():
    """n_estimators 50 or 500: trials 10x apart by design. With the points shared by three
    configurations each time is judged against the same point elsewhere: one regime."""
    points = [{"n_estimators": 50}, {"n_estimators": 500}] * 2
    seconds = [0.1, 1.0, 0.1, 1.0]
    pairs = [(c, _trials(c, [s * k for s in seconds], points)) for c, k in
             ((_cell("a", 0, 1), 1.0), (_cell("b", 0, 1, "2x1"), 1.2),
              (_cell("c", 0, 1, "1x2/tc2"), 0.9))]
    run, _ = sw.run_of(*pairs)
    assert all(not s.unstable for s in run_stability(run.trials).values())
    rel = relative_times(run.trials)
    assert rel.between(0.8, 1.25).all()
    alone, _ = sw.run_of(pairs[0])  # one configuration: its raw times are all there is
    (only,) = run_stability(alone.trials).values()
    assert only.unstable and only.modes[0].where == "cell a.r0"


def test_modes_across_repeats_make_a_configuration_unstable():
    pairs = [(c, _trials(c, [s] * 4)) for c, s in
             ((_cell("x", 0), 0.38), (_cell("x", 1), 10.6), (_cell("x", 2), 0.4))]
    run, _ = sw.run_of(*pairs)
    (found,) = run_stability(run.trials).values()
    assert found.unstable and (found.cells, found.repeats) == (3, 3)
    (m,) = found.modes
    assert (m.where, m.unit, m.low_n, m.high_n) == ("repeats", "repeats", 2, 1)
    assert classify([]).unstable is False


# --- what a finding rests on -----------------------------------------------------------

def _sizing(repeats, slow_in=None):
    """sizing_run's collapse on 2x1 (and its stable references), over `repeats` repeats;
    `slow_in` limits the collapse to those repeats (default: all)."""
    built = []
    for r in range(repeats):
        slow = slow_in is None or r in slow_in
        for i, (c, kw) in enumerate([
                (sw.lgbm_cell("serial", 2), dict(objective=0.07, eff=1.8)),
                (sw.lgbm_cell("spark", 2, "2x1"),
                 dict(objective=45.0 if slow else 0.1, eff=1.0, concurrency=2)),
                (sw.lgbm_cell("spark", 2, "1x2/tc2"), dict(objective=0.09, eff=1.8))]):
            c = {**c, "repeat": r, "cell_id": c["cell_id"].replace(".r0", f".r{r}")}
            built.append((c, sw.lgbm_trials(c, threads=2, start=T0 + 10_000 * r + 1000 * i,
                                             **kw)))
    return sw.run_of(*built)


COLLAPSE = "spin-wait-collapse:lgbm:spark:p2:2x1:nj2:native"


def test_a_finding_on_one_cell_of_one_repeat_says_so_and_is_never_high():
    found = {f.id: f for f in diagnose_data(*_sizing(1))}
    f = found[COLLAPSE]
    assert f.support == {"cells": 1, "repeats": [0], "held_in": [0]}
    assert f.severity == "medium"  # the rule's own severity is high
    assert f.summary.endswith("(seen in one cell of one repeat: one sample; repeat the run "
                              "to confirm)")
    assert f.to_dict()["support"]["cells"] == 1


def test_a_finding_seen_in_every_repeat_stays_high_and_records_them():
    found = {f.id: f for f in diagnose_data(*_sizing(3))}
    f = found[COLLAPSE]
    assert f.severity == "high" and "one cell" not in f.summary
    assert f.support == {"cells": 3, "repeats": [0, 1, 2], "held_in": [0, 1, 2]}
    assert all(g.support is not None for g in found.values())


def test_a_finding_held_in_some_repeats_only_says_in_how_many():
    found = {f.id: f for f in diagnose_data(*_sizing(2, slow_in={0}))}
    f = found[COLLAPSE]
    assert f.support["held_in"] == [0] and f.summary.endswith("(held in 1 of 2 repeats)")
    # and the configuration that flipped between regimes is reported unstable, both modes
    unstable = [g for g in found.values() if g.rule == "unstable-configuration"]
    assert [g.id for g in unstable] == ["unstable-configuration:lgbm:spark:p2:q2:2x1:nj2:e4:native"]
    ev = unstable[0].evidence
    assert (ev["fast_mode_s"], ev["slow_mode_s"]) == (0.1, 45.0)
    assert ev["modes_seen_in"] == ["repeats"] and ev["repeats"] == 2
    assert "0.100 s and 45.0 s per trial (1 and 1 repeats, repeats)" in unstable[0].summary


def test_diagnose_prints_what_each_finding_rests_on():
    from bench.diagnosis.cli import finding_text

    found = {f.id: f for f in diagnose_data(*_sizing(2, slow_in={0}))}
    lines = finding_text(found[COLLAPSE])
    assert "  rests on: 2 cell(s) in repeat(s) 0, 1; held in 1 of 2" in lines
