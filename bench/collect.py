"""Driver side of a trial: when it was suggested, dispatched and recorded, and the conversion
of hyperopt's trial documents plus the probe's measurements into TrialRecords."""
from __future__ import annotations

import datetime as dt
import time
from typing import Any, Optional

from .model import TrialRecord


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


STAMP_RESOLUTION_S = 0.001  # hyperopt's book/refresh times are truncated to milliseconds


def _diff(later, earlier) -> Optional[float]:
    """later - earlier; a negative gap within stamp resolution is truncation, shown as 0
    (a larger negative gap is kept: it reveals clock skew between hosts)."""
    if later is None or earlier is None:
        return None
    gap = later - earlier
    return 0.0 if -STAMP_RESOLUTION_S <= gap < 0 else gap


def latency_split(suggest_ts, book_ts, start_ts, end_ts, refresh_ts) -> dict:
    """Split a trial's life into queue wait, start-up, objective and return (seconds)."""
    return {"wait_dispatch_s": _diff(book_ts, suggest_ts),
            "dispatch_to_start_s": _diff(start_ts, book_ts),
            "return_s": _diff(refresh_ts, end_ts)}


_STATE_STATUS = {2: None, 3: "error", 4: "error"}  # JOB_STATE_DONE, _ERROR, _CANCEL


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
                 params: dict) -> TrialRecord:
    """One hyperopt trial document (+ the probe inside its result) as a TrialRecord."""
    result: dict[str, Any] = doc.get("result") or {}
    probe: dict[str, Any] = result.get("probe") or {}
    state = doc.get("state")
    if state == 2:
        status = "ok" if result.get("status") == "ok" else "fail"
        error = result.get("error")
    else:
        status = "error"
        err = (doc.get("misc") or {}).get("error")
        error = " ".join(str(e) for e in err if e) if err else f"trial ended in state {state}"
        error = error.strip().splitlines()[-1] if error.strip() else error
    book_ts, refresh_ts = epoch(doc.get("book_time")), epoch(doc.get("refresh_time"))
    split = latency_split(suggest_ts, book_ts, probe.get("start_ts"), probe.get("end_ts"),
                          refresh_ts)
    known = {k: probe.get(k) for k in (
        "setup_s", "start_ts", "end_ts", "objective_s", "cpu_s", "effective_cores", "peak_threads", "other_busy_cores",
        "omp_num_threads", "model_threads_requested", "model_threads_effective", "pid",
        "hostname", "spark_stage_id", "spark_partition_id", "spark_task_attempt_id",
        "spark_task_cpus")}
    return TrialRecord(
        run_id=run_id, cell_id=cell["cell_id"], mode=cell["mode"], workload=cell["workload"],
        parallelism=cell["parallelism"], max_queue_len=cell["max_queue_len"],
        n_jobs=cell["n_jobs"], max_evals=cell["max_evals"], repeat=cell["repeat"],
        condition=cell.get("condition", "native"), cluster=cell.get("cluster"), tid=doc["tid"], status=status,
        loss=result.get("loss") if status == "ok" else None, params=params, error=error,
        suggest_ts=suggest_ts, book_ts=book_ts, refresh_ts=refresh_ts,
        thread_env=probe.get("thread_env") or {}, threadpools=probe.get("threadpools") or [],
        **known, **split)


def trial_records(trials, cell: dict, run_id: str, clock: SuggestClock, space) -> list[TrialRecord]:
    """All trials of a finished fmin call, failed and errored ones included."""
    docs = getattr(trials, "_dynamic_trials", None) or list(trials.trials)
    return [trial_record(d, cell, run_id, clock.suggested.get(d["tid"]), params_of(d, space))
            for d in sorted(docs, key=lambda d: d["tid"])]
