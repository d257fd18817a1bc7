"""One timed fmin window (bench.fmin_window) for the runner's cells and bench.observe's calls:
what it records for a call that returned, failed or was interrupted; both callers use it and
the job-group placement of bench.modes; and Ctrl-C cancels a spark call's running trials."""
from __future__ import annotations

import ast
import os
import signal
import threading
import time

import numpy as np
import pytest

from bench.fmin_window import INTERRUPTED, FminWindow
from tests.test_layers import BENCH, Graph

CELL = {"cell_id": "w.serial.native.njNone.e3.r0", "mode": "serial", "workload": "w",
        "parallelism": None, "max_queue_len": 1, "n_jobs": None, "max_evals": 3, "repeat": 0,
        "condition": "native", "order": 0}


def _fmin(fn, trials, clock, evals=3):
    from hyperopt import fmin, hp

    return fmin(fn=fn, space={"x": hp.uniform("x", 0, 1)}, algo=clock, max_evals=evals,
                trials=trials, rstate=np.random.default_rng(0), show_progressbar=False)


def _window_call(fn, keep_failure=False):
    """(window, what timed() let through, cell record, trial records) of one serial call."""
    from hyperopt import Trials, hp, rand

    from bench.collect import SuggestClock

    trials, clock = Trials(), SuggestClock(rand.suggest)
    window = FminWindow("run-1", CELL)
    raised = None
    try:
        with window.timed(keep_failure=keep_failure):
            _fmin(fn, trials, clock)
    except BaseException as exc:  # noqa: BLE001 - what the window let through is the point
        raised = exc
    cell, records = window.record(trials, clock, {"x": hp.uniform("x", 0, 1)})
    return window, raised, cell, records


def test_a_returned_call_is_one_cell_of_its_trials():
    window, raised, cell, records = _window_call(lambda p: p["x"])
    assert raised is None and cell["error"] is None
    assert cell["wall_s"] == window.wall > 0 and cell["start_ts"] == window.start_ts
    assert cell["end_ts"] == pytest.approx(cell["start_ts"] + cell["wall_s"])
    assert (cell["trials_ok"], cell["trials_failed"], len(records)) == (3, 0, 3)
    assert cell["best_loss"] == min(r["loss"] for r in records)
    assert cell["spark_job_group"] is None and not cell["emulated"]
    # a trial starts after the window opened and is recorded before it closed
    assert all(cell["start_ts"] <= r["suggest_ts"] <= cell["end_ts"] for r in records)


def _failing_on_second_call():
    calls = []

    def objective(params):
        calls.append(params)
        if len(calls) == 2:
            raise RuntimeError("disk full\nsecond line")
        return params["x"]
    return objective


def test_a_failed_call_is_recorded_and_raised_unless_kept():
    window, raised, cell, _ = _window_call(_failing_on_second_call())
    assert isinstance(raised, RuntimeError)  # bench.observe: the caller sees its exception
    assert cell["error"] == window.error == "RuntimeError: disk full"
    assert cell["trials_ok"] == 1 and cell["wall_s"] > 0
    window, raised, cell, _ = _window_call(_failing_on_second_call(), keep_failure=True)
    assert raised is None and cell["error"] == "RuntimeError: disk full"  # the runner goes on


def test_an_interrupted_call_is_recorded_and_always_raised():
    def interrupted(params):
        raise KeyboardInterrupt

    window, raised, cell, _ = _window_call(interrupted, keep_failure=True)
    assert isinstance(raised, KeyboardInterrupt) and cell["error"] == INTERRUPTED


def test_runner_and_observe_share_the_window_and_the_placement():
    """Both time fmin through FminWindow and place spark trials with modes.under_job_group;
    observe reaches neither the runner nor the orchestration above it."""
    graph = Graph(BENCH)
    for module in ("bench.runner", "bench.observe"):
        assert "bench.fmin_window" in graph.edges[module], module
    todo, seen = ["bench.observe"], set()
    while todo:
        mod = todo.pop()
        if mod not in seen:
            seen.add(mod)
            todo += graph.edges[mod]
    assert "bench.runner" not in seen and "bench.sessions" not in seen
    for name in ("runner.py", "observe.py"):
        text = (BENCH / name).read_text(encoding="utf-8")
        assert "perf_counter" not in ast.unparse(_fmin_code(text)), name
        assert "spark.jobGroup.id" not in text and "cancelJobGroup" not in text, name
    placing = [p.relative_to(BENCH).as_posix() for p in BENCH.rglob("*.py")
               if 'setLocalProperty("spark.jobGroup.id"' in p.read_text(encoding="utf-8")]
    assert placing == ["modes.py"]


def _fmin_code(text: str) -> ast.AST:
    """The functions that call fmin (run_cell, Observation.fmin)."""
    tree = ast.parse(text)
    found = [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
             and f.name in ("run_cell", "fmin")]
    assert found
    return ast.Module(body=found, type_ignores=[])


def test_ctrl_c_cancels_an_observed_spark_calls_running_trials(spark, tmp_path):
    """Ctrl-C in a spark fmin: the call's job group is cancelled (its running trial is not
    waited for), the call is recorded as interrupted, and the interrupt reaches the caller."""
    import bench
    from hyperopt import SparkTrials, hp, rand

    started = tmp_path / "started"

    def slow(params, marker=str(started)):
        import os as os_
        import time as time_

        with open(marker, "w") as fh:
            fh.write(str(os_.getpid()))
        time_.sleep(60)
        return params["x"]

    def interrupt_when_started():
        while not started.exists():
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_started, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        with bench.observe("interrupted", results_dir=tmp_path / "results") as obs:
            obs.fmin(fn=slow, space={"x": hp.uniform("x", 0, 1)}, algo=rand.suggest,
                     max_evals=2, trials=SparkTrials(parallelism=1, spark_session=spark),
                     show_progressbar=False)
    assert int(started.read_text()) != os.getpid()  # the trial ran in a Spark Python worker
    from bench.storage import RunFolder

    folder = RunFolder(obs.path)
    (cell,) = folder.committed().cells
    assert cell["error"] == INTERRUPTED and cell["spark_job_group"] == cell["cell_id"]
    tracker = spark.sparkContext.statusTracker()
    jobs = [tracker.getJobInfo(j) for j in tracker.getJobIdsForGroup(cell["cell_id"])]
    # cancelled, not waited for: the 60 s trial's job did not succeed
    assert jobs and all(j.status != "SUCCEEDED" for j in jobs), [j.status for j in jobs]
    assert folder.read_manifest().status == "interrupted"
