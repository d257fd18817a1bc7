"""Emulated driver conditions, applied around serial cells only.

The driver that ran serial Trials in the field was not this machine: it may have believed it
had more cores than its CPU quota gave it, or been busy with other work. These knobs imitate
that in the driver process; spark cells never get them. Every cell records its condition and
the report marks emulated results as such.

Background-load processes never outlive the process that started them: each asks the kernel
for SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG) and also checks its parent pid
while it spins. Their pids go into the run folder's `emulation.jsonl`, so a resumed run can
refuse to start while one of an interrupted run's is still alive.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .appendonly import append_lines
from .errors import BenchError
from .model import NATIVE
from .storage import EMULATION as PIDS_FILE  # the run folder's record of load processes



def describe(name: str, spec: dict) -> str:
    """A sentence for the report saying what was imitated and how."""
    if name == NATIVE:
        return "No emulation: the trial ran as this machine runs it."
    parts = []
    if spec.get("omp_threads"):
        parts.append(f"the driver's OpenMP runtime sized to {spec['omp_threads']} threads "
                     f"(OMP_NUM_THREADS and omp_set_num_threads), as in a container whose "
                     f"visible CPUs exceed its quota")
    if spec.get("background_load"):
        parts.append(f"{spec['background_load']} busy background process(es) on the driver")
    text = "; ".join(parts) or "nothing"
    return (spec.get("description") + " Emulated by: " if spec.get("description") else
            "Emulated by: ") + text + ". Applied to serial cells only."


def manifest_entries(conditions: dict) -> dict:
    out = {NATIVE: {"emulated": False, "description": describe(NATIVE, {})}}
    for name, spec in conditions.items():
        out[name] = {"emulated": True, "description": describe(name, spec), "knobs": dict(spec)}
    return out


@contextlib.contextmanager
def _omp_threads(n: int):
    from threadpoolctl import threadpool_limits

    old = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(n)
    try:
        with threadpool_limits(limits=n, user_api="openmp"):
            yield
    finally:
        if old is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = old


def die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux; a no-op
    elsewhere), and leave at once if the parent is already gone."""
    import ctypes
    import signal

    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def spin(parent: int) -> None:
    """A background-load process: tied to its parent, busy until it is stopped."""
    die_with_parent(parent)
    sys.stdout.write("r")  # spinning now
    sys.stdout.close()
    n = 0
    while True:
        n += 1
        if n % 100_000 == 0 and os.getppid() != parent:  # where prctl is not available
            os._exit(0)


def _record(pid_file: Path | None, event: str, procs: list) -> None:
    if pid_file is None:
        return
    import psutil

    entries = []
    for p in procs:
        with contextlib.suppress(psutil.Error):
            entries.append({"pid": p.pid, "create_time": psutil.Process(p.pid).create_time()})
    if event == "stopped":
        entries = [{"pid": p.pid} for p in procs]
    line = {"event": event, "ts": time.time(), "runner_pid": os.getpid(), "processes": entries}
    append_lines(pid_file, json.dumps(line) + "\n")


def alive_background_load(run_folder: Path) -> list[int]:
    """Pids of background-load processes recorded in a run folder that are still running
    (same pid and start time as recorded)."""
    import psutil

    path = Path(run_folder) / PIDS_FILE
    if not path.exists():
        return []
    started: dict[int, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by a killed runner
        for proc in entry.get("processes") or []:
            if entry.get("event") == "started":
                started[proc["pid"]] = proc.get("create_time")
            else:
                started.pop(proc["pid"], None)
    alive = []
    for pid, created in started.items():
        try:
            proc = psutil.Process(pid)
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if created is not None and abs(proc.create_time() - created) > 1.0:
                continue  # the pid now belongs to someone else
        except psutil.Error:
            continue
        alive.append(pid)
    return sorted(alive)


def refuse_if_loaded(run_folder: Path) -> None:
    """A resumed run must not time its cells beside the interrupted run's busy processes."""
    alive = alive_background_load(run_folder)
    if alive:
        pids = " ".join(map(str, alive))
        raise BenchError(f"{run_folder}: background-load process(es) of the interrupted run "
                         f"still running (pid {pids}); they would slow every cell. Wait for "
                         f"them to exit, or stop them: kill {pids}")


@contextlib.contextmanager
def _background_load(n: int, pid_file: Path | None = None):
    procs = []
    here = str(Path(__file__).resolve().parent.parent)  # this bench, whatever the sys.path
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [here, *filter(None, [os.environ.get("PYTHONPATH")])])}
    try:
        for _ in range(n):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "bench.conditions", str(os.getpid())], env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL))
        _record(pid_file, "started", procs)
        for p in procs:  # each says when it is spinning: the load is there from the start
            p.stdout.read(1)
            p.stdout.close()
        yield [p.pid for p in procs]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        _record(pid_file, "stopped", procs)


@contextlib.contextmanager
def applied(name: str, spec: dict | None, run_folder: Path | None = None):
    """Apply a condition for the duration of one serial cell; background-load pids are
    recorded in `run_folder`'s emulation.jsonl when given. Enter it before the cell's clock
    starts and leave it after the clock stops: starting and stopping the load is not the
    cell's time."""
    pid_file = Path(run_folder) / PIDS_FILE if run_folder is not None else None
    with contextlib.ExitStack() as stack:
        if name != NATIVE and spec:
            if spec.get("omp_threads"):
                stack.enter_context(_omp_threads(int(spec["omp_threads"])))
            if spec.get("background_load"):
                stack.enter_context(_background_load(int(spec["background_load"]), pid_file))
        yield


if __name__ == "__main__":
    spin(int(sys.argv[1]))
