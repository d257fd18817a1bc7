"""The probe in the driver process: ground truth from the sleep workload."""
from __future__ import annotations

import os

import numpy as np
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


@pytest.mark.parametrize("returned, message", [
    ({"status": "fail", "why": "diverged"}, "objective returned status 'fail'"),
    ({"status": "fail", "error": "diverged"}, "status 'fail': diverged"),
    ("0.5", "loss must be a finite number, got str"),
    ({"loss": "0.5"}, "loss must be a finite number, got str"),
    (float("nan"), "loss must be a finite number, got nan"),
    ({"loss": float("inf")}, "loss must be a finite number, got inf"),
    ({"loss": np.array([1.0, 2.0])}, "got ndarray of shape (2,)"),
    ({"status": "ok"}, "objective returned no loss"),
])
def test_hyperopt_result_conventions_fail_the_trial_with_a_message(returned, message):
    out = run_probed(lambda p: returned, {})
    assert out["status"] == "fail" and message in out["error"], out["error"]
    assert "loss" not in out and out["probe"]["objective_s"] >= 0


def test_extra_keys_are_kept_and_traceback_has_the_last_frames():
    out = run_probed(lambda p: {"loss": np.float32(0.25), "status": "ok", "auc": 0.9,
                                "attachments": {"model": b"xyz"}}, {})
    assert out["status"] == "ok" and out["loss"] == 0.25
    assert out["auc"] == 0.9 and out["attachments"] == {"model": b"xyz"}

    def inner(params):
        raise KeyError("missing column")

    out = run_probed(lambda p: inner(p), {})
    assert out["error"] == "KeyError: 'missing column'"
    assert "in inner" in out["traceback"].splitlines()[-3]


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
