"""Event-log parse speed on a generated log of 20,000 SparkTrials-shaped tasks.

Not collected by default (the file name does not start with test_). Run with:

    python -m pytest tests/bench_eventlog.py -o addopts="" --benchmark-only

Each task comes with the events SparkTrials produces around it (job start, stage submitted,
task start, task end, stage completed, job end), built from the real fixture log's lines with
the stage details Spark writes put back, so lines have their real sizes (~1-3 KB).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from bench.eventlog import read_eventlog

FIXTURE = Path(__file__).parent / "fixtures" / "eventlogs" / "sparktrials_local.jsonl"
N_TASKS = 20_000
TASKS_PER_CELL = 50
#: Spark writes the call site of each stage as "Details"; the fixture drops it.
DETAILS = "org.apache.spark.api.python.PythonRDD.collectAndServe(PythonRDD.scala)\n" * 16


def _templates() -> dict:
    first = {}
    for line in FIXTURE.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        first.setdefault(event["Event"], event)
    return first


def make_log(path: Path, n_tasks: int) -> int:
    """Write a plain event log with n_tasks one-task jobs; returns its size in bytes."""
    t = _templates()
    dumps = lambda e: json.dumps(e, separators=(",", ":"))  # noqa: E731 - Spark's layout
    out = [dumps(t[k]) for k in ("SparkListenerLogStart", "SparkListenerApplicationStart",
                                 "SparkListenerExecutorAdded")]
    base_ms = t["SparkListenerApplicationStart"]["Timestamp"]
    for i in range(n_tasks):
        ms = base_ms + 10 * i
        job = copy.deepcopy(t["SparkListenerJobStart"])
        job.update({"Job ID": i, "Submission Time": ms, "Stage IDs": [i]})
        job["Stage Infos"][0].update({"Stage ID": i, "Details": DETAILS})
        job["Properties"]["spark.jobGroup.id"] = f"cell-{i // TASKS_PER_CELL}"
        stage = copy.deepcopy(t["SparkListenerStageSubmitted"])
        stage["Stage Info"].update({"Stage ID": i, "Details": DETAILS})
        start = copy.deepcopy(t["SparkListenerTaskStart"])
        start["Stage ID"] = i
        start["Task Info"].update({"Task ID": i, "Launch Time": ms + 1})
        end = copy.deepcopy(t["SparkListenerTaskEnd"])
        end["Stage ID"] = i
        end["Task Info"].update({"Task ID": i, "Launch Time": ms + 1, "Finish Time": ms + 9})
        done = copy.deepcopy(t["SparkListenerStageCompleted"])
        done["Stage Info"].update({"Stage ID": i, "Details": DETAILS})
        job_end = dict(t["SparkListenerJobEnd"], **{"Job ID": i, "Completion Time": ms + 10})
        out += [dumps(e) for e in (job, stage, start, end, done, job_end)]
    out.append(dumps(t["SparkListenerApplicationEnd"]))
    text = "\n".join(out) + "\n"
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


@pytest.fixture(scope="module")
def big_log(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench-eventlog") / "app-bench"
    return path, make_log(path, N_TASKS)


def test_parse_speed(benchmark, big_log):
    path, size = big_log
    parsed = benchmark.pedantic(read_eventlog, args=(path,), rounds=5, iterations=1)
    assert len(parsed.tasks) == N_TASKS and parsed.complete
    assert parsed.tasks[-1]["job_group"] == f"cell-{(N_TASKS - 1) // TASKS_PER_CELL}"
    seconds = benchmark.stats.stats.median
    benchmark.extra_info.update({
        "tasks": N_TASKS, "lines": 6 * N_TASKS + 4, "megabytes": round(size / 1e6, 1),
        "task_events_per_s": round(2 * N_TASKS / seconds),  # task start + task end
        "tasks_per_s": round(N_TASKS / seconds),
    })
