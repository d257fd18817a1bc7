"""The runner on real local Spark: ground truth, fields, failures (no mocks)."""
from __future__ import annotations

import os
import statistics

import pytest

from bench import runner
from bench.storage import RunFolder
from tests.conftest import write_scenario

pytestmark = pytest.mark.spark

CALIBRATION = '''SCENARIO = {
    "name": "truth", "workloads": ["sleep"], "sleep": {"seconds": 0.3},
    "max_evals": 3, "modes": ["serial", "spark"], "parallelism": [1], "n_jobs": [0, 1, 2],
    "algo": "rand", "seed": 1}
'''


@pytest.fixture(scope="module")
def truth_run(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("truth")
    path = runner.run(write_scenario(folder, CALIBRATION), spark=spark,
                      results_dir=folder / "results", quiet=True)
    return RunFolder(path)


def by_cell(trials):
    cells = {}
    for t in trials:
        cells.setdefault(t["cell_id"], []).append(t)
    return cells


def test_sleep_ground_truth_in_both_modes(truth_run):
    trials = truth_run.committed().trials
    cores = os.cpu_count()
    cells = by_cell(trials)
    assert len(cells) == 6 and all(len(v) == 3 for v in cells.values())
    for cell_id, ts in cells.items():
        k = ts[0]["model_threads_effective"]
        if ts[0]["n_jobs"] in (1, 2):
            assert k == ts[0]["n_jobs"]
        obj = statistics.median(t["objective_s"] for t in ts)
        eff = statistics.median(t["effective_cores"] for t in ts)
        assert abs(obj - 0.3) <= 0.05 * 0.3, (cell_id, obj)
        # k busy threads use k cores, or what other processes left of the host (the probe
        # measures both; on a busy machine the second is the truth)
        other = statistics.median(t["other_busy_cores"] for t in ts)
        left = max(0.0, cores - other)
        assert eff <= min(k, cores) + 0.2, (cell_id, eff, k)
        assert eff >= min(k, cores, left) - 0.2, (cell_id, eff, k, other)


def test_spark_trials_see_task_cpus_and_run_elsewhere(truth_run, spark):
    task_cpus = spark.sparkContext.getConf().get("spark.task.cpus", "1")
    trials = truth_run.committed().trials
    spark_trials = [t for t in trials if t["mode"] == "spark"]
    serial_trials = [t for t in trials if t["mode"] == "serial"]
    assert spark_trials and serial_trials
    assert all(t["omp_num_threads"] == task_cpus for t in spark_trials)
    assert all(t["spark_task_cpus"] == int(task_cpus) for t in spark_trials)
    assert all(t["pid"] != os.getpid() for t in spark_trials)
    assert all(t["pid"] == os.getpid() for t in serial_trials)
    # n_jobs=0 means "OpenMP default": one thread under Spark, all cores in the driver
    zero = {t["mode"]: t["model_threads_effective"] for t in trials if t["n_jobs"] == 0}
    assert zero["spark"] == int(task_cpus)
    assert zero["serial"] == int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count())


def test_every_documented_field_is_filled(truth_run):
    required = ["run_id", "cell_id", "mode", "workload", "max_queue_len", "max_evals", "repeat",
                "tid", "status", "loss", "params", "suggest_ts", "book_ts", "refresh_ts",
                "start_ts", "end_ts", "objective_s", "cpu_s", "effective_cores",
                "peak_threads", "pid", "hostname", "threadpools"]
    spark_only = ["parallelism", "spark_stage_id", "spark_task_attempt_id", "spark_task_cpus",
                  "omp_num_threads"]
    for t in truth_run.committed().trials:
        missing = [f for f in required + (spark_only if t["mode"] == "spark" else [])
                   if t.get(f) is None]
        assert not missing, (t["cell_id"], missing)
        assert t["status"] == "ok" and "x" in t["params"]
    from bench.analysis import load_run
    from bench.model import DERIVED_TRIAL_COLUMNS

    frame = load_run(truth_run.path).trials  # the split: derived on read, for every trial
    assert frame[list(DERIVED_TRIAL_COLUMNS)].notna().all().all()
    cells = truth_run.committed().cells
    assert all(c["wall_s"] > 0 and c["trials_ok"] == 3 and c["best_loss"] is not None
               for c in cells)
    spark_cells = [c for c in cells if c["mode"] == "spark"]
    assert all(c["task_slots"] == 2 and c["closure_bytes"] > 0 for c in spark_cells)
    manifest = truth_run.manifest()
    assert manifest["status"] == "finished" and len(manifest["cells"]) == 6
    assert manifest["spark"]["task_slots"] == 2 and manifest["environment"]["logical_cores"]


FAILING = '''
def objective(params, data):
    if params["x"] > 0:
        raise ValueError("x must not be positive")
    return params["x"] ** 2

from hyperopt import hp
SCENARIO = {"name": "failing", "max_evals": 6, "modes": ["serial", "spark"],
            "parallelism": [2], "max_queue_len": ["parallelism"], "algo": "rand", "seed": 3,
            "workloads": [{"name": "mine", "objective": objective,
                           "data": lambda: None, "space": {"x": hp.uniform("x", -1, 1)}}]}
'''


def test_failing_objective_is_recorded_and_run_goes_on(spark, tmp_path):
    path = runner.run(write_scenario(tmp_path, FAILING), spark=spark,
                      results_dir=tmp_path / "results", quiet=True)
    folder = RunFolder(path)
    trials = folder.committed().trials
    assert len(trials) == 12
    for mode in ("serial", "spark"):  # the objective really ran in both modes
        mine = [t for t in trials if t["mode"] == mode]
        failed = [t for t in mine if t["status"] == "fail"]
        ok = [t for t in mine if t["status"] == "ok"]
        assert len(failed) + len(ok) == 6 and failed and ok, (mode, [t["status"] for t in mine])
        assert all(t["params"]["x"] > 0 and "x must not be positive" in t["error"]
                   and "raise ValueError" in t["traceback"] for t in failed)
        assert all(t["params"]["x"] <= 0 and t["loss"] == pytest.approx(t["params"]["x"] ** 2)
                   for t in ok)
        assert all((t["pid"] == os.getpid()) == (mode == "serial") for t in mine)
    for c in folder.committed().cells:
        assert c["trials_ok"] + c["trials_failed"] == 6 and c["error"] is None


def test_cells_record_the_parallelism_sparktrials_ran_with(truth_run):
    for c in truth_run.committed().cells:
        expected = c["parallelism"] if c["mode"] == "spark" else None
        assert c["parallelism_effective"] == expected, c


TOO_PARALLEL = '''SCENARIO = {
    "name": "wide", "workloads": ["sleep"], "sleep": {"seconds": 0.01},
    "max_evals": 2, "modes": ["spark"], "parallelism": [2, 200], "algo": "rand", "seed": 1}
'''


def test_parallelism_hyperopt_would_cap_is_refused_before_anything_runs(spark, tmp_path):
    from hyperopt.spark import SparkTrials

    from bench.errors import BenchError
    cap = SparkTrials.MAX_CONCURRENT_JOBS_ALLOWED
    with pytest.raises(BenchError, match=rf"parallelism 200: .*at most {cap} trials at once"):
        runner.run(write_scenario(tmp_path, TOO_PARALLEL), spark=spark,
                   results_dir=tmp_path / "results", quiet=True)
    (folder,) = (tmp_path / "results").iterdir()
    assert not RunFolder(folder).committed().cells  # refused before the p=2 cells ran


def test_unknown_closure_size_is_null(tmp_path):
    import threading
    assert runner.closure_bytes(lambda p: threading.Lock(), {"lock": threading.Lock()}) is None
