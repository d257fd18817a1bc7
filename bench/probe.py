"""The per-trial probe: runs inside the objective (inside the executor under SparkTrials).

It measures what the trial itself saw — wall and CPU time, threads, OpenMP/BLAS pools,
environment, process and Spark task — and returns them in hyperopt's result dict, so the
measurements travel back with the loss. Kept cheap: well under a millisecond per trial.
What the objective returned is read by hyperopt's own rules (bench.trial_result).

Only the standard library and bench.trial_result are used here (other imports happen inside
functions and are optional): bench.observe ships both modules to executors by value, so an
executor needs the user's libraries, not bench.
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
from .trial_result import read as hyperopt_reads
from .trial_result import rejection

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


def _process_state() -> dict:
    """State that outlives one trial in a process (a reused Python worker runs many): kept on
    the sys module, because when the probe travels by value every trial unpickles fresh
    copies of this module's globals."""
    state = getattr(sys, "_bench_probe_state", None)
    if state is None:
        state = {"modules": -1, "controller": None, "children": {}}
        sys._bench_probe_state = state
    return state


def threadpools() -> list[dict]:
    """OpenMP/BLAS pools loaded in this process and their sizes.

    Finding the libraries costs ~1 ms, so it is redone only when new modules were imported
    (new native libraries come with imports); reading the sizes is cheap and done each time.
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return []
    cache = _process_state()
    if cache["modules"] != len(sys.modules):
        cache["controller"] = ThreadpoolController()
        cache["modules"] = len(sys.modules)
    return [{"library": p.get("prefix"), "api": p.get("user_api"),
             "internal_api": p.get("internal_api"), "num_threads": p.get("num_threads")}
            for p in cache["controller"].info()]


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
        # descendants an objective started ((pid, start time) -> None), in this process's
        # state: a worker pool (joblib/loky) one trial started works for the next ones too
        started = _process_state()["children"]
        live = self._live()
        for key in live.keys() - self._live0.keys():
            started[key] = None
        spent = sum(cpu - self._live0.get(key, 0.0) for key, cpu in live.items()
                    if key in started)
        for key in started.keys() - live.keys():
            del started[key]  # exited
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
#: Keys a bench workload adds to its result for the probe, moved into the probe's record.
_MODEL_KEYS = ("model_threads_requested", "model_threads_effective")


def _measured(objective, params) -> tuple:
    """Run the objective once under the probe's instruments: (what it returned, the
    exception it raised or None, its traceback text, the probe's measurements)."""
    out = raised = trace = None
    setup_s = _prepare(objective)
    with PeakThreadSampler() as sampler:
        start_ts = time.time()
        host0 = host_busy_seconds()
        children = ChildCpu()
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        try:
            out = objective(params)
        except Exception as exc:  # recorded; the caller decides whether it propagates
            raised = exc
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
    model = out if isinstance(out, dict) else {}
    probe = {
        "setup_s": setup_s, "start_ts": start_ts, "end_ts": end_ts, "objective_s": objective_s, "cpu_s": cpu_s,
        "children_cpu_s": child_s,
        "effective_cores": cpu_s / objective_s if objective_s > 0 else None,
        "peak_threads": sampler.peak, "other_busy_cores": other,
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "thread_env": {k: os.environ[k] for k in THREAD_ENV_VARS if k in os.environ},
        "threadpools": threadpools(),
        **{k: model.get(k) for k in _MODEL_KEYS},
        "pid": os.getpid(), "hostname": socket.gethostname(),
        **spark_task(),
    }
    return out, raised, trace, probe


def run_probed(objective: Callable[[dict], dict], params: dict, exact: bool = False) -> dict:
    """Run one trial under the probe and return hyperopt's result dict with a `probe` key.

    What the objective returned is read by hyperopt's rules (bench.trial_result): whatever
    hyperopt calls ok stays ok with the same loss, NaN and inf included.

    exact=False (the harness's cells) never raises: an exception, a status other than 'ok'
    and a return value hyperopt rejects all become status 'fail' with a message, and the
    cell goes on. exact=True (bench.observe: the user's own fmin) changes nothing hyperopt
    sees: the objective's exception propagates and a value hyperopt rejects is handed to
    hyperopt as it is, so hyperopt raises what it raises without the probe."""
    out, raised, trace, probe = _measured(objective, params)
    if raised is not None:
        if exact:
            raise raised
        return {"status": "fail", "error": f"{type(raised).__name__}: {raised}",
                "probe": probe, "traceback": trace}
    try:
        result = hyperopt_reads(out)
    except Exception as exc:
        if exact:
            return out
        return {"status": "fail", "error": rejection(out, exc), "probe": probe,
                "traceback": None}
    for key in _MODEL_KEYS:
        result.pop(key, None)
    if exact:
        return {**result, "probe": probe}
    extra = {k: v for k, v in result.items() if k not in PROBE_KEYS}
    if result["status"] != "ok":
        why = result.get("error") or result.get("message") or result.get("failure")
        error = f"objective returned status {result['status']!r}" + (f": {why}" if why else "")
        return {**extra, "status": "fail", "error": error, "probe": probe, "traceback": None}
    return {**extra, "status": "ok", "loss": result["loss"], "probe": probe}


class Probed:
    """The function handed to fmin: the workload's objective wrapped in the probe
    (exact: hyperopt sees what it would see without the probe; see run_probed)."""

    def __init__(self, objective: Callable[[dict], dict], exact: bool = False):
        self.objective = objective
        self.exact = exact

    def __call__(self, params: dict) -> dict:
        return run_probed(self.objective, params, exact=self.exact)
