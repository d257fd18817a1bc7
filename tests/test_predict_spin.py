"""Spin-wait collapse per class (bench.predict.spin): where it applies, what it measures."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from bench.predict import Inputs, Shape, simulate
from bench.predict.spin import cell_factors, collapses, threads_per_trial


def _spinning(factors=(3.0,), threads=2.0, objective=1.0) -> Inputs:
    """A 2-thread objective of `objective` s keeping 2 cores busy, no loop or start-up cost,
    with measured spin-wait factors per call."""
    one = lambda x: np.array([float(x)])  # noqa: E731
    return Inputs(objective_s=one(objective), demand_cores=threads, startup_fresh_s=one(0),
                  startup_reused_s=np.zeros(0), reuse_prob=0.0, return_s=one(0),
                  fmin_period_s=1e-4, dispatch_period_s=1e-4, first_suggest_s=0.0,
                  dispatch_phase_s=one(0), oversubscribed_slowdown=float(np.median(factors)),
                  spin_factors=np.array(factors, float), threads_per_trial=threads)


def _wall(inp, shape, n, seed=0) -> float:
    return simulate(inp, shape, n, np.random.default_rng(seed)).wall_s


def test_collapse_needs_siblings_whose_threads_outnumber_the_executors_cores():
    assert collapses(2, 2, 2)            # 2 + 2 threads on 2 cores
    assert not collapses(2, 2, 4)        # 2 + 2 threads on 4 cores: each has its core
    assert not collapses(1, 2, 2)        # one thread per trial, one core each
    assert not collapses(4, 1, 2)        # alone: oversubscribed, but no sibling to spin on
    assert collapses(2, 3, 4)            # 6 threads on 4 cores


def test_a_four_core_executor_running_two_plus_two_threads_predicts_no_collapse():
    inp = _spinning(factors=(3.0,))
    # predicted executors: hosts of their own (host_cores 0)
    four = Shape(1, 4, parallelism=2, max_queue_len=0)
    assert _wall(inp, four, 2) == pytest.approx(1.0, abs=0.01)
    # the same two trials on a 2-core executor: sharing doubles, spinning triples that
    two = Shape(1, 2, parallelism=2, max_queue_len=0)
    assert _wall(inp, two, 2) == pytest.approx(6.0, abs=0.01)
    # on the 4-core executor three at once do collapse (6 threads on 4 cores)
    three = Shape(1, 4, parallelism=3, max_queue_len=0)
    assert _wall(inp, three, 3) == pytest.approx(1.5 * 3.0, abs=0.01)


def test_each_call_draws_one_of_the_measured_factors():
    inp = _spinning(factors=(2.0, 4.0))
    two = Shape(1, 2, parallelism=2, max_queue_len=0)
    walls = {round(_wall(inp, two, 2, seed), 2) for seed in range(40)}
    assert walls == {4.0, 8.0}


def test_threads_per_trial_is_n_jobs_or_the_measured_cores_rounded():
    assert threads_per_trial("2", 1.7) == 2.0
    assert threads_per_trial("None", 1.6) == 2.0
    assert threads_per_trial("-1", 0.9) == 1.0
    assert threads_per_trial("None", 0.2) == 1.0


def test_factors_are_per_call_from_trials_beside_siblings_on_oversubscribed_cores():
    # alone 1 s; two cells of two trials side by side throughout, 2 threads each on 2 cores:
    # sharing explains 2 s each; cell a took 6 + 6 s (3x), cell b 4 + 4 s (2x); a trial
    # half overlapped (its split between rates unknown) and one alone are not used
    trials = pd.DataFrame({
        "cell_id": ["a", "a", "b", "b", "b", "c"],
        "overlap_share": [1.0, 0.98, 1.0, 1.0, 0.5, 0.0],
        "background": 0.0,
        "objective_s": [6.0, 6.0, 4.0, 4.0, 50.0, 1.0]})
    got = cell_factors(trials, 1.0, threads=2.0, demand=2.0, cores=2)
    # explained: 1 s x load (2 + 2 x share) / 2 cores
    expect_a = 12.0 / (2.0 + 1.98)
    assert got.tolist() == pytest.approx([expect_a, 2.0])
    # the same trials with one thread each: 1 + 1 threads fit 2 cores, nothing measured
    assert len(cell_factors(trials, 1.0, threads=1.0, demand=1.0, cores=2)) == 0
    # faster than sharing explains is no speed-up
    fast = trials.assign(objective_s=1.0)
    assert cell_factors(fast, 1.0, threads=2.0, demand=2.0, cores=2).tolist() == [1.0, 1.0]
    assert len(cell_factors(trials, float("nan"), 2.0, 2.0, 2)) == 0


def test_calibration_keeps_the_spin_factor_of_a_class_and_its_spread():
    from bench.predict.calibrate import Calibration
    from bench.predict.grouping import ClassKey

    cal = Calibration(run_id="r", variant="stock", host_cores=2, task_cpus=1)
    cal.loops = {"fmin_period_s": 1.0, "dispatch_period_s": 1.0}
    cal.inputs[ClassKey("lgbm", "2")] = dataclasses.replace(
        _spinning(factors=(2.0, 3.0, 5.0)), oversubscribed_slowdown=3.0)
    spin = cal.summary()["objectives"]["lgbm n_jobs=2"]["spin_wait_factor"]
    assert spin == {"calls": 3, "median": 3.0, "low": 2.0, "high": 5.0}
