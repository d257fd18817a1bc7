"""A run's Spark event logs into its folder: every task joined to its hyperopt trial, written
as spark_tasks.jsonl and spark_executors.jsonl when the run ends.

Joining never relies on order: Spark job ids do not follow hyperopt trial ids. A task joins a
trial when the trial's probe saw the same TaskContext.taskAttemptId(), the task's job group is
the trial's cell id, and the task ran inside the trial's life on the driver's clock (task ids
restart in every Spark application). join_tasks is the one home of this rule.

Executor clock offsets are not stored: bench.analysis.clocks derives them from the trials and
the joined tasks whenever a run is read, so they always follow the current clock model.
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Iterable, Optional

from .errors import BenchError
from .eventlog import EventLog, as_record, executor_records, find_eventlogs, read_eventlog
from .model import STAMP_RESOLUTION_S
from .storage import RunFolder, rewrite_jsonl

logger = logging.getLogger(__name__)

#: Tolerance when matching a trial's probe clock (executor host) against a task's
#: launch/finish window (driver host); used only when the trial has no driver stamps.
_CLOCK_SLACK_S = 1.0


# --------------------------------------------------------------------------- run folders

def read_run_eventlogs(run_folder: RunFolder | Path | str) -> list[EventLog]:
    """Every event log of a run (a resumed run has one per Spark application)."""
    folder = run_folder if isinstance(run_folder, RunFolder) else RunFolder(run_folder)
    logs = find_eventlogs(folder.eventlog_dir)
    if not logs:
        raise BenchError(f"{folder.eventlog_dir}: no Spark event log found (the run must set "
                         f"spark.eventLog.enabled=true and spark.eventLog.dir to this folder)")
    return [read_eventlog(p) for p in logs]


def parse_run_eventlog(run_folder: RunFolder | Path | str,
                       executors: Optional[list] = None) -> list[dict]:
    """SparkTaskRecord dicts for every task of a run, joined to the run's finished trials;
    when `executors` is a list, every application's SparkExecutorRecord dicts are added to it.
    Problems found while reading (torn last line, killed application) are logged as warnings."""
    folder = run_folder if isinstance(run_folder, RunFolder) else RunFolder(run_folder)
    tasks: list[dict] = []
    for elog in read_run_eventlogs(folder):
        for note in elog.notes():
            logger.warning(note)
        tasks.extend(elog.tasks)
        if executors is not None:
            executors.extend(executor_records(elog, folder.run_id))
    for task in tasks:
        task["run_id"] = folder.run_id
    return join_tasks(tasks, folder.committed().trials)


# --------------------------------------------------------------------------- joining

def _clocks_agree(trial: dict, task: dict) -> Optional[bool]:
    """Did this task run inside the trial's life? None when the clocks needed are missing.

    On the driver's own clock: hyperopt stamps book_time before the trial's Spark job is
    submitted and refresh_time after its result came back, and Spark stamps the task's launch
    and finish on the driver too, so book <= launch and finish <= refresh hold up to the
    stamps' millisecond truncation, whatever the executor's clock says. Without driver stamps,
    the probe's start (executor clock) must fall in launch..finish within _CLOCK_SLACK_S.
    """
    launch, finish = task.get("launch_ts"), task.get("finish_ts")
    book, refresh = trial.get("book_ts"), trial.get("refresh_ts")
    if book is not None and (launch is not None or finish is not None):
        res = STAMP_RESOLUTION_S
        after_book = (launch if launch is not None else finish) >= book - res
        before_refresh = refresh is None or finish is None or finish <= refresh + res
        return after_book and before_refresh
    start = trial.get("start_ts")
    if start is None or launch is None or finish is None:
        return None
    return launch - _CLOCK_SLACK_S <= start <= finish + _CLOCK_SLACK_S


def join_tasks(tasks: Iterable[dict], trials: Iterable[dict]) -> list[dict]:
    """Tasks as SparkTaskRecord dicts with cell_id and tid of the trial whose probe saw the
    same task attempt id under the same job group (= cell id). Unjoined tasks keep cell_id
    and tid null. Task ids restart in every Spark application (each resume, each cluster
    shape), so when tasks of several applications carry the trial's key, the one that ran
    inside the trial's life (see _clocks_agree) wins; if that does not settle it, none is
    joined. A task that plainly ran outside the trial's life is never joined to it."""
    by_key: dict[tuple, list[dict]] = {}
    for trial in trials:
        attempt = trial.get("spark_task_attempt_id")
        if attempt is None or trial.get("cell_id") is None:
            continue
        by_key.setdefault((trial["cell_id"], attempt), []).append(trial)

    tasks = [dict(t) for t in tasks]
    candidates: dict[tuple, list[int]] = {}
    for i, task in enumerate(tasks):
        key = (task.get("job_group"), task.get("task_attempt_id"))
        if key in by_key:
            candidates.setdefault(key, []).append(i)

    joined: dict[int, dict] = {}
    for key, idxs in candidates.items():
        key_trials = by_key[key]
        if len(key_trials) != 1:
            continue  # two trials claim one task: the probe data is inconsistent
        trial = key_trials[0]
        if len(idxs) > 1:
            idxs = [i for i in idxs if _clocks_agree(trial, tasks[i])]
        if len(idxs) != 1 or _clocks_agree(trial, tasks[idxs[0]]) is False:
            continue  # ambiguous, or the only candidate ran at another time (another app)
        joined[idxs[0]] = trial

    out = []
    for i, task in enumerate(tasks):
        trial = joined.get(i)
        task["cell_id"] = trial.get("cell_id") if trial else None
        task["tid"] = trial.get("tid") if trial else None
        if trial and task.get("run_id") is None:
            task["run_id"] = trial.get("run_id")
        out.append(as_record(task))
    return out


def trials_without_task(joined_tasks: Iterable[dict], trials: Iterable[dict]) -> list[dict]:
    """Spark trials (those with a task attempt id) that no event-log task was joined to."""
    seen = {(t["cell_id"], t["tid"]) for t in joined_tasks if t.get("cell_id") is not None}
    return [t for t in trials if t.get("spark_task_attempt_id") is not None
            and (t.get("cell_id"), t.get("tid")) not in seen]

def unjoined_note(tasks: list[dict], trials: list[dict]) -> str | None:
    """A warning when spark trials could not be joined to their Spark tasks, saying whether
    hyperopt ran their jobs under a job group of its own (the cell's was not adopted)."""
    from .versions import hyperopt_version

    lost = trials_without_task(tasks, trials)
    if not lost:
        return None
    cells = {t.get("cell_id") for t in lost}
    groups = sorted({str(t.get("job_group")) for t in tasks
                     if t.get("cell_id") is None and t.get("job_group") not in cells})
    text = (f"{len(lost)} spark trial(s) in {len(cells)} cell(s) could not be joined to a "
            f"Spark task; Spark-side timings are missing for them")
    if groups:
        text += (f" (their jobs ran under job group(s) {', '.join(groups[:3])}"
                 f"{', ...' if len(groups) > 3 else ''}, not the cell's: hyperopt "
                 f"{hyperopt_version()} did not adopt the job group)")
    return text


# --------------------------------------------------------------------------- after a run

def collect_spark_tasks(folder: RunFolder) -> int:
    """Turn the run's Spark event logs into spark_tasks.jsonl (joined to the trials by task
    attempt id and job group) and spark_executors.jsonl. Returns the number of task records
    written."""
    if not find_eventlogs(folder.eventlog_dir):
        return 0
    executors: list[dict] = []
    records = parse_run_eventlog(folder, executors)
    folder.write_spark_tasks(records)
    rewrite_jsonl(folder.spark_executors_path, executors)
    note = unjoined_note(records, folder.committed().trials)
    if note:
        print(f"warning: {note}", file=sys.stderr)
    return len(records)
