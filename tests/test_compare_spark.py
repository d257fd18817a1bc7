"""An injected slowdown, end to end on real Spark: compare must see it and say where it is.

Three tiny runs of one sleep configuration (SparkTrials, parallelism 1, 2 trials, 2 repeats),
each a real `python -m bench run` subprocess with its own local Spark (the same conditions
for all three: the third needs a session of its own): the base; the same with an 8 s longer
objective; and the base objective with every Spark Python worker starting 8 s late
(spark.python.daemon.module=tests.slow_daemon, a delay outside the objective).

The injected change must dominate the machine's trial-to-trial noise: SparkTrials' fixed cost
per trial at parallelism 1 was ~2 s on an idle 2-core machine but 11-15 s at load average
35 (fresh Python workers importing under CPU contention); 2 s injections were lost in it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench import compare
from bench.storage import RunFolder
from tests.conftest import ROOT, write_scenario

pytestmark = [pytest.mark.spark, pytest.mark.slow, pytest.mark.long]

DELAY = 8.0  # seconds injected per trial, inside the objective or before it

SLEEP = '''SCENARIO = {{"name": "injected", "workloads": ["sleep"],
    "sleep": {{"seconds": {seconds}, "threads": 0}}, "max_evals": 2, "modes": ["spark"],
    "parallelism": [1], "max_queue_len": [1], "n_jobs": [None], "repeats": 2,
    "algo": "rand", "seed": 3}}
'''


def _run(tmp_path, name: str, seconds: float, *conf: str) -> tuple[str, int]:
    scn = write_scenario(tmp_path, SLEEP.format(seconds=seconds), f"{name}.py")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")]), "PYSPARK_PYTHON": sys.executable,
        "BENCH_TEST_WORKER_DELAY": str(DELAY)}
    args = [sys.executable, "-m", "bench", "run", str(scn), "--quiet", "--master", "local[2]",
            "--results-dir", str(tmp_path / name)]
    for c in conf:
        args += ["--conf", c]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env=env)
    stdout, stderr = proc.communicate(timeout=600)
    assert proc.returncode == 0, stderr
    return stdout.strip().splitlines()[-1], proc.pid


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("injected")
    return {"base": _run(tmp, "base", 0.05),
            "slow_objective": _run(tmp, "slow_objective", 0.05 + DELAY),
            "slow_start": _run(tmp, "slow_start", 0.05,
                               "spark.python.daemon.module=tests.slow_daemon")}


def _compare(base, new):
    out = subprocess.run([sys.executable, "-m", "bench", "compare", base, new, "--format",
                          "json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode in (0, 1), out.stderr
    return out.returncode, json.loads(out.stdout)


def test_trials_ran_in_spark_python_workers(runs):
    for path, driver_pid in runs.values():
        trials = RunFolder(path).committed().trials
        assert trials and all(t["mode"] == "spark" and t["status"] == "ok" for t in trials)
        assert all(t["spark_task_attempt_id"] is not None for t in trials)
        assert driver_pid not in {t["pid"] for t in trials}


def test_longer_objective_is_a_regression_blamed_on_the_objective(runs):
    code, data = _compare(runs["base"][0], runs["slow_objective"][0])
    (row,) = data["configurations"]
    assert code == 1 and row["verdict"] == compare.SLOWER, row
    assert row["cause"] == "objective", row["attribution"]
    assert row["new"]["objective_s"] > row["base"]["objective_s"] + 0.9 * DELAY


def test_slow_worker_start_is_a_regression_blamed_on_sparktrials_overhead(runs):
    code, data = _compare(runs["base"][0], runs["slow_start"][0])
    (row,) = data["configurations"]
    assert code == 1 and row["verdict"] == compare.SLOWER, row
    assert row["cause"] == "overhead", row["attribution"]
    assert row["new"]["fixed_s"] > row["base"]["fixed_s"] + 0.5 * DELAY
    assert row["new"]["objective_s"] < row["base"]["objective_s"] + 0.5
    facts = {d["fact"]: d["new"] for d in data["environment_differences"]}
    assert facts["spark.conf.spark.python.daemon.module"] == "tests.slow_daemon"
