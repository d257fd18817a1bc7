"""pytest plugin: the `sparktrials_cell` fixture, SparkTrials measured by pytest-benchmark.

    def test_tuning_overhead(sparktrials_cell):
        sparktrials_cell(workload="rf", parallelism=2, max_evals=8)

runs the serial baseline once, then times `rounds` SparkTrials fmin calls with pytest-benchmark
(so its storage, --benchmark-compare and --benchmark-compare-fail=median:10% apply to the
SparkTrials wall time), and puts the harness's own measurements in `benchmark.extra_info`:
speedup vs serial, SparkTrials' fixed overhead per trial, objective time per trial. Every
cell is also a normal results folder (python -m bench report / compare work on it).

Registered through the `pytest11` entry point; needs pytest-benchmark.
"""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import pytest

from .model import NATIVE


def pytest_addoption(parser):
    group = parser.getgroup("sparktrials", "sparktrials-bench")
    group.addoption("--sparktrials-master", default=None,
                    help="Spark master for sparktrials_cell (default: local[2], loopback)")
    group.addoption("--sparktrials-results", default=None,
                    help="keep sparktrials_cell results folders here (default: pytest's tmp)")


@pytest.fixture(scope="session")
def sparktrials_spark(request):
    """The SparkSession sparktrials_cell runs in: an active one if the suite has it, else a
    local session bound to 127.0.0.1, stopped at the end."""
    from pyspark.sql import SparkSession

    from . import runner, spark_session

    runner.quiet_third_party()
    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    master = request.config.getoption("--sparktrials-master") or "local[2]"
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    log_dir = request.config._tmp_path_factory.mktemp("sparktrials-spark")
    session = spark_session.start_session(
        master, spark_session.session_conf(master, {}, eventlog_dir=None),
        app_name="sparktrials-bench-pytest", log_path=log_dir / "spark.log")
    spark_session.wait_for_executors(session)
    yield session
    session.stop()


def _scenario_text(name: str, settings: dict) -> str:
    return (f'"""Written by the sparktrials_cell fixture for {name}."""\n'
            f"SCENARIO = {settings!r}\n")


class CellBenchmark:
    """Callable behind the fixture: one benchmark = one spark configuration."""

    def __init__(self, benchmark, spark, folder: Path, test_name: str):
        self.benchmark, self.spark, self.folder, self.test_name = benchmark, spark, folder, \
            test_name

    def __call__(self, workload: str = "rf", parallelism: int = 2, max_evals: int = 8,
                 rounds: int = 3, **scenario_keys) -> dict:
        from . import grid, runner, scenario, spark_session
        from .storage import RunFolder

        settings = {"name": f"pytest-{workload}", "workloads": [workload],
                    "modes": ["serial", "spark"], "parallelism": [parallelism],
                    "max_evals": max_evals, "repeats": max(1, int(rounds)),
                    "data": {"rows": 1000, "features": 10}, **scenario_keys}
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{_safe(self.test_name)}.py"
        path.write_text(_scenario_text(self.test_name, settings))
        scn = scenario.load(path)
        cells = grid.expand(scn.settings)
        serial = [c for c in cells if c.mode == "serial"]
        spark = [c for c in cells if c.mode == "spark"]
        results = self.folder / "results"
        results.mkdir(exist_ok=True)
        folder = RunFolder.create_new(results, scn.name, runner.new_manifest(
            scn, "", cells, ["pytest", self.test_name], self.spark.sparkContext.master, {},
            results))
        folder.record_spark(spark_session.session_facts(self.spark))
        cell_runner = runner.CellRunner(scn, folder)
        cell_runner.warm_up(cells, self.spark)
        for cell in serial:  # the baseline, untimed by pytest-benchmark
            folder.append_cell(*cell_runner.run_cell(cell, self.spark))
        pending = iter(spark)

        def one_round():
            folder.append_cell(*cell_runner.run_cell(next(pending), self.spark))

        self.benchmark.pedantic(one_round, rounds=len(spark), iterations=1)
        folder.set_status("finished")
        info = measurements(folder.path)
        self.benchmark.extra_info.update(info)
        return info


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)[:80]


def _num(x, digits: int = 4):
    return round(float(x), digits) if x is not None and math.isfinite(float(x)) else None


def measurements(path) -> dict:
    """The harness's numbers for one fixture run: speedup vs serial (with its interval), fixed
    overhead and objective time per trial by mode, model threads, and the results folder."""
    from .analysis import analyze, load_run
    from .analysis.measures import fixed_costs
    from .analysis.stats import median

    data = load_run(path)
    tables = analyze(data)
    ok = data.trials[data.trials["status"] == "ok"]
    spark, serial = ok[ok["mode"] == "spark"], ok[ok["mode"] == "serial"]
    sp = tables.speedups
    sp = sp[sp["serial_condition"] == NATIVE]
    info = {
        "results": str(path),
        "speedup_vs_serial": _num(sp["speedup"].iloc[0]) if len(sp) else None,
        "speedup_low": _num(sp["speedup_low"].iloc[0]) if len(sp) else None,
        "speedup_high": _num(sp["speedup_high"].iloc[0]) if len(sp) else None,
        "serial_wall_s": _num(sp["serial_wall_s"].iloc[0]) if len(sp) else None,
        "spark_wall_s": _num(sp["spark_wall_s"].iloc[0]) if len(sp) else None,
        "fixed_overhead_s_per_trial": _num(median(fixed_costs(spark, data.cells, data.spark_tasks)["fixed_s"]))
        if len(spark) else None,
        "objective_s_spark": _num(median(spark["objective_s"])),
        "objective_s_serial": _num(median(serial["objective_s"])),
        "model_threads_spark": _num(median(spark["model_threads_effective"]), 1),
        "model_threads_serial": _num(median(serial["model_threads_effective"]), 1),
        "trials_failed": int(len(data.trials) - len(ok)),
        "packages": data.manifest.packages,
    }
    return info


@pytest.fixture
def sparktrials_cell(benchmark, sparktrials_spark, request, tmp_path):
    """Call it with workload, parallelism, max_evals (and rounds, or any scenario key such as
    n_jobs=[1], sleep={"seconds": 0.2}) to benchmark that SparkTrials configuration."""
    kept = request.config.getoption("--sparktrials-results")
    folder = Path(kept) if kept else tmp_path
    return CellBenchmark(benchmark, sparktrials_spark, folder, request.node.name)
