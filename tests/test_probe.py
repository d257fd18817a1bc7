"""The probe in the driver process: ground truth from the sleep workload."""
from __future__ import annotations

import os

import pytest

from bench.probe import Probed, run_probed, thread_count, threadpools
from bench.workloads import SleepObjective, sleep_threads


def test_sleep_ground_truth_in_process():
    out = Probed(SleepObjective(0.3, threads=0))({"x": 0.5})
    p = out["probe"]
    assert out["status"] == "ok" and out["loss"] == 0.25
    assert abs(p["objective_s"] - 0.3) < 0.015
    assert p["effective_cores"] < 0.2  # sleeping keeps no core busy
    assert p["pid"] == os.getpid() and p["model_threads_effective"] == 0


def test_busy_threads_raise_peak_threads():
    before = thread_count()
    out = Probed(SleepObjective(0.2, threads=3))({"x": 0.0})
    assert out["probe"]["peak_threads"] >= before + 2
    assert out["probe"]["model_threads_effective"] == 3


def test_failing_objective_becomes_failed_result():
    def boom(params):
        raise ValueError("bad params")

    out = run_probed(boom, {})
    assert out["status"] == "fail" and out["error"] == "ValueError: bad params"
    assert "loss" not in out and out["probe"]["objective_s"] >= 0


def test_nan_loss_is_a_failure():
    out = run_probed(lambda p: {"loss": float("nan")}, {})
    assert out["status"] == "fail" and "no usable loss" in out["error"]


def test_threadpools_lists_openmp_after_lightgbm_import():
    import lightgbm  # noqa: F401

    apis = {p["api"] for p in threadpools()}
    assert "openmp" in apis


@pytest.mark.parametrize("n_jobs, env, expected", [
    (None, None, 1), (3, None, 3), (0, "5", 5), (-1, None, os.cpu_count())])
def test_sleep_threads_reads_like_n_jobs(monkeypatch, n_jobs, env, expected):
    if env is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", env)
    assert sleep_threads(n_jobs, default=1) == expected


def test_other_busy_cores_sees_a_busy_neighbour():
    import subprocess
    import sys
    import time

    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        out = Probed(SleepObjective(0.5, threads=0))({"x": 0.0})
    finally:
        spinner.terminate()
        spinner.wait()
    # the sleeping objective uses no CPU; the spinner keeps about one core busy
    assert out["probe"]["other_busy_cores"] >= 0.7
