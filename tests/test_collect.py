"""Driver-side conversion of hyperopt trial documents into records (pure)."""
from __future__ import annotations

import datetime as dt

import math

import pandas as pd

from bench.analysis.clocks import correct_clocks
from bench.analysis.frames import trials_frame
from bench.collect import SuggestClock, epoch, trial_record

CELL = {"cell_id": "rf.spark.p2q2.njNone.e4.r0", "mode": "spark", "workload": "rf",
        "parallelism": 2, "max_queue_len": 2, "n_jobs": None, "max_evals": 4, "repeat": 0,
        "condition": "native"}


def doc(state=2, result=None, error=None):
    base = dt.datetime(2026, 1, 1, 12, 0, 0)
    return {"tid": 3, "state": state, "result": result or {"status": "new"},
            "misc": {"vals": {"x": [0.5]}, **({"error": error} if error else {})},
            "book_time": base, "refresh_time": base + dt.timedelta(seconds=3.5)}


def test_epoch_treats_naive_stamps_as_utc():
    naive = dt.datetime(2026, 1, 1, 0, 0, 0)
    assert epoch(naive) == dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).timestamp()
    assert epoch(None) is None and epoch(12.5) == 12.5


def _split(suggest_ts, book_ts, start_ts=None, end_ts=None, refresh_ts=None) -> dict:
    row = pd.DataFrame([{"mode": "serial", "hostname": "h", "suggest_ts": suggest_ts,
                         "book_ts": book_ts, "start_ts": start_ts, "end_ts": end_ts,
                         "refresh_ts": refresh_ts}])
    out = correct_clocks(row).iloc[0]
    return {k: out[k] for k in ("wait_dispatch_s", "dispatch_to_start_s", "return_s")}


def test_latency_split_known_numbers():
    s = _split(suggest_ts=100.0, book_ts=101.0, start_ts=102.25, end_ts=103.0, refresh_ts=103.5)
    assert s == {"wait_dispatch_s": 1.0, "dispatch_to_start_s": 1.25, "return_s": 0.5}
    # millisecond truncation of hyperopt's stamps never shows as a negative wait
    assert _split(100.0004, 100.0)["wait_dispatch_s"] == 0.0
    # a larger negative gap (clock skew between hosts) is kept visible
    assert _split(100.5, 100.0)["wait_dispatch_s"] == -0.5
    assert math.isnan(_split(None, 1.0)["wait_dispatch_s"])


def test_ok_trial_carries_probe_and_split():
    start = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.timezone.utc).timestamp()
    probe = {"start_ts": start + 1.0, "end_ts": start + 3.0, "objective_s": 2.0, "cpu_s": 1.0,
             "effective_cores": 0.5, "peak_threads": 7, "omp_num_threads": "1", "pid": 42,
             "spark_task_attempt_id": 9, "thread_env": {"OMP_NUM_THREADS": "1"}}
    rec = trial_record(doc(result={"status": "ok", "loss": 1.5, "probe": probe}), CELL, "run",
                       suggest_ts=start - 0.5, params={"x": 0.5})
    assert (rec.status, rec.loss, rec.tid, rec.pid, rec.spark_task_attempt_id) == ("ok", 1.5, 3, 42, 9)
    split = trials_frame([rec.to_dict()]).iloc[0]  # derived on read, not stored
    assert (split["wait_dispatch_s"], split["dispatch_to_start_s"], split["return_s"]) == \
        (0.5, 1.0, 0.5)
    assert "dispatch_to_start_s" not in rec.to_dict()
    assert rec.cell_id == CELL["cell_id"] and rec.parallelism == 2 and rec.omp_num_threads == "1"


def test_failed_and_errored_trials():
    failed = trial_record(doc(result={"status": "fail", "error": "ValueError: bad", "probe": {}}),
                          CELL, "run", None, {})
    assert failed.status == "fail" and failed.loss is None and failed.error == "ValueError: bad"
    errored = trial_record(doc(state=3, error=("<class 'Py4JError'>", "Traceback...\nPy4JError: lost")),
                           CELL, "run", None, {})
    assert errored.status == "error" and errored.error == "Py4JError: lost"


def test_suggest_clock_stamps_each_new_trial_once():
    clock = SuggestClock(lambda ids, domain, trials, seed: [{"tid": i} for i in ids])
    clock([0, 1], None, None, 0)
    first = dict(clock.suggested)
    clock([1, 2], None, None, 0)
    assert set(clock.suggested) == {0, 1, 2} and clock.suggested[1] == first[1]


PYTHON_WORKER_FAILURE = (
    "\n  An exception was thrown from the Python worker. Please see the stack trace below.\n"
    "Traceback (most recent call last):\n"
    '  File "/venv/pyspark/worker.py", line 2047, in main\n'
    "    func, profiler, deserializer, serializer = read_command(pickleSer, infile)\n"
    "ModuleNotFoundError: No module named 'bench_scenario_scn_1a2b3c4d'\n")
JOB_ABORTED = (
    "An error occurred while calling o57.collectAndServe.\n"
    ": org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 2.0 "
    "failed 1 times, most recent failure: Lost task 0.0 in stage 2.0 (TID 2): "
    "ExecutorLostFailure (executor 1 exited) Reason: Command exited with code 137\n"
    "\tat org.apache.spark.scheduler.DAGScheduler.failJobAndIndependentStages(DAGScheduler.scala:2856)\n")


def test_failure_line_finds_what_went_wrong_in_spark_exception_text():
    from bench.collect import failure_line

    assert failure_line(PYTHON_WORKER_FAILURE) == \
        "ModuleNotFoundError: No module named 'bench_scenario_scn_1a2b3c4d'"
    assert failure_line(JOB_ABORTED).startswith(
        ": org.apache.spark.SparkException: Job aborted due to stage failure")


def test_spark_task_errors_replace_the_bare_class_name_hyperopt_keeps():
    import logging

    from bench.collect import SparkTaskErrors, trial_record

    logger = logging.getLogger(SparkTaskErrors.LOGGER)
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # silenced, as the runner does: still captured
    with SparkTaskErrors() as errors:
        logger.error("trial task 3 failed, exception is {e}.\n {tb}".format(
            e=PYTHON_WORKER_FAILURE, tb=None))
    assert logger.level == logging.CRITICAL and not logger.filters
    logger.setLevel(level)
    doc = {"tid": 3, "state": 3, "misc": {"vals": {}, "error": (
        "<class 'pyspark.errors.exceptions.captured.PythonException'>", None)}}
    cell = {"cell_id": "c", "mode": "spark", "workload": "w", "parallelism": 2,
            "max_queue_len": 1, "n_jobs": None, "max_evals": 4, "repeat": 0}
    rec = trial_record(doc, cell, "run", None, {}, errors.by_tid.get(3))
    assert rec.status == "error"
    assert rec.error == ("PythonException: ModuleNotFoundError: No module named "
                         "'bench_scenario_scn_1a2b3c4d'")
    assert "read_command" in rec.traceback
    bare = trial_record(doc, cell, "run", None, {}, None)
    assert bare.error == "PythonException: (Spark gave no message)"
