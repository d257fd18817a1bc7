"""The per-trial probe: runs inside the objective (inside the executor under SparkTrials).

It measures what the trial itself saw — wall and CPU time, threads, OpenMP/BLAS pools,
environment, process and Spark task — and returns them in hyperopt's result dict, so the
measurements travel back with the loss. Kept cheap: well under a millisecond per trial.
"""
from __future__ import annotations

import os
import socket
import sys
import threading
import time
import traceback
from typing import Callable

from .model import THREAD_ENV_VARS
SAMPLE_INTERVAL_S = 0.020  # 50 Hz: ~0.5% of a core on a small VM; 100 Hz measured ~1%
_TASK_DIR = "/proc/self/task"


def thread_count() -> int:
    """OS threads of this process (Linux: one entry per thread in /proc/self/task)."""
    try:
        return len(os.listdir(_TASK_DIR))
    except OSError:
        import psutil

        return psutil.Process().num_threads()


class PeakThreadSampler:
    """Samples the thread count on a light background thread; keeps the peak.

    The sampler's own thread is not counted in the peak.
    """

    def __init__(self, interval: float = SAMPLE_INTERVAL_S):
        self.interval = interval
        self.peak = thread_count()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-probe", daemon=True)

    def _run(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, thread_count() - 1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, thread_count())


_pool_cache: dict = {"modules": -1, "controller": None}


def threadpools() -> list[dict]:
    """OpenMP/BLAS pools loaded in this process and their sizes.

    Finding the libraries costs ~1 ms, so it is redone only when new modules were imported
    (new native libraries come with imports); reading the sizes is cheap and done each time.
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return []
    if _pool_cache["modules"] != len(sys.modules):
        _pool_cache["controller"] = ThreadpoolController()
        _pool_cache["modules"] = len(sys.modules)
    return [{"library": p.get("prefix"), "api": p.get("user_api"),
             "internal_api": p.get("internal_api"), "num_threads": p.get("num_threads")}
            for p in _pool_cache["controller"].info()]


def spark_task() -> dict:
    """Spark TaskContext ids when running inside a Spark task, else an empty dict."""
    if "pyspark" not in sys.modules:
        return {}
    try:
        from pyspark import TaskContext

        tc = TaskContext.get()
    except Exception:
        return {}
    if tc is None:
        return {}
    out = {"spark_stage_id": tc.stageId(), "spark_partition_id": tc.partitionId(),
           "spark_task_attempt_id": tc.taskAttemptId()}
    try:
        out["spark_task_cpus"] = int(tc.cpus())
    except Exception:
        out["spark_task_cpus"] = None
    return out


_STAT = "/proc/stat"
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
#: /proc/stat per-CPU columns that are work: user, nice, system, irq, softirq (guest time is
#: already inside user/nice). Not idle, iowait, or steal (time the hypervisor gave to
#: another guest: no process here ran then).
_BUSY_COLUMNS = (0, 1, 2, 5, 6)


def _affinity() -> set | None:
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def host_busy_seconds() -> float | None:
    """CPU-seconds all processes have spent busy since boot on the CPUs this process may run
    on (its affinity mask; per-CPU lines of /proc/stat), steal excluded; None off Linux."""
    cpus = _affinity()
    try:
        with open(_STAT, "rb") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    total = 0
    for line in lines:
        if not line.startswith(b"cpu") or line.startswith(b"cpu "):
            continue
        name, *fields = line.split()
        if not name[3:].isdigit():
            break
        if cpus is not None and int(name[3:]) not in cpus:
            continue
        total += sum(int(fields[i]) for i in _BUSY_COLUMNS if i < len(fields))
    return total / _TICKS


def _cpu_seconds() -> float:
    """Process CPU time (user+sys, all threads) at nanosecond resolution."""
    return time.process_time()


def _children_proc(pid: int) -> list[int]:
    """Child pids of a process from /proc/PID/task/*/children (raises OSError where the
    kernel does not provide the lists)."""
    kids = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
            kids += [int(x) for x in fh.read().split()]
    return kids


def _descendants_proc(pid: int) -> dict:
    out = {}
    todo = _children_proc(pid)
    while todo:
        child = todo.pop()
        try:
            with open(f"/proc/{child}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            todo += _children_proc(child)
        except (OSError, IndexError):
            continue  # exited meanwhile
        # after the command: state=0 ... utime=11, stime=12, starttime=19 (in ticks)
        out[(child, int(fields[19]))] = (int(fields[11]) + int(fields[12])) / _TICKS
    return out


#: Descendant processes an objective started ((pid, start time) -> None): a reused worker
#: pool (joblib/loky) started by one trial works for the next ones too.
_OBJECTIVE_CHILDREN: dict = {}


class ChildCpu:
    """CPU time of the objective's own child processes (joblib/loky workers, a forked
    helper) while it runs: children reaped in the meantime (os.times' children counters)
    plus what the live descendants an objective started spent since the start. Processes
    that were there before any objective started them (Spark's JVM beside the driver, an
    emulated background load) are other processes, not the trial's."""

    def __init__(self):
        self._reaped0 = self._reaped()
        self._live0 = self._live()

    @staticmethod
    def _reaped() -> float:
        t = os.times()
        return t.children_user + t.children_system

    @staticmethod
    def _live() -> dict:
        """(pid, start time) -> CPU seconds of every live descendant. Linux: the kernel's
        per-thread children lists and /proc/PID/stat (~0.1 ms); elsewhere psutil's scan of
        every process (milliseconds)."""
        try:
            return _descendants_proc(os.getpid())
        except OSError:
            pass
        try:
            import psutil

            out = {}
            for child in psutil.Process().children(recursive=True):
                try:
                    c = child.cpu_times()
                    out[(child.pid, child.create_time())] = c.user + c.system
                except psutil.Error:
                    continue
            return out
        except Exception:
            return {}

    def seconds(self) -> float:
        live = self._live()
        for key in live.keys() - self._live0.keys():
            _OBJECTIVE_CHILDREN[key] = None
        spent = sum(cpu - self._live0.get(key, 0.0) for key, cpu in live.items()
                    if key in _OBJECTIVE_CHILDREN)
        for key in _OBJECTIVE_CHILDREN.keys() - live.keys():
            del _OBJECTIVE_CHILDREN[key]  # exited
        return max(0.0, spent + self._reaped() - self._reaped0)


def _prepare(objective) -> float:
    """Import the model library before the clock starts, and time it: in a fresh Python
    worker (SparkTrials starts one per trial) this is real per-trial cost, but it is start-up
    cost, not training."""
    prepare = getattr(objective, "prepare", None)
    if prepare is None:
        return 0.0
    t0 = time.perf_counter()
    prepare()
    return time.perf_counter() - t0


#: Keys of the probe's own result; everything else an objective returns is kept as its own.
PROBE_KEYS = frozenset({"status", "loss", "error", "traceback", "probe",
                        "model_threads_requested", "model_threads_effective"})


class TrialFailed(Exception):
    """The objective returned instead of raising, but hyperopt would not count the trial."""


def finite_loss(value) -> float:
    """The loss as hyperopt needs it: one finite real number; anything else fails the trial."""
    import numbers

    if value is None:
        raise TrialFailed("objective returned no loss")
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, numbers.Real):
        shape = getattr(value, "shape", None)
        what = type(value).__name__ + (f" of shape {tuple(shape)}" if shape is not None else "")
        raise TrialFailed(f"loss must be a finite number, got {what}: {str(value)[:80]!r}")
    loss = float(value)
    if loss != loss or loss in (float("inf"), float("-inf")):
        raise TrialFailed(f"loss must be a finite number, got {loss}")
    return loss


def checked_result(out) -> dict:
    """The objective's return value read by hyperopt's conventions: a number is the loss; a
    dict needs status 'ok' and a finite 'loss' (status 'fail' is a failed trial)."""
    result = dict(out) if isinstance(out, dict) else {"loss": out}
    status = result.get("status", "ok")
    if status != "ok":
        why = result.get("error") or result.get("message") or result.get("failure")
        raise TrialFailed(f"objective returned status {status!r}" + (f": {why}" if why else ""))
    result["loss"] = finite_loss(result.get("loss"))
    return result


def run_probed(objective: Callable[[dict], dict], params: dict) -> dict:
    """Run one trial under the probe; never raises: a failing objective, a status other than
    'ok' and a loss that is not a finite number all become status 'fail' with a message."""
    result: dict = {}
    error = trace = None
    setup_s = _prepare(objective)
    with PeakThreadSampler() as sampler:
        start_ts = time.time()
        host0 = host_busy_seconds()
        children = ChildCpu()
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        out = None
        try:
            out = objective(params)
            result = checked_result(out)
        except TrialFailed as exc:
            error = str(exc)
            result = dict(out) if isinstance(out, dict) else {}
        except Exception as exc:  # recorded as a failed trial; the run goes on
            error = f"{type(exc).__name__}: {exc}"
            trace = traceback.format_exc(limit=-8)
        t1 = time.perf_counter()
        cpu1 = _cpu_seconds()
        child_s = children.seconds()
        host1 = host_busy_seconds()
        end_ts = time.time()
    objective_s = t1 - t0
    cpu_s = cpu1 - cpu0 + child_s  # the objective's helper processes are its own work
    other = None
    if host0 is not None and host1 is not None and objective_s > 0:
        other = max(0.0, (host1 - host0) - cpu_s) / objective_s
    probe = {
        "setup_s": setup_s, "start_ts": start_ts, "end_ts": end_ts, "objective_s": objective_s, "cpu_s": cpu_s,
        "children_cpu_s": child_s,
        "effective_cores": cpu_s / objective_s if objective_s > 0 else None,
        "peak_threads": sampler.peak, "other_busy_cores": other,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "thread_env": {k: os.environ[k] for k in THREAD_ENV_VARS if k in os.environ},
        "threadpools": threadpools(),
        "model_threads_requested": result.pop("model_threads_requested", None),
        "model_threads_effective": result.pop("model_threads_effective", None),
        "pid": os.getpid(), "hostname": socket.gethostname(),
        **spark_task(),
    }
    extra = {k: v for k, v in result.items() if k not in PROBE_KEYS}
    if error is not None:
        return {**extra, "status": "fail", "error": error, "probe": probe, "traceback": trace}
    return {**extra, "status": "ok", "loss": result["loss"], "probe": probe}


class Probed:
    """The function handed to fmin: the workload's objective wrapped in the probe."""

    def __init__(self, objective: Callable[[dict], dict]):
        self.objective = objective

    def __call__(self, params: dict) -> dict:
        return run_probed(self.objective, params)
