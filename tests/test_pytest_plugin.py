"""The sparktrials_cell fixture as a team would use it: a run saved by pytest-benchmark, then
a candidate compared with --benchmark-compare-fail=median:10%. Real pytest processes, real
local Spark.

Whether this shared machine can *detect* a slowdown is measured elsewhere (the note's false-
alarm and detection counts), not asserted here: timed asserts are flaky on a noisy machine.
To check the gate's wiring, the saved baseline's times are divided by 3 (a past that was 3x
faster), so the candidate must fail the gate whatever the load.
"""
from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys

import pytest

from bench.storage import RunFolder
from tests.conftest import ROOT

pytestmark = [pytest.mark.spark, pytest.mark.slow]

TEST_FILE = '''
def test_tuning_overhead(sparktrials_cell):
    sparktrials_cell(workload="sleep", parallelism=2, max_evals=2, rounds=2,
                     sleep={{"seconds": {seconds}, "threads": 0}})
'''


def _plugin_args() -> list[str]:
    """-p only when the package's pytest11 entry point is not installed (a plain checkout
    on PYTHONPATH); installed, pytest loads the plugin by itself."""
    names = {ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    return [] if "bench.pytest_plugin" in names else ["-p", "bench.pytest_plugin"]


def _pytest(folder, seconds, *args):
    test = folder / "test_gate.py"
    test.write_text(TEST_FILE.format(seconds=seconds))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")]), "PYSPARK_PYTHON": sys.executable}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *_plugin_args(),
         str(test), "--rootdir", str(folder), "--benchmark-storage", str(folder / "store"),
         "--sparktrials-results", str(folder / "runs"), *args],
        capture_output=True, text=True, cwd=folder, env=env, timeout=600)


def test_baseline_then_slower_candidate_fails_the_gate(tmp_path):
    base = _pytest(tmp_path, 0.05, "--benchmark-autosave")
    assert base.returncode == 0, base.stdout + base.stderr
    (saved,) = list((tmp_path / "store").rglob("*.json"))
    bench = json.loads(saved.read_text())["benchmarks"][0]
    info = bench["extra_info"]
    assert bench["stats"]["rounds"] == 2
    assert info["speedup_vs_serial"] > 0 and info["fixed_overhead_s_per_trial"] > 0
    assert 0.04 < info["objective_s_spark"] < 0.5 and info["trials_failed"] == 0
    trials = RunFolder(info["results"]).committed().trials
    driver = {t["pid"] for t in trials if t["mode"] == "serial"}
    spark = [t for t in trials if t["mode"] == "spark"]
    assert len(spark) == 4 and not driver & {t["pid"] for t in spark}

    data = json.loads(saved.read_text())
    stats = data["benchmarks"][0]["stats"]
    for key in ("min", "max", "mean", "median", "q1", "q3", "ld15iqr", "hd15iqr", "total"):
        stats[key] = stats[key] / 3
    stats["data"] = [x / 3 for x in stats.get("data", [])]
    saved.write_text(json.dumps(data))
    slower = _pytest(tmp_path, 0.05, "--benchmark-compare",
                     "--benchmark-compare-fail=median:10%")
    assert slower.returncode == 1, slower.stdout + slower.stderr
    assert "Performance has regressed" in slower.stdout + slower.stderr
    assert "median" in slower.stdout + slower.stderr
