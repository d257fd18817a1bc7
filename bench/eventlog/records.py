"""Spark event-log events as records: one per task (SparkTaskRecord) and per executor.

The event log is the only place where Spark's own view of each trial (when its task was
launched, how long it waited for the scheduler, how long the executor ran it) is written down.
Only the events named in WANTED_EVENTS are decoded, and the two read for every task only in
the slices the records need.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..errors import BenchError
from ..model import SparkExecutorRecord, SparkTaskRecord
from .files import log_parts, part_lines

TASK_END = "SparkListenerTaskEnd"
JOB_START = "SparkListenerJobStart"
JOB_END = "SparkListenerJobEnd"
EXECUTOR_ADDED = "SparkListenerExecutorAdded"
EXECUTOR_REMOVED = "SparkListenerExecutorRemoved"
APP_START = "SparkListenerApplicationStart"
APP_END = "SparkListenerApplicationEnd"
LOG_START = "SparkListenerLogStart"
#: Events the parser reads; every other line is skipped without being decoded.
WANTED_EVENTS = frozenset({TASK_END, JOB_START, JOB_END, EXECUTOR_ADDED, EXECUTOR_REMOVED,
                           APP_START, APP_END, LOG_START})
_PREFIX = b'{"Event":"'
_WANTED_NAMES = {e.encode(): e for e in WANTED_EVENTS}
_decode = json.JSONDecoder().raw_decode  # str in, no encoding sniffing per line

#: Field names of a task record, in schema order: the data model decides what is written.
RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(SparkTaskRecord))
EXECUTOR_FIELDS = tuple(f.name for f in dataclasses.fields(SparkExecutorRecord))


@dataclass
class EventLog:
    """What one application's event log says about its tasks, jobs and executors."""

    path: Path
    app_id: Optional[str] = None
    app_name: Optional[str] = None
    spark_version: Optional[str] = None
    app_start_ts: Optional[float] = None
    app_end_ts: Optional[float] = None
    tasks: list = field(default_factory=list)      # one dict per task, see task_record()
    jobs: dict = field(default_factory=dict)       # job id -> job dict
    executors: list = field(default_factory=list)  # executor dicts in order of addition
    bad_lines: list = field(default_factory=list)  # (file name, 1-based line) not parseable
    stream_cut: bool = False                        # compressed stream ended mid-frame

    @property
    def complete(self) -> bool:
        """True when the application ended and every line could be read."""
        return self.app_end_ts is not None and not self.bad_lines and not self.stream_cut

    def notes(self) -> list[str]:
        """One line per problem found while reading, for the user."""
        out = [f"{self.path}: skipped unreadable line {n}"
               + ("" if name == self.path.name else f" of {name}")
               + " (torn by a kill or still being written)" for name, n in self.bad_lines]
        if self.stream_cut:
            out.append(f"{self.path}: compressed log ends mid-stream; its last events are lost")
        if self.app_end_ts is None:
            out.append(f"{self.path}: no application-end event; the application was killed "
                       f"or is still running")
        return out


def _ms(value) -> Optional[float]:
    """Epoch milliseconds -> epoch seconds; Spark writes 0 or -1 for 'never'."""
    return value / 1000.0 if isinstance(value, (int, float)) and value > 0 else None


def _dur(value) -> Optional[float]:
    return value / 1000.0 if isinstance(value, (int, float)) else None


def getting_result_ms(finish_ms: int, fetch_start_ms: int) -> int:
    """Time the driver spent fetching a large result (Spark's 'Getting Result Time' field is
    when the fetch started, 0 when the result came back with the status update)."""
    return finish_ms - fetch_start_ms if fetch_start_ms > 0 else 0


def scheduler_delay_ms(launch_ms: int, finish_ms: int, fetch_start_ms: int,
                       deserialize_ms: int, run_ms: int, serialize_ms: int) -> int:
    """Scheduler delay exactly as the Spark UI computes it (AppStatusUtils.schedulerDelay):
    task duration minus run, deserialize, result serialization and getting-result time."""
    duration = finish_ms - launch_ms
    getting = getting_result_ms(finish_ms, fetch_start_ms)
    return max(0, duration - run_ms - deserialize_ms - serialize_ms - getting)


def task_record(event: dict, job: Optional[dict], app_id: Optional[str]) -> dict:
    """A task-end event as a dict: every SparkTaskRecord field plus a few the model may add
    later (app_id, stage_attempt_id, attempt, getting_result_s, end_reason)."""
    info = event.get("Task Info") or {}
    metrics = event.get("Task Metrics") or {}
    reason = (event.get("Task End Reason") or {}).get("Reason")
    launch = info.get("Launch Time") or 0
    finish = info.get("Finish Time") or 0
    fetch_start = info.get("Getting Result Time") or 0
    deser = metrics.get("Executor Deserialize Time")
    run = metrics.get("Executor Run Time")
    ser = metrics.get("Result Serialization Time")
    cpu_ns = metrics.get("Executor CPU Time")
    delay = None
    if metrics and launch > 0 and finish > 0:
        delay = scheduler_delay_ms(launch, finish, fetch_start, deser or 0, run or 0,
                                   ser or 0) / 1000.0
    return {
        "run_id": None,
        "cell_id": None,
        "tid": None,
        "job_id": job["job_id"] if job else None,
        "job_group": job["job_group"] if job else None,
        "stage_id": event.get("Stage ID"),
        "task_attempt_id": info.get("Task ID"),
        "executor_id": info.get("Executor ID"),
        "host": info.get("Host"),
        "job_submit_ts": job["submit_ts"] if job else None,
        "job_end_ts": None,  # filled in when the job-end event is read
        "launch_ts": _ms(launch),
        "finish_ts": _ms(finish),
        "scheduler_delay_s": delay,
        "deserialize_s": _dur(deser),
        "run_s": _dur(run),
        "cpu_s": cpu_ns / 1e9 if isinstance(cpu_ns, (int, float)) else None,
        "result_serialize_s": _dur(ser),
        "gc_s": _dur(metrics.get("JVM GC Time")),
        "successful": reason == "Success" and not info.get("Failed") and not info.get("Killed"),
        "getting_result_s": getting_result_ms(finish, fetch_start) / 1000.0 if finish else None,
        "app_id": app_id,
        "stage_attempt_id": event.get("Stage Attempt ID"),
        "attempt": info.get("Attempt"),
        "end_reason": reason,
    }


def as_record(task: dict) -> dict:
    """Only the fields of SparkTaskRecord, in schema order (missing ones null)."""
    return {name: task.get(name) for name in RECORD_FIELDS}


def _event_name(line: bytes) -> Optional[bytes]:
    """The event name of a line without decoding the JSON, or None if the line is not in
    Spark's usual `{"Event":"...` layout."""
    if line.startswith(_PREFIX):
        end = line.find(b'"', 10)
        if end > 0:
            return line[10:end]
    return None


# Spark's JsonProtocol writes keys in a fixed order. The two events read for every task carry
# large parts the parser does not need (stage details, accumulables, nested shuffle and I/O
# metrics); decoding only the needed slices makes parsing several times faster. Any surprise
# in the layout falls back to decoding the whole line.
_SUCCESS = '"Task End Reason":{"Reason":"Success"},"Task Info":{'
_ACCUMULABLES = ',"Accumulables":['
_METRICS = '"Task Metrics":{'
_NESTED_METRICS = ',"Shuffle Read Metrics":'
_STAGE_INFOS = '"Stage Infos":['
_STAGE_IDS = ',"Stage IDs":['


def _slim_task_end(line: str) -> Optional[dict]:
    """A successful task-end event without accumulables, executor metrics or nested metrics."""
    if _SUCCESS not in line:
        return None  # failures carry free text (stack traces): decode them whole
    acc = line.find(_ACCUMULABLES)
    met = line.find(_METRICS, acc)
    nested = line.find(_NESTED_METRICS, met)
    if acc < 0 or met < 0 or nested < 0:
        return None
    try:
        event = _decode(line[:acc] + "}}")[0]
        event["Task Metrics"] = _decode(line[met + len(_METRICS) - 1:nested] + "}")[0]
    except ValueError:
        return None
    return event if "Task Info" in event else None


def _slim_job_start(line: str) -> Optional[dict]:
    """A job-start event without its stage infos."""
    infos = line.find(_STAGE_INFOS)
    ids = line.rfind(_STAGE_IDS)
    if infos < 0 or ids < infos:
        return None
    try:
        event = _decode(line[:infos] + line[ids + 1:])[0]
    except ValueError:
        return None
    return event if "Job ID" in event and "Stage IDs" in event else None


_SLIM = {TASK_END: _slim_task_end, JOB_START: _slim_job_start}


def read_eventlog(path: Path | str) -> EventLog:
    """Parse one application's event log: a plain file, a `.inprogress` file, a `.zstd` file or
    a Spark 4 rolling-log folder (`eventlog_v2_<app id>/`). Unreadable lines are recorded in
    `bad_lines`, never raised."""
    path = Path(path)
    if not path.exists():
        raise BenchError(f"{path}: no such event log")
    out = EventLog(path=path)
    stage_job: dict[int, dict] = {}
    for part in log_parts(path):
        lines = part_lines(part, out)
        for n, line in enumerate(lines, 1):
            name = _event_name(line)
            if name is not None and line.endswith(b"\n"):  # a last line may be torn: decode it
                wanted = _WANTED_NAMES.get(name)
                if wanted is None:
                    continue  # an event the parser does not need: never decoded
                slim = _SLIM.get(wanted)
                event = slim(line.decode("utf-8", errors="replace")) if slim else None
                if event is not None:
                    _apply(event, out, stage_job)
                    continue
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except ValueError:
                out.bad_lines.append((part.name, n))
                continue
            if not isinstance(event, dict):
                out.bad_lines.append((part.name, n))
                continue
            _apply(event, out, stage_job)
    for task in out.tasks:
        job = out.jobs.get(task["job_id"])
        if job is not None:
            task["job_end_ts"] = job["end_ts"]
    return out


def _apply(event: dict, out: EventLog, stage_job: dict) -> None:
    kind = event.get("Event")
    if kind == TASK_END:
        out.tasks.append(task_record(event, stage_job.get(event.get("Stage ID")), out.app_id))
    elif kind == JOB_START:
        props = event.get("Properties") or {}
        job = {"job_id": event.get("Job ID"), "job_group": props.get("spark.jobGroup.id"),
               "submit_ts": _ms(event.get("Submission Time")), "end_ts": None, "result": None,
               "stage_ids": list(event.get("Stage IDs") or [])}
        out.jobs[job["job_id"]] = job
        for stage in job["stage_ids"]:
            stage_job[stage] = job
    elif kind == JOB_END:
        job = out.jobs.get(event.get("Job ID"))
        if job is not None:
            job["end_ts"] = _ms(event.get("Completion Time"))
            job["result"] = (event.get("Job Result") or {}).get("Result")
    elif kind == EXECUTOR_ADDED:
        info = event.get("Executor Info") or {}
        out.executors.append({"executor_id": event.get("Executor ID"), "host": info.get("Host"),
                              "cores": info.get("Total Cores"),
                              "added_ts": _ms(event.get("Timestamp")), "removed_ts": None,
                              "removed_reason": None})
    elif kind == EXECUTOR_REMOVED:
        for ex in reversed(out.executors):
            if ex["executor_id"] == event.get("Executor ID") and ex["removed_ts"] is None:
                ex["removed_ts"] = _ms(event.get("Timestamp"))
                ex["removed_reason"] = event.get("Removed Reason")
                break
    elif kind == APP_START:
        out.app_id = event.get("App ID")
        out.app_name = event.get("App Name")
        out.app_start_ts = _ms(event.get("Timestamp"))
    elif kind == APP_END:
        out.app_end_ts = _ms(event.get("Timestamp"))
    elif kind == LOG_START:
        out.spark_version = event.get("Spark Version")


def executor_records(elog: EventLog, run_id: Optional[str] = None) -> list[dict]:
    """SparkExecutorRecord dicts of one application's executors."""
    return [{**{name: ex.get(name) for name in EXECUTOR_FIELDS}, "run_id": run_id,
             "app_id": elog.app_id} for ex in elog.executors]
