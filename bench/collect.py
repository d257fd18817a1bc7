"""Driver side of a trial: when it was suggested, dispatched and recorded, and the conversion
of hyperopt's trial documents plus the probe's measurements into TrialRecords."""
from __future__ import annotations

import datetime as dt
import logging
import re
import time
from typing import Any, Optional

from hyperopt.base import JOB_STATE_DONE

from .model import NATIVE, PROBE_FIELDS, TrialRecord
from .trial_result import nonfinite


class SuggestClock:
    """Wraps a hyperopt algorithm to stamp when each trial was suggested (driver clock).

    hyperopt records when a trial was dispatched (book_time) and finished (refresh_time) but
    not when it was created; without it the time a trial waited in the queue is invisible.
    """

    def __init__(self, algo):
        self.algo = algo
        self.suggested: dict[int, float] = {}

    def __call__(self, new_ids, domain, trials, seed, *args, **kwargs):
        docs = self.algo(new_ids, domain, trials, seed, *args, **kwargs)
        now = time.time()
        for doc in docs:
            self.suggested.setdefault(doc["tid"], now)
        return docs


def epoch(value) -> Optional[float]:
    """hyperopt stamps are naive UTC datetimes (ms resolution); return epoch seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.timestamp()


#: hyperopt's log line for a trial whose Spark task failed (hyperopt/spark.py); the trial
#: document itself keeps only the exception's type.
_TASK_FAILED = re.compile(r"trial task (\d+) failed, exception is (.*)\.\n (.*)", re.S)
TRACEBACK_CHARS = 4000


class SparkTaskErrors:
    """Catches the exception text of every spark trial that failed outside the objective.

    When a trial's Spark task fails (objective not unpicklable on the executor, worker crash,
    executor lost), SparkTrials stores only the exception's class in the trial document and
    logs the exception itself. This filter on hyperopt's logger keeps that text by trial id;
    when the logger was silenced (as the runner does) the record is dropped after reading.
    """

    LOGGER = "hyperopt-spark"

    def __init__(self):
        self.by_tid: dict[int, str] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        match = _TASK_FAILED.match(str(record.msg))
        if match:  # "<str(exception)>.\n <traceback or None>"
            tb = match.group(3).strip()
            self.by_tid[int(match.group(1))] = match.group(2) + ("" if tb == "None" else "\n" + tb)
        return self._pass_on

    def __enter__(self):
        self._logger = logging.getLogger(self.LOGGER)
        self._level = self._logger.level
        self._pass_on = self._logger.isEnabledFor(logging.ERROR)
        if not self._pass_on:
            self._logger.setLevel(logging.ERROR)
        self._logger.addFilter(self)
        return self

    def __exit__(self, *exc):
        self._logger.removeFilter(self)
        self._logger.setLevel(self._level)


def failure_line(text: str) -> str:
    """The line of an exception text that says what went wrong: the last exception line of a
    Python traceback inside it (PythonException from a worker), else the first line that
    names an exception, else the first line."""
    lines = [ln.rstrip() for ln in str(text).splitlines() if ln.strip()]
    if not lines:
        return ""
    if any("Traceback (most recent call last)" in ln for ln in lines):
        start = max(i for i, ln in enumerate(lines) if "Traceback (most recent call last)" in ln)
        tail = [ln for ln in lines[start + 1:] if not ln[0].isspace()]
        if tail:
            return tail[-1].strip()
    named = [ln.strip() for ln in lines if re.search(r"(Error|Exception)\b", ln)]
    return (named[0] if named else lines[0].strip())[:500]


def _class_name(text: str) -> str:
    """"<class 'pyspark...PythonException'>" -> "PythonException"."""
    match = re.search(r"'([\w.]+)'", text)
    return match.group(1).rsplit(".", 1)[-1] if match else text


def spark_error(doc: dict, task_error: Optional[str]) -> tuple[str, Optional[str]]:
    """(one-line error, traceback) of a trial whose Spark task failed or was cancelled."""
    err = (doc.get("misc") or {}).get("error") or ()
    kind = _class_name(str(err[0])) if err else None
    text = task_error or (str(err[1]) if len(err) > 1 and err[1] else "")
    if not text:
        return (f"{kind}: (Spark gave no message)" if kind else
                f"trial ended in state {doc.get('state')}"), None
    line = failure_line(text)
    if kind and not line.startswith(kind):
        line = f"{kind}: {line}"
    return line, text[-TRACEBACK_CHARS:]


def json_safe(value, depth: int = 0):
    """What an objective returned besides its loss, as JSON-able data (bytes as a size)."""
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if len(value) <= TRACEBACK_CHARS else value[:TRACEBACK_CHARS] + "..."
    if depth < 4 and isinstance(value, dict):
        return {str(k): json_safe(v, depth + 1) for k, v in value.items()}
    if depth < 4 and isinstance(value, (list, tuple)) and len(value) <= 1000:
        return [json_safe(v, depth + 1) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and getattr(value, "size", 2) == 1:
        return json_safe(item(), depth + 1)
    return repr(value)[:200]


def point_of(doc: dict) -> dict:
    """hyperopt's {label: [value]} of a trial, flattened."""
    return {k: v[0] for k, v in doc.get("misc", {}).get("vals", {}).items() if v}


def params_of(doc: dict, space) -> dict:
    """The hyperparameters as the objective saw them (choices resolved)."""
    point = point_of(doc)
    try:
        from hyperopt import space_eval

        value = space_eval(space, point)
        return value if isinstance(value, dict) else {"value": value}
    except Exception:
        return point


def trial_record(doc: dict, cell: dict, run_id: str, suggest_ts: Optional[float],
                 params: dict, task_error: Optional[str] = None) -> TrialRecord:
    """One hyperopt trial document (+ the probe inside its result) as a TrialRecord."""
    result: dict[str, Any] = doc.get("result") or {}
    probe: dict[str, Any] = result.get("probe") or {}
    state = doc.get("state")
    trace = result.get("traceback")
    if state == JOB_STATE_DONE:
        status = "ok" if result.get("status") == "ok" else "fail"
        error = result.get("error")
        if status == "fail" and not error:
            error = f"objective returned status {result.get('status')!r}"
    else:
        status = "error"
        error, trace = spark_error(doc, task_error)
    book_ts, refresh_ts = epoch(doc.get("book_time")), epoch(doc.get("refresh_time"))
    loss = result.get("loss") if status == "ok" else None
    known = {k: probe.get(k) for k in PROBE_FIELDS}
    known.update(thread_env=known["thread_env"] or {}, threadpools=known["threadpools"] or [])
    extra = {k: json_safe(v) for k, v in result.items()
             if k not in ("status", "loss", "error", "traceback", "probe")}
    return TrialRecord(
        run_id=run_id, cell_id=cell["cell_id"], mode=cell["mode"], workload=cell["workload"],
        parallelism=cell["parallelism"], max_queue_len=cell["max_queue_len"],
        n_jobs=cell["n_jobs"], max_evals=cell["max_evals"], repeat=cell["repeat"],
        condition=cell.get("condition", NATIVE), cluster=cell.get("cluster"),
        variant=cell.get("variant"), thread_env_set=cell.get("thread_env_set") or {},
        tid=doc["tid"], status=status,
        loss=None if loss is None else float(loss), loss_nonfinite=nonfinite(loss),
        params=params, error=error, traceback=trace, extra=extra,
        suggest_ts=suggest_ts, book_ts=book_ts, refresh_ts=refresh_ts, **known)


def trial_records(trials, cell: dict, run_id: str, clock: SuggestClock, space,
                  task_errors: Optional[dict] = None) -> list[TrialRecord]:
    """All trials of a finished fmin call, failed and errored ones included; `task_errors`
    (tid -> exception text, from SparkTaskErrors) explains spark trials whose task failed."""
    docs = getattr(trials, "_dynamic_trials", None) or list(trials.trials)
    task_errors = task_errors or {}
    return [trial_record(d, cell, run_id, clock.suggested.get(d["tid"]), params_of(d, space),
                         task_errors.get(d["tid"]))
            for d in sorted(docs, key=lambda d: d["tid"])]
