"""The cluster's daemons as processes: the master and workers started directly as JVMs
(the pip pyspark package ships `bin/spark-class` but no start scripts; spark-class execs java,
so the pid we get is the daemon's), recognised by pid and start time, and stopped with
whatever they started, never anything found by name."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import psutil

from ..errors import BenchError
from .network import LOOPBACK

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
#: Daemon JVM options: no unauthenticated REST submission server, no kill links in the
#: master's web UI (anyone reaching its port could end a run), and no silent move to another
#: port when the requested one is taken (the master URL must be the one recorded).
MASTER_OPTS = ("-Dspark.master.rest.enabled=false -Dspark.ui.killEnabled=false "
               "-Dspark.port.maxRetries=0")
WORKER_OPTS = "-Dspark.port.maxRetries=0"
#: Inherited variables that would change what the daemons do behind our back.
_INHERITED_DAEMON_VARS = ("SPARK_MASTER_", "SPARK_WORKER_", "SPARK_DAEMON_", "SPARK_CONF_DIR",
                          "SPARK_LOG_DIR", "SPARK_PID_DIR", "SPARK_PUBLIC_DNS", "SPARK_IDENT")
#: Popen objects of daemons started by this process, kept so `stop` can reap them.
_CHILDREN: dict[int, subprocess.Popen] = {}


def spark_home() -> Path:
    """The installed pyspark package: it is a complete SPARK_HOME with jars and spark-class."""
    import pyspark

    home = Path(pyspark.__file__).resolve().parent
    if not (home / "bin" / "spark-class").exists():
        raise BenchError(f"{home}: pyspark has no bin/spark-class; reinstall pyspark")
    return home


def _process(pid: int, create_time: Optional[float]) -> Optional[psutil.Process]:
    """The process if it is still the one we started (same pid and start time) and running."""
    try:
        proc = psutil.Process(pid)
        if create_time is not None and abs(proc.create_time() - create_time) > 1.0:
            return None  # the pid was reused by someone else
        if proc.status() == psutil.STATUS_ZOMBIE:
            _reap(pid)
            return None
        return proc
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def _status(proc: psutil.Process) -> Optional[str]:
    try:
        return proc.status()
    except psutil.Error:
        return None


def _exited(proc: psutil.Process) -> bool:
    """Gone, or a zombie waiting for a parent that is not us (orphans of `cluster start`)."""
    return _status(proc) in (None, psutil.STATUS_ZOMBIE)


def _reap(pid: int) -> None:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid, None)


def is_running(entry: dict) -> bool:
    return _process(entry["pid"], entry.get("create_time")) is not None


def spawn(args: list[str], env: dict, log_path: Path, role: str) -> dict:
    cmd = [str(spark_home() / "bin" / "spark-class"), *args]
    with open(log_path, "ab") as log_fh:
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log_fh,
                                stderr=subprocess.STDOUT, start_new_session=True)
    _CHILDREN[proc.pid] = proc
    try:
        create_time = psutil.Process(proc.pid).create_time()
    except psutil.NoSuchProcess:
        create_time = None
    return {"role": role, "pid": proc.pid, "create_time": create_time, "log": str(log_path)}


def daemon_env(state_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_DAEMON_VARS)}
    conf_dir = state_dir / "conf"  # empty: no spark-defaults.conf or spark-env.sh from elsewhere
    conf_dir.mkdir(exist_ok=True)
    env.update({
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": LOOPBACK,
        "SPARK_LOCAL_HOSTNAME": LOOPBACK,
        "SPARK_CONF_DIR": str(conf_dir),
        "SPARK_LOG_DIR": str(state_dir / "logs"),
        "SPARK_MASTER_OPTS": MASTER_OPTS,
        "SPARK_WORKER_OPTS": WORKER_OPTS,
        "PYSPARK_PYTHON": env.get("PYSPARK_PYTHON", sys.executable),
    })
    return env


def log_hint(path: str) -> str:
    """The most telling line at the end of a daemon log, for an error message."""
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()[-60:]
    except OSError:
        return ""
    for pattern in ("Exception", "ERROR", "Error", "error"):
        hits = [line.strip() for line in lines if pattern in line]
        if hits:
            return hits[-1][:300]
    return lines[-1].strip()[:300] if lines else ""


def _wait_exit(procs: list, timeout: float) -> tuple[list, list]:
    """Wait until every process has exited (reaping our own children), up to `timeout`."""
    deadline = time.monotonic() + timeout
    alive, gone = list(procs), []
    while alive:
        done, alive = psutil.wait_procs(alive, timeout=0.2)
        gone += done + [p for p in alive if _exited(p)]
        alive = [p for p in alive if not _exited(p)]
        if time.monotonic() > deadline:
            break
    return gone, alive


def stop_processes(entries: list[dict], timeout: float) -> dict:
    """SIGTERM the recorded daemons and whatever they started (executors, Python workers),
    wait, SIGKILL what is left, and wait again. Only these pids are ever signalled."""
    daemons = [p for p in (_process(e["pid"], e.get("create_time")) for e in entries) if p]
    descendants = []
    for proc in daemons:
        with contextlib.suppress(psutil.Error):
            descendants += proc.children(recursive=True)
    # spark-class leaves its launcher shell as a zombie child of the JVM: nothing to stop.
    descendants = [p for p in descendants if not _exited(p)]
    terminated, killed = [], []
    for group, grace in ((daemons, timeout), (descendants, 5.0)):
        living = []
        for proc in group:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.send_signal(signal.SIGTERM)
                living.append(proc)
        gone, alive = _wait_exit(living, grace)
        terminated += [p.pid for p in gone]
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        gone, alive = _wait_exit(alive, 5.0)
        killed += [p.pid for p in gone]
        if alive:
            raise BenchError("could not stop pid(s) " + ", ".join(str(p.pid) for p in alive))
    for entry in entries:
        child = _CHILDREN.pop(entry["pid"], None)
        if child is not None:
            # A JVM's main thread shows as a zombie while its other threads still exit; it
            # can be reaped a moment later.
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=10)
    return {"terminated": terminated, "killed": killed}
