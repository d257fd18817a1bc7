"""One timed fmin window, the same for a scenario's cells (bench.runner) and for the calls
bench.observe records: the start stamp and the perf_counter wall around the call, the text of
Spark tasks that failed outside the objective, the cell's Spark job group cancelled at once
on Ctrl-C, and the call written up as one CellRecord with its TrialRecords.

Where the trials run (the job group, a warm pool) is set up before the window by the cell's
mode (bench.modes), so setting it up never counts in the wall time.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Optional

from .collect import SparkTaskErrors, SuggestClock, trial_records
from .model import NATIVE, CellRecord
from .variant_table import shares_workers

#: The error a cell records when Ctrl-C stopped its fmin call.
INTERRUPTED = "KeyboardInterrupt: fmin interrupted"


def error_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


@contextlib.contextmanager
def cancel_on_interrupt(spark, job_group: Optional[str]):
    """Ctrl-C during a spark fmin cancels the job group's running trials at once (SparkTrials
    alone would wait for them to finish), then raises KeyboardInterrupt as usual. Trials the
    dispatcher launches while fmin winds down are cancelled too."""
    if spark is None or not job_group or \
            threading.current_thread() is not threading.main_thread():
        yield
        return
    stop = threading.Event()

    def keep_cancelling():
        while not stop.wait(0.2):
            spark.sparkContext.cancelJobGroup(job_group)

    def on_sigint(signum, frame):
        spark.sparkContext.cancelJobGroup(job_group)
        threading.Thread(target=keep_cancelling, daemon=True, name="bench-cancel").start()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        stop.set()
        signal.signal(signal.SIGINT, previous)


class FminWindow:
    """One fmin call of a cell, timed and recorded:

        window = FminWindow(run_id, cell, spark, placed.job_group)
        with window.timed():
            fmin(...)
        cell_record, trial_records = window.record(trials, clock, space, ...)

    What the call raised is kept as `error` (one line) and raised again, except an Exception
    when `timed(keep_failure=True)`: the runner records a failed cell and goes on, while
    bench.observe hands every exception back to its caller."""

    def __init__(self, run_id: str, cell: dict, spark=None, job_group: Optional[str] = None):
        self.run_id, self.cell = run_id, cell
        self.spark, self.job_group = spark, job_group
        self.start_ts: Optional[float] = None
        self.wall: Optional[float] = None
        self.error: Optional[str] = None
        self._task_errors = SparkTaskErrors()

    @contextlib.contextmanager
    def timed(self, keep_failure: bool = False):
        self.start_ts = time.time()
        t0 = time.perf_counter()
        try:
            with self._task_errors, cancel_on_interrupt(self.spark, self.job_group):
                yield self
        except Exception as exc:  # the call failed as a whole; what it produced is kept
            self.error = error_line(exc)
            if not keep_failure:
                raise
        except BaseException as exc:
            self.error = INTERRUPTED if isinstance(exc, KeyboardInterrupt) else error_line(exc)
            raise
        finally:
            self.wall = time.perf_counter() - t0

    def record(self, trials, clock: SuggestClock, space, *, slots=None, closure_bytes=None,
               parallelism_effective=None, prewarmed=None,
               shared_workers=None) -> tuple[dict, list[dict]]:
        """The finished call as a cell record and the trial records of `trials` (an object
        with hyperopt's `trials` documents); shared_workers defaults to what the cell's mode
        and variant imply."""
        cell = self.cell
        records = trial_records(trials, cell, self.run_id, clock, space,
                                self._task_errors.by_tid)
        if shared_workers is None:
            shared_workers = shares_workers(cell["mode"], cell.get("variant"))
        ok = [r for r in records if r.status == "ok"]
        cell_rec = CellRecord(
            run_id=self.run_id, **cell, emulated=cell.get("condition", NATIVE) != NATIVE,
            start_ts=self.start_ts, end_ts=self.start_ts + self.wall, wall_s=self.wall,
            trials_ok=len(ok), trials_failed=len(records) - len(ok),
            best_loss=min((r.loss for r in ok if r.loss_nonfinite is None
                           and r.loss is not None), default=None), task_slots=slots,
            spark_job_group=self.job_group, closure_bytes=closure_bytes,
            parallelism_effective=parallelism_effective, error=self.error,
            workers_prewarmed=prewarmed.workers if prewarmed else None,
            prewarm_s=round(prewarmed.seconds, 4) if prewarmed else None,
            shared_workers=shared_workers)
        return cell_rec.to_dict(), [r.to_dict() for r in records]
