"""SparkTrials variants, the process pool and shared points on real local Spark (no mocks).

One tiny run (4 trials of 0.05 s at parallelism 2, every variant + pool + serial) backs the
claims each variant makes; the patch-lifetime and code-shape tests call the adapter directly.
"""
from __future__ import annotations

import os
import sys
import time

import pytest

from bench import grid, points, runner, scenario, variants
from bench.errors import BenchError
from bench.storage import RunFolder
from tests.conftest import write_scenario

pytestmark = pytest.mark.spark

TINY = '''SCENARIO = {
    "name": "tiny_variants", "workloads": ["sleep"], "sleep": {"seconds": 0.05},
    "max_evals": 4, "modes": ["serial", "spark", "pool"], "parallelism": [2],
    "variants": ["stock", "queue", "reuse", "fastpoll", "tuned"], "points": "shared",
    "algo": "tpe", "seed": 11, "n_jobs": [0]}
'''


@pytest.fixture(scope="module")
def tiny_run(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("variants")
    path = runner.run(write_scenario(folder, TINY), spark=spark,
                      results_dir=folder / "results", quiet=True)
    return RunFolder(path)


def _cells(run: RunFolder) -> dict:
    """(mode, variant) -> that cell's trials, in tid order."""
    out: dict = {}
    for t in run.committed().trials:
        out.setdefault((t["mode"], t["variant"]), []).append(t)
    return {k: sorted(v, key=lambda t: t["tid"]) for k, v in out.items()}


def test_every_variant_and_pool_evaluate_the_same_points(tiny_run):
    cells = _cells(tiny_run)
    assert set(cells) == {("serial", None), ("pool", None)} | {
        ("spark", v) for v in variants.VARIANTS}
    reference = [(t["params"], t["loss"]) for t in cells[("spark", "stock")]]
    assert len(reference) == 4 and all(t["status"] == "ok" for t in cells[("spark", "stock")])
    for key, trials in cells.items():
        assert [(t["params"], t["loss"]) for t in trials] == reference, key
    records = tiny_run.committed().cells
    assert {c["variant"] for c in records if c["mode"] == "spark"} == set(variants.VARIANTS)
    assert all(c["variant"] is None for c in records if c["mode"] != "spark")


def test_spark_trials_ran_in_executors(tiny_run):
    for (mode, _), trials in _cells(tiny_run).items():
        if mode == "spark":
            assert all(t["pid"] != os.getpid() and t["spark_task_attempt_id"] is not None
                       for t in trials)


def test_reuse_runs_several_trials_per_python_worker(tiny_run):
    cells = _cells(tiny_run)
    for variant in ("reuse", "tuned"):
        pids = {t["pid"] for t in cells[("spark", variant)]}
        assert len(pids) < 4, (variant, pids)
    # stock starts a fresh worker for every trial
    assert len({t["pid"] for t in cells[("spark", "stock")]}) == 4


def test_reuse_variants_start_their_workers_before_the_clock(tiny_run):
    records = {c["variant"]: c for c in tiny_run.committed().cells if c["mode"] == "spark"}
    for variant, cell in records.items():
        if variants.get(variant).reuse:
            assert cell["workers_prewarmed"] >= 1 and cell["prewarm_s"] > 0, cell
        else:
            assert cell["workers_prewarmed"] is None and cell["prewarm_s"] is None, cell


def test_pool_cells_record_the_warm_up_before_their_clock(tiny_run):
    """The pool starts and warms its workers before the clock, as reuse variants do: the cell
    records how many and how long, and readers count it in the primary figure."""
    from bench.analysis import load_run

    (pool_cell,) = [c for c in tiny_run.committed().cells if c["mode"] == "pool"]
    assert pool_cell["workers_prewarmed"] >= 1 and pool_cell["prewarm_s"] > 0, pool_cell
    cells = load_run(tiny_run.path).cells
    row = cells[cells["mode"] == "pool"].iloc[0]
    assert row["paid_s"] == row["wall_s"] + row["prewarm_s"]


def test_queue_puts_parallelism_trials_in_flight_at_once(tiny_run):
    cells = _cells(tiny_run)
    cell_q = {c["variant"]: c["max_queue_len"] for c in tiny_run.committed().cells
              if c["mode"] == "spark"}
    assert cell_q == {"stock": 1, "queue": 2, "reuse": 1, "fastpoll": 1, "tuned": 2}

    def second_launch_gap(trials):  # both slots free: how long until the second trial starts
        return trials[1]["book_ts"] - trials[0]["book_ts"]

    # with a queue of one, fmin hands the dispatcher one trial per 1 s loop
    assert second_launch_gap(cells[("spark", "stock")]) >= 0.5
    assert second_launch_gap(cells[("spark", "queue")]) < 0.5
    assert second_launch_gap(cells[("spark", "tuned")]) < 0.5


def test_fastpoll_dispatches_well_under_a_second(tiny_run):
    cells = _cells(tiny_run)
    # the first two trials find a free slot: their wait is hyperopt's loops alone
    for variant in ("fastpoll", "tuned"):
        waits = [t["book_ts"] - t["suggest_ts"] for t in cells[("spark", variant)][:2]]
        assert max(waits) < 0.3, (variant, waits)


def test_pool_runs_in_persistent_workers_with_executor_threads(tiny_run, spark):
    trials = _cells(tiny_run)[("pool", None)]
    pids = {t["pid"] for t in trials}
    assert os.getpid() not in pids and len(pids) <= 2
    task_cpus = spark.sparkContext.getConf().get("spark.task.cpus", "1")
    assert all(t["omp_num_threads"] == task_cpus for t in trials)
    # n_jobs=0 sleeps with OMP_NUM_THREADS busy threads: the pool saw the executors' value
    assert all(t["model_threads_effective"] == int(task_cpus) for t in trials)


def test_hyperopt_is_unpatched_after_the_run(tiny_run):
    import hyperopt.spark

    assert not variants.patched()
    assert hyperopt.spark._SparkFMinState.__name__ == "_SparkFMinState"
    assert sys.modules["hyperopt.fmin"].time is time and hyperopt.spark.time is time


def test_patch_is_undone_after_an_exception_inside_fmin(spark):
    from hyperopt import fmin, hp

    trials = variants.variant_spark_trials_class()(parallelism=2, spark_session=spark,
                                                   variant="tuned")
    real_session = trials._spark
    seen = {}

    def failing_algo(new_ids, domain, trials_, seed, *args, **kwargs):
        seen["patched"] = variants.patched()
        seen["proxied"] = trials._spark is not real_session
        raise RuntimeError("boom inside the cell")

    with pytest.raises(RuntimeError, match="boom"):
        fmin(lambda p: 0.0, {"x": hp.uniform("x", 0, 1)}, algo=failing_algo, max_evals=2,
             trials=trials, show_progressbar=False)
    assert seen == {"patched": True, "proxied": True}
    assert not variants.patched()
    assert trials._spark is real_session
    assert getattr(variants._local, "poll_s", None) is None


def test_tuned_spark_trials_in_a_notebook(spark):
    from hyperopt import STATUS_OK, fmin, hp, tpe

    from bench.tuned import TunedSparkTrials
    from hyperopt.spark import SparkTrials

    def objective(params):
        return {"loss": params["x"] ** 2, "status": STATUS_OK, "pid": os.getpid()}

    trials = TunedSparkTrials(parallelism=2, spark_session=spark)
    assert isinstance(trials, SparkTrials)
    warmed = trials.prewarm(objective)
    assert warmed.workers >= 1 and os.getpid() not in warmed.pids
    t0 = time.perf_counter()
    fmin(objective, {"x": hp.uniform("x", -1, 1)}, algo=tpe.suggest, max_evals=4,
         trials=trials, show_progressbar=False)
    wall = time.perf_counter() - t0
    results = [t["result"] for t in trials.trials]
    assert len(results) == 4 and all(r["status"] == "ok" for r in results)
    assert all(r["pid"] != os.getpid() for r in results)
    # the first trials took the workers started before fmin: no fresh interpreter
    assert {r["pid"] for r in results} <= set(warmed.pids), (warmed.pids, results)
    assert not variants.patched()
    print(f"TunedSparkTrials: 4 trials in {wall:.2f} s")


def test_variant_refuses_an_unknown_hyperopt_code_shape(spark, monkeypatch, tmp_path):
    monkeypatch.setattr(variants, "_source", lambda obj: "")
    for name in ("reuse", "fastpoll", "tuned"):
        with pytest.raises(BenchError, match=rf"variant '{name}': installed hyperopt "
                                             rf"{variants.hyperopt_version()}"):
            variants.check_shape(name)
    variants.check_shape("stock")  # nothing patched, nothing to check
    variants.check_shape("queue")
    with pytest.raises(BenchError, match="code shape"):
        variants.variant_spark_trials_class()(parallelism=2, spark_session=spark,
                                              variant="tuned")
    text = TINY.replace('"name": "tiny_variants"', '"name": "refused"')
    with pytest.raises(BenchError, match="Refusing rather than measuring stock"):
        runner.run(write_scenario(tmp_path, text), spark=spark,
                   results_dir=tmp_path / "results", quiet=True)
    assert not variants.patched()


# --- pure parts: grid, scenario, points ----------------------------------------------------
def _settings(text: str, tmp_path):
    return scenario.load(write_scenario(tmp_path, text), "quick").settings


def test_grid_gives_each_variant_its_cell_and_queue(tmp_path):
    settings = _settings(TINY, tmp_path)
    cells = grid.cells_of_repeat(settings, 0)
    spark = {c.variant: c for c in cells if c.mode == "spark"}
    assert spark["stock"].cell_id == "sleep.spark.p2q1.nj0.e4.r0"  # unchanged for stock
    assert spark["tuned"].cell_id == "sleep.spark.p2q2.tuned.nj0.e4.r0"
    assert spark["queue"].max_queue_len == 2 and spark["fastpoll"].max_queue_len == 1
    pool = [c for c in cells if c.mode == "pool"]
    assert [c.cell_id for c in pool] == ["sleep.pool.p2.nj0.e4.r0"]


def test_sleep_length_is_a_grid_axis(tmp_path):
    text = TINY.replace('"sleep": {"seconds": 0.05}', '"sleep": {"seconds": [0.05, 1]}')
    settings = _settings(text, tmp_path)
    assert [w["name"] for w in settings["workloads"]] == ["sleep_0.05s", "sleep_1s"]
    from bench import workloads

    fn, _ = workloads.build(settings["workloads"][1], settings, None)
    assert fn.seconds == 1


@pytest.mark.parametrize("change, message", [
    ('"points": "shared"', "modes: 'pool' evaluates pre-drawn points"),
    ('"variants": ["stock", "queue", "reuse", "fastpoll", "tuned"]', "unknown variant 'fast'"),
])
def test_bad_variant_settings_are_refused(tmp_path, change, message):
    bad = {'"points": "shared"': '"points": "search"',
           '"variants": ["stock", "queue", "reuse", "fastpoll", "tuned"]': '"variants": ["fast"]'}
    with pytest.raises(BenchError, match=message):
        _settings(TINY.replace(change, bad[change]), tmp_path)


def test_shared_points_are_deterministic_and_replayed_in_order():
    from hyperopt import Trials, fmin, hp

    space = {"a": hp.uniform("a", 0, 1), "b": hp.choice("b", [1, 2, 3])}
    drawn = points.draw(space, 5, seed=3)
    assert drawn == points.draw(space, 5, seed=3) and drawn != points.draw(space, 5, seed=4)
    seen = []
    trials = Trials()
    fmin(lambda p: seen.append(p) or 0.0, space, algo=points.Replay(drawn), max_evals=5,
         trials=trials, show_progressbar=False)
    assert [t["misc"]["vals"] for t in trials.trials] == drawn
    assert len(seen) == 5


def test_cells_record_which_trials_shared_python_workers(tiny_run):
    from bench.analysis import load_run
    from bench.report.cure import shared_workers_lines

    cells = tiny_run.committed().cells
    shared = {(c["mode"], c["variant"]): c["shared_workers"] for c in cells}
    assert shared == {("serial", None): True, ("pool", None): True,
                      ("spark", "stock"): False, ("spark", "queue"): False,
                      ("spark", "fastpoll"): False, ("spark", "reuse"): True,
                      ("spark", "tuned"): True}
    text = " ".join(shared_workers_lines(load_run(tiny_run.path).cells))
    assert "2 spark cells (1 reuse, 1 tuned) and 1 pool cells ran their trials in Python " \
           "processes shared" in text
    assert "other 3 spark cells (1 fastpoll, 1 queue, 1 stock) gave every trial a fresh" in text
    # older records without the field: what their mode and variant imply
    old = load_run(tiny_run.path).cells.drop(columns=["shared_workers"])
    assert " ".join(shared_workers_lines(old)) == text
