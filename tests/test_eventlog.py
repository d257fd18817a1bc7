"""Event-log parsing and the task-to-trial join, on logs written by a real SparkTrials run
(tests/fixtures/eventlogs/make_fixtures.py regenerates them)."""
from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from bench.errors import BenchError
from bench.eventlog import (
    RECORD_FIELDS, find_eventlogs, getting_result_ms, read_eventlog, scheduler_delay_ms)
from bench.ingest import join_tasks, parse_run_eventlog, read_run_eventlogs, trials_without_task
from bench.model import SparkTaskRecord
from bench.storage import RunFolder, append_jsonl
from tests.fixture_records import manifest

FIXTURES = Path(__file__).parent / "fixtures" / "eventlogs"
PLAIN = FIXTURES / "sparktrials_local.jsonl"
TORN = FIXTURES / "sparktrials_local_torn.jsonl"
TRIALS = json.loads((FIXTURES / "sparktrials_local_trials.json").read_text(encoding="utf-8"))
(ZSTD_DIR,) = sorted((FIXTURES / "sparktrials_zstd").iterdir())
GROUP = TRIALS[0]["cell_id"]


def _raw_events(path: Path, kind: str) -> list[dict]:
    return [e for e in map(json.loads, path.read_text(encoding="utf-8").splitlines())
            if e["Event"] == kind]


# --------------------------------------------------------------------------- one log

def test_every_task_of_the_fixture_is_read():
    log = read_eventlog(PLAIN)
    assert log.complete and log.notes() == []
    assert log.spark_version == "4.3.0" and log.app_id.startswith("local-")
    assert sorted(t["task_attempt_id"] for t in log.tasks) == [0, 1, 2, 3]
    assert {t["job_group"] for t in log.tasks} == {GROUP}
    assert {t["executor_id"] for t in log.tasks} == {"driver"}
    assert all(t["successful"] for t in log.tasks)
    assert [e["executor_id"] for e in log.executors] == ["driver"]


def test_task_fields_match_the_raw_events():
    log = read_eventlog(PLAIN)
    raw = {e["Task Info"]["Task ID"]: e for e in _raw_events(PLAIN, "SparkListenerTaskEnd")}
    jobs = {e["Job ID"]: e for e in _raw_events(PLAIN, "SparkListenerJobStart")}
    ends = {e["Job ID"]: e for e in _raw_events(PLAIN, "SparkListenerJobEnd")}
    for task in log.tasks:
        event = raw[task["task_attempt_id"]]
        info, metrics = event["Task Info"], event["Task Metrics"]
        assert task["stage_id"] == event["Stage ID"]
        assert event["Stage ID"] in jobs[task["job_id"]]["Stage IDs"]
        assert task["job_submit_ts"] == jobs[task["job_id"]]["Submission Time"] / 1000
        assert task["job_end_ts"] == ends[task["job_id"]]["Completion Time"] / 1000
        assert task["launch_ts"] == info["Launch Time"] / 1000
        assert task["finish_ts"] == info["Finish Time"] / 1000
        assert task["job_submit_ts"] <= task["launch_ts"] < task["finish_ts"] <= task["job_end_ts"]
        assert task["run_s"] == metrics["Executor Run Time"] / 1000
        assert task["deserialize_s"] == metrics["Executor Deserialize Time"] / 1000
        assert task["cpu_s"] == pytest.approx(metrics["Executor CPU Time"] / 1e9)
        assert task["result_serialize_s"] == metrics["Result Serialization Time"] / 1000
        assert task["gc_s"] == metrics["JVM GC Time"] / 1000
        assert task["host"] == info["Host"]
        duration_ms = info["Finish Time"] - info["Launch Time"]
        expected = duration_ms - metrics["Executor Run Time"] - metrics[
            "Executor Deserialize Time"] - metrics["Result Serialization Time"]
        assert task["scheduler_delay_s"] == pytest.approx(max(0, expected) / 1000)


def test_lines_in_another_json_layout_give_the_same_tasks(tmp_path):
    """The fast path reads Spark's compact layout; any other layout is decoded in full."""
    spaced = tmp_path / "spaced"
    spaced.write_text("".join(json.dumps(json.loads(line)) + "\n"
                              for line in PLAIN.read_text(encoding="utf-8").splitlines()),
                      encoding="utf-8")
    assert read_eventlog(spaced).tasks == read_eventlog(PLAIN).tasks


def test_scheduler_delay_is_computed_as_the_spark_ui_does():
    # duration 100 = run 60 + deserialize 10 + serialize 5 + delay 25
    assert scheduler_delay_ms(1000, 1100, 0, 10, 60, 5) == 25
    # a remotely fetched result: fetching started at 1090, so 10 ms were getting the result
    assert getting_result_ms(1100, 1090) == 10
    assert scheduler_delay_ms(1000, 1100, 1090, 10, 60, 5) == 15
    assert scheduler_delay_ms(1000, 1050, 0, 10, 60, 5) == 0  # never negative


def test_failed_task_is_read_and_marked_unsuccessful(tmp_path):
    lines = PLAIN.read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        event = json.loads(line)
        if event["Event"] == "SparkListenerTaskEnd" and event["Task Info"]["Task ID"] == 2:
            event["Task End Reason"] = {"Reason": "ExceptionFailure", "Class Name": "E",
                                        "Description": '"Accumulables":[ in a message',
                                        "Stack Trace": [], "Accumulator Updates": []}
            event["Task Info"]["Failed"] = True
        out.append(json.dumps(event, separators=(",", ":")))
    path = tmp_path / "failed"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    tasks = {t["task_attempt_id"]: t for t in read_eventlog(path).tasks}
    assert tasks[2]["successful"] is False and tasks[2]["end_reason"] == "ExceptionFailure"
    assert all(tasks[i]["successful"] for i in (0, 1, 3))


def test_torn_last_line_is_skipped_and_reported():
    log = read_eventlog(TORN)
    n_lines = len(TORN.read_text(encoding="utf-8").splitlines())
    assert log.bad_lines == [(TORN.name, n_lines)]
    assert len(log.tasks) == 3  # the fourth task-end line is the torn one
    assert not log.complete
    notes = log.notes()
    assert any(f"line {n_lines}" in n and "torn" in n for n in notes)
    assert any("no application-end event" in n for n in notes)


def test_corrupt_line_in_the_middle_does_not_stop_the_parse(tmp_path):
    lines = PLAIN.read_text(encoding="utf-8").splitlines()
    cut = next(i for i, line in enumerate(lines) if "SparkListenerTaskEnd" in line)
    lines[cut] = lines[cut][: len(lines[cut]) // 2]  # half a line, then the next event
    path = tmp_path / "corrupt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = read_eventlog(path)
    assert log.bad_lines == [(path.name, cut + 1)]
    assert len(log.tasks) == 3 and log.app_end_ts is not None


def test_zstd_rolling_log_is_read():
    log = read_eventlog(ZSTD_DIR)
    assert log.complete
    assert len(log.tasks) == 2 and all(t["successful"] for t in log.tasks)
    assert log.app_id and ZSTD_DIR.name.endswith(log.app_id)


def test_zstd_log_cut_by_a_kill_keeps_what_decodes(tmp_path):
    (part,) = [p for p in ZSTD_DIR.iterdir() if p.name.startswith("events_")]
    whole = read_eventlog(ZSTD_DIR)
    raw = part.read_bytes()
    cut = tmp_path / part.name
    cut.write_bytes(raw[: int(len(raw) * 0.95)])
    log = read_eventlog(cut)
    assert log.stream_cut and not log.complete
    assert log.app_id == whole.app_id  # the start of the stream was decoded
    assert len(log.tasks) < len(whole.tasks)
    assert any("mid-stream" in n for n in log.notes())


def test_other_compression_codecs_get_a_clear_error(tmp_path):
    path = tmp_path / "app-1.lz4"
    path.write_bytes(b"\x04\x22\x4d\x18")
    with pytest.raises(BenchError, match="spark.eventLog.compress=false"):
        read_eventlog(path)


def test_missing_log_is_a_clear_error(tmp_path):
    with pytest.raises(BenchError, match="no such event log"):
        read_eventlog(tmp_path / "nothing")


# --------------------------------------------------------------------------- the join

def test_join_uses_task_attempt_ids_not_order():
    tasks = read_eventlog(PLAIN).tasks
    joined = join_tasks(tasks, TRIALS)
    attempt_of = {t["tid"]: t["spark_task_attempt_id"] for t in TRIALS}
    assert sorted(t["tid"] for t in joined) == [0, 1, 2, 3]
    assert all(t["task_attempt_id"] == attempt_of[t["tid"]] for t in joined)
    assert all(t["cell_id"] == GROUP for t in joined)
    # joining by position would have been wrong for this run
    assert [t["tid"] for t in joined] != list(range(len(joined)))
    assert trials_without_task(joined, TRIALS) == []


def test_joined_records_have_exactly_the_model_fields():
    joined = join_tasks(read_eventlog(PLAIN).tasks, TRIALS)
    for record in joined:
        assert tuple(record) == RECORD_FIELDS
        assert SparkTaskRecord.from_dict(record).to_dict() == record


def test_mismatched_job_group_is_not_joined():
    trials = [dict(t, cell_id="some-other-cell") for t in TRIALS]
    joined = join_tasks(read_eventlog(PLAIN).tasks, trials)
    assert len(joined) == 4
    assert all(t["cell_id"] is None and t["tid"] is None for t in joined)
    assert all(t["job_group"] == GROUP for t in joined)  # the task keeps its own group
    assert len(trials_without_task(joined, trials)) == 4


def test_trials_without_a_task_id_are_left_alone():
    trials = [dict(t, spark_task_attempt_id=None) for t in TRIALS]
    joined = join_tasks(read_eventlog(PLAIN).tasks, trials)
    assert all(t["tid"] is None for t in joined)
    assert trials_without_task(joined, trials) == []  # serial trials: nothing to join


def test_two_trials_claiming_one_task_join_neither():
    trials = TRIALS + [dict(TRIALS[0], tid=99)]
    joined = join_tasks(read_eventlog(PLAIN).tasks, trials)
    claimed = TRIALS[0]["spark_task_attempt_id"]
    assert [t["tid"] for t in joined if t["task_attempt_id"] == claimed] == [None]
    assert sorted(t["tid"] for t in joined if t["tid"] is not None) == [1, 2, 3]


def test_same_task_id_in_two_applications_is_settled_by_the_trial_clock():
    """Task ids restart in every Spark application; a cell re-run after a resume can reuse one."""
    first = {"job_group": "c", "task_attempt_id": 0, "launch_ts": 100.0, "finish_ts": 101.0}
    second = {"job_group": "c", "task_attempt_id": 0, "launch_ts": 500.0, "finish_ts": 502.0}
    trial = {"cell_id": "c", "tid": 7, "spark_task_attempt_id": 0, "start_ts": 500.4}
    joined = join_tasks([first, second], [trial])
    assert [t["tid"] for t in joined] == [None, 7]
    no_clock = join_tasks([first, second], [dict(trial, start_ts=None)])
    assert [t["tid"] for t in no_clock] == [None, None]


def test_a_task_that_ran_at_another_time_is_not_joined():
    """Same cell and task id but the trial started minutes away: a task of another
    application whose own task is missing from the logs."""
    task = {"job_group": "c", "task_attempt_id": 0, "launch_ts": 100.0, "finish_ts": 101.0}
    trial = {"cell_id": "c", "tid": 7, "spark_task_attempt_id": 0}
    assert join_tasks([task], [dict(trial, start_ts=400.0)])[0]["tid"] is None
    assert join_tasks([task], [dict(trial, start_ts=100.5)])[0]["tid"] == 7
    assert join_tasks([task], [trial])[0]["tid"] == 7  # no probe clock: the ids decide


@pytest.mark.parametrize("skew", [-3.0, 3.0])
def test_join_checks_time_on_the_driver_clock_so_executor_skew_does_not_matter(skew):
    """launch/finish and book/refresh are all driver stamps; the probe's start is the
    executor's clock, 3 s away on a skewed host."""
    task = {"job_group": "c", "task_attempt_id": 0, "launch_ts": 100.0, "finish_ts": 101.5}
    trial = {"cell_id": "c", "tid": 7, "spark_task_attempt_id": 0, "book_ts": 99.9,
             "refresh_ts": 101.6, "start_ts": 100.8 + skew}
    assert join_tasks([task], [trial])[0]["tid"] == 7
    other_app = dict(task, launch_ts=400.0, finish_ts=401.5)  # same ids, another time
    assert join_tasks([other_app], [trial])[0]["tid"] is None
    assert join_tasks([other_app], [dict(trial, start_ts=400.5)])[0]["tid"] is None


def test_parsed_tasks_carry_their_application_id():
    joined = join_tasks(read_eventlog(PLAIN).tasks, TRIALS)
    assert {t["app_id"] for t in joined} == {"local-1795858917789"}


# --------------------------------------------------------------------------- run folders

def _run_folder(tmp_path: Path, log_source: Path, log_name: str, trials: list[dict]) -> RunFolder:
    folder = RunFolder(tmp_path / "run-1").create(manifest("run-1", [], status="running"))
    folder.eventlog_dir.mkdir()
    shutil.copy(log_source, folder.eventlog_dir / log_name)
    folder.append_cell({"cell_id": GROUP, "mode": "spark"},
                       [dict(t, run_id="run-1", mode="spark") for t in trials])
    return folder


def test_run_folder_log_is_parsed_and_joined(tmp_path):
    folder = _run_folder(tmp_path, PLAIN, "local-1795858756486", TRIALS)
    records = parse_run_eventlog(folder)
    assert len(records) == 4
    assert {r["run_id"] for r in records} == {"run-1"}
    assert sorted(r["tid"] for r in records) == [0, 1, 2, 3]


def test_run_executors_are_recorded_for_placement(tmp_path):
    from bench.ingest import collect_spark_tasks
    from bench.storage import SPARK_EXECUTORS, read_jsonl

    folder = _run_folder(tmp_path, PLAIN, "local-1795858756486", TRIALS)
    assert collect_spark_tasks(folder) == 4
    (ex,) = read_jsonl(folder.path / SPARK_EXECUTORS).records
    assert (ex["executor_id"], ex["cores"], ex["app_id"], ex["run_id"]) == \
        ("driver", 2, "local-1795858917789", "run-1")
    assert ex["added_ts"] == pytest.approx(1795858917.891) and ex["removed_ts"] is None
    # clock offsets are derived when the run is read (bench.analysis.clocks), not stored
    assert sorted(p.name for p in folder.path.iterdir() if p.is_file()) == [
        "cells.jsonl", "manifest.json", "spark_executors.jsonl", "spark_tasks.jsonl",
        "trials.jsonl"]


def test_inprogress_log_of_a_killed_run_is_read_and_the_tear_reported(tmp_path, caplog):
    folder = _run_folder(tmp_path, TORN, "local-1795858756486.inprogress", TRIALS)
    with caplog.at_level(logging.WARNING, logger="bench.ingest"):
        records = parse_run_eventlog(folder.path)
    assert len(records) == 3 and all(r["tid"] is not None for r in records)
    assert any("torn" in m for m in caplog.messages)
    (log,) = read_run_eventlogs(folder)
    assert log.path.name.endswith(".inprogress") and log.bad_lines


def test_trials_of_unfinished_cells_are_not_joined(tmp_path):
    folder = _run_folder(tmp_path, PLAIN, "local-1", TRIALS)
    append_jsonl(folder.trials_path, [dict(TRIALS[0], cell_id="killed-cell", run_id="run-1")])
    records = parse_run_eventlog(folder)
    assert {r["cell_id"] for r in records} == {GROUP}


def test_rolling_log_folder_in_a_run_is_found(tmp_path):
    folder = RunFolder(tmp_path / "run-2").create(manifest("run-2", []))
    folder.eventlog_dir.mkdir()
    shutil.copytree(ZSTD_DIR, folder.eventlog_dir / ZSTD_DIR.name)
    (folder.eventlog_dir / ".hidden.crc").write_bytes(b"")
    assert find_eventlogs(folder.eventlog_dir) == [folder.eventlog_dir / ZSTD_DIR.name]
    records = parse_run_eventlog(folder)
    assert len(records) == 2 and all(r["cell_id"] is None for r in records)  # no trials


def test_run_without_an_eventlog_is_a_clear_error(tmp_path):
    folder = RunFolder(tmp_path / "run-3").create(manifest("run-3", []))
    with pytest.raises(BenchError, match="no Spark event log found"):
        parse_run_eventlog(folder)
