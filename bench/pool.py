"""Pool mode: the cell's pre-drawn points in a local pool of persistent worker processes.

The practical ideal on one machine: min(parallelism, cores) workers started (and warmed:
model library imported, objective unpickled) before the clock starts, each with the thread
environment Spark gives its Python workers (OMP_NUM_THREADS = spark.task.cpus), kept busy
with at most one trial each, as SparkTrials' parallelism would. No hyperopt loop, no Spark:
what is left is the objective and a pipe.

Trials come back as hyperopt-shaped documents so the runner records them like any other.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import time
from typing import Optional

_worker: dict = {}


def _init(payload: bytes, env: dict) -> None:
    """Worker start: the executors' thread environment first, then the objective."""
    os.environ.update(env)
    from pyspark import cloudpickle

    fn = cloudpickle.loads(payload)
    prepare = getattr(getattr(fn, "objective", None), "prepare", None)
    if prepare is not None:
        prepare()
    _worker["fn"] = fn


def _ready(_) -> int:
    time.sleep(0.2)  # long enough that every worker takes one
    return os.getpid()


def _evaluate(params: dict) -> dict:
    return _worker["fn"](params)


def workers_for(parallelism: int) -> int:
    from .environment import usable_cores

    return max(1, min(int(parallelism), int(usable_cores() or 1)))


class PoolTrials:
    """What the runner reads after a cell: `.trials`, hyperopt-style trial documents."""

    def __init__(self):
        self.trials: list[dict] = []


def worker_env(omp_threads: int, thread_env: Optional[dict] = None) -> dict:
    """A pool worker's thread environment: Spark's for its Python workers (OMP_NUM_THREADS =
    spark.task.cpus), then the cell's own thread_env, as spark cells get it through
    spark.executorEnv."""
    return {"OMP_NUM_THREADS": str(omp_threads),
            **{k: str(v) for k, v in (thread_env or {}).items()}}


class WarmPool:
    """A started, warmed process pool for one cell (context manager)."""

    def __init__(self, fn, parallelism: int, omp_threads: int = 1,
                 thread_env: Optional[dict] = None):
        # a scenario file's own code is pickled by value (bench.scenario.ship_by_value), so
        # the spawned workers, like Spark's executors, need not import the scenario file
        from pyspark import cloudpickle

        self.workers = workers_for(parallelism)
        self.omp_threads = omp_threads
        self.env = worker_env(omp_threads, thread_env)
        ctx = multiprocessing.get_context("spawn")  # the driver holds a JVM gateway: no fork
        self.executor = cf.ProcessPoolExecutor(
            max_workers=self.workers, mp_context=ctx, initializer=_init,
            initargs=(cloudpickle.dumps(fn), self.env))

    def __enter__(self):
        """Start and warm every worker; `pids` and `warmup_s` say which and how long (the
        cell records them: this happens before its clock)."""
        t0 = time.perf_counter()
        self.pids = tuple(self.executor.map(_ready, range(self.workers)))
        self.warmup_s = time.perf_counter() - t0
        return self

    def __exit__(self, *exc):
        self.executor.shutdown(wait=True, cancel_futures=True)

    def _stop_workers(self) -> None:
        """End the workers now (trials still running are cancelled), as SparkTrials cancels
        its running trials when fmin's timeout passes."""
        for proc in list(getattr(self.executor, "_processes", {}).values()):
            proc.kill()
        self.executor.shutdown(wait=True, cancel_futures=True)

    def run(self, points: list[dict], space, trials: PoolTrials,
            suggested: Optional[dict] = None, timeout: Optional[float] = None) -> None:
        """Evaluate the points in order, at most `workers` at a time; fill trials.trials.
        After `timeout` seconds (the cell's timeout_s, fmin's `timeout`) no trial starts and
        those still running are cancelled, as SparkTrials does."""
        from hyperopt import space_eval
        from hyperopt.base import (JOB_STATE_CANCEL, JOB_STATE_DONE, JOB_STATE_ERROR,
                                   JOB_STATE_RUNNING)

        from .points import space_point

        pending: dict = {}
        queue = list(enumerate(points))
        docs = {}
        deadline = None if timeout is None else time.monotonic() + float(timeout)
        while queue or pending:
            if deadline is not None and time.monotonic() >= deadline:
                for tid in pending.values():
                    docs[tid].update(state=JOB_STATE_CANCEL, refresh_time=time.time(), misc={
                        **docs[tid]["misc"], "error": ("Cancelled", "fmin run timeout")})
                self._stop_workers()
                break
            while queue and len(pending) < self.workers:
                tid, vals = queue.pop(0)
                now = time.time()
                if suggested is not None:
                    suggested[tid] = now
                params = space_eval(space, space_point(vals))
                docs[tid] = {"tid": tid, "state": JOB_STATE_RUNNING, "result": {},
                             "book_time": now, "refresh_time": None,
                             "misc": {"tid": tid, "vals": vals}}
                pending[self.executor.submit(_evaluate, params)] = tid
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, _ = cf.wait(pending, timeout=left, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                tid = pending.pop(fut)
                doc = docs[tid]
                try:
                    doc.update(state=JOB_STATE_DONE, result=fut.result())
                except Exception as exc:  # the worker died: a Spark-level error's analogue
                    doc.update(state=JOB_STATE_ERROR,
                               misc={**doc["misc"], "error": (type(exc).__name__, str(exc))})
                doc["refresh_time"] = time.time()
        trials.trials = [docs[t] for t in sorted(docs)]
