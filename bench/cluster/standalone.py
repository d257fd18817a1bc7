"""Start, inspect and stop a Spark standalone cluster bound to 127.0.0.1 only.

The master and the workers are JVMs started directly (bench.cluster.daemons). Everything the
cluster writes (logs, worker work dirs, the pid record) lives in one state folder, and `stop`
ends exactly the processes recorded there, never anything found by name.

The cluster authenticates every connection (spark.authenticate) with a secret generated at
start: it lives in a properties file readable by its owner only (mode 0600, see
bench.cluster.state), given to the daemons by path (never on a command line) and to the run's
session by spark_conf_for, so another local user can neither submit an application nor join
as a worker.

This module is also the cluster API the rest of the harness imports: the names of the
modules it builds on are re-exported here.
"""
from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Iterator, Optional

import psutil

from ..errors import BenchError
from ..shapes import parse_shape  # noqa: F401  (the cluster API offers it)
from .daemons import (MASTER_CLASS, WORKER_CLASS, daemon_env, is_running, log_hint, spawn,
                      stop_processes)
from .network import (LOOPBACK, alive_workers, free_port, listening_sockets,  # noqa: F401
                      master_json, port_free)
from .schedulable import (DEFAULT_EXECUTOR_MEMORY, MIN_EXECUTOR_MEMORY_MB,  # noqa: F401
                          check_schedulable, parse_memory_mb, task_slots)
from .state import (AUTH_FILE, STATE_FILE, Cluster, auth_for_master,  # noqa: F401
                    default_state_dir, forget_auth, read_auth, read_state, spark_conf_for,
                    state_path, write_auth, write_state)


def _refuse_if_running(state_dir: Path) -> None:
    state = read_state(state_dir)
    if state is None:
        return
    alive = [p for p in state["processes"] if is_running(p)]
    if alive:
        pids = ", ".join(f"{p['role']} {p['pid']}" for p in alive)
        raise BenchError(f"{state_path(state_dir)}: a cluster is still running ({pids}); "
                         f"stop it first with: python -m bench cluster stop --state-dir "
                         f"{state_dir}")
    state_path(state_dir).unlink()  # every recorded process is gone: a stale record


def start(workers: int, cores: int, memory: str, state_dir: Path | str | None = None,
          master_port: int = 7077, webui_port: int = 8080, timeout: float = 120.0,
          worker_webui_ports: Optional[list[int]] = None,
          secret_dir: Path | str | None = None) -> Cluster:
    """Start a master and `workers` workers of `cores` cores and `memory` each, all on
    127.0.0.1 and authenticated with a new secret, and return once every worker is ALIVE.
    The secret goes to `secret_dir` (default: the state folder; give a private folder when
    the state folder is kept with results). On timeout, failure or interrupt, everything
    started is stopped again before the error propagates."""
    state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
    ports = {"master port": master_port, "master web UI port": webui_port}
    _check_start(workers, cores, memory, ports, worker_webui_ports)
    _prepare_state_dir(state_dir, ports)
    state = {"state_dir": str(state_dir), "master_url": f"spark://{LOOPBACK}:{master_port}",
             "webui_url": f"http://{LOOPBACK}:{webui_port}", "workers": workers,
             "cores_per_worker": cores, "memory": memory, "master_port": master_port,
             "webui_port": webui_port, "processes": [], "launched_ts": time.time(),
             "alive_ts": None}
    try:
        state["auth_file"] = str(write_auth(Path(secret_dir) if secret_dir else state_dir))
        _launch(state, daemon_env(state_dir), time.monotonic() + timeout, worker_webui_ports)
        state["alive_ts"] = time.time()
        _refuse_exposed(state)
        write_state(state_dir, state)
    except BaseException:
        stop_processes(state["processes"], timeout=15.0)
        forget_auth(state)
        with contextlib.suppress(FileNotFoundError):
            state_path(state_dir).unlink()
        raise
    return Cluster.from_dict(state)


def _check_start(workers: int, cores: int, memory: str, ports: dict,
                 worker_webui_ports: Optional[list[int]]) -> None:
    """Refuse settings no cluster could start with, before anything is launched."""
    if workers < 1 or cores < 1:
        raise BenchError(f"cluster of {workers} worker(s) x {cores} core(s): both must be at "
                         f"least 1")
    worker_mb = parse_memory_mb(memory)
    if worker_mb < MIN_EXECUTOR_MEMORY_MB:
        raise BenchError(f"worker memory {memory}: too small for any executor (Spark needs at "
                         f"least {MIN_EXECUTOR_MEMORY_MB}m)")
    total_mb = psutil.virtual_memory().total // (1024 * 1024)
    if worker_mb * workers > total_mb:
        raise BenchError(f"{workers} worker(s) x {memory} is more than this machine's "
                         f"{total_mb} MiB of memory")
    for label, port in ports.items():
        if not 1 <= port <= 65535:
            raise BenchError(f"{label} {port}: not a TCP port")
    if len(set(ports.values())) < len(ports):
        raise BenchError(f"master port and web UI port are both {next(iter(ports.values()))}")
    if worker_webui_ports is not None and len(worker_webui_ports) != workers:
        raise BenchError(f"{len(worker_webui_ports)} worker web UI port(s) for {workers} workers")


def _prepare_state_dir(state_dir: Path, ports: dict) -> None:
    """The state folder with its logs/ and work/, no cluster of its own still running, and
    the ports free."""
    state_dir.mkdir(parents=True, exist_ok=True)
    _refuse_if_running(state_dir)
    for label, port in ports.items():
        if not port_free(port):
            raise BenchError(f"{label} {port} on {LOOPBACK} is already in use; choose another "
                             f"(--master-port / --webui-port)")
    for sub in ("logs", "work"):
        (state_dir / sub).mkdir(exist_ok=True)


def _launch(state: dict, env: dict, deadline: float,
            worker_webui_ports: Optional[list[int]]) -> None:
    """Spawn the master, then the workers, recording each pid before waiting on it (so
    `stop` can always clean up), until every worker is ALIVE."""
    state_dir = Path(state["state_dir"])
    auth = ["--properties-file", state["auth_file"]]
    state["processes"].append(spawn(
        [MASTER_CLASS, "--host", LOOPBACK, "--port", str(state["master_port"]),
         "--webui-port", str(state["webui_port"]), *auth],
        env, state_dir / "logs" / "master.out", "master"))
    write_state(state_dir, state)
    _wait(state, deadline, lambda s: s is not None and s.get("status") == "ALIVE",
          "the master to come up")
    workers = state["workers"]
    for i in range(workers):
        work_dir = state_dir / "work" / f"worker-{i}"
        work_dir.mkdir(parents=True, exist_ok=True)
        ui_port = worker_webui_ports[i] if worker_webui_ports else free_port()
        state["processes"].append(spawn(
            [WORKER_CLASS, "--host", LOOPBACK, "--cores", str(state["cores_per_worker"]),
             "--memory", state["memory"], "--work-dir", str(work_dir),
             "--webui-port", str(ui_port), *auth, state["master_url"]],
            env, state_dir / "logs" / f"worker-{i}.out", f"worker-{i}"))
        write_state(state_dir, state)
    _wait(state, deadline, lambda s: len(alive_workers(s)) >= workers,
          f"{workers} worker(s) to register as ALIVE")


def _refuse_exposed(state: dict) -> None:
    exposed = [s for s in listening_sockets(p["pid"] for p in state["processes"])
               if s[1] != LOOPBACK]
    if exposed:
        raise BenchError("cluster daemons listen beyond loopback: " + ", ".join(
            f"pid {pid} on {ip}:{port}" for pid, ip, port in exposed))


def _wait(state: dict, deadline: float, done, what: str) -> None:
    """Poll the master's JSON until `done(summary)`, failing fast when a daemon exits."""
    while True:
        for p in state["processes"]:
            if not is_running(p):
                hint = log_hint(p["log"])
                raise BenchError(f"{p['role']} (pid {p['pid']}) exited while waiting for {what}"
                                 f"; see {p['log']}" + (f": {hint}" if hint else ""))
        summary = master_json(state["webui_port"])
        if done(summary):
            return
        if time.monotonic() > deadline:
            seen = len(alive_workers(summary))
            raise BenchError(f"timed out waiting for {what} ({seen} ALIVE worker(s) so far); "
                             f"see the logs in {Path(state['state_dir']) / 'logs'}")
        time.sleep(0.25)


def stop(state_dir: Path | str | None = None, timeout: float = 30.0) -> dict:
    """Stop the cluster recorded in `state_dir` and forget it. Returns the pids that ended on
    SIGTERM ('terminated'), those that needed SIGKILL ('killed') and the seconds it took."""
    state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
    state = read_state(state_dir)
    if state is None:
        raise BenchError(f"{state_path(state_dir)}: no cluster recorded here")
    began = time.monotonic()
    result = stop_processes(state["processes"], timeout=timeout)
    forget_auth(state)
    state_path(state_dir).unlink()
    result["seconds"] = time.monotonic() - began
    return result


def status(state_dir: Path | str | None = None) -> dict:
    """What the state folder records and what is true now: each daemon pid alive or not, and
    the workers the master knows (id, cores, memory, state)."""
    state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
    state = read_state(state_dir)
    if state is None:
        raise BenchError(f"{state_path(state_dir)}: no cluster recorded here")
    summary = master_json(state["webui_port"])
    registered = [{"id": w.get("id"), "host": w.get("host"), "port": w.get("port"),
                   "cores": w.get("cores"), "cores_used": w.get("coresused"),
                   "memory_mb": w.get("memory"), "state": w.get("state")}
                  for w in (summary or {}).get("workers", [])]
    return {
        "state_dir": str(state_dir),
        "master_url": state["master_url"],
        "webui_url": state["webui_url"],
        "workers_requested": state["workers"],
        "cores_per_worker": state["cores_per_worker"],
        "memory": state["memory"],
        "processes": [{"role": p["role"], "pid": p["pid"], "alive": is_running(p), "log": p["log"]}
                      for p in state["processes"]],
        "master_reachable": summary is not None,
        "workers": registered,
        "alive_workers": sum(1 for w in registered if w["state"] == "ALIVE"),
        "active_apps": [{"id": a.get("id"), "name": a.get("name"), "cores": a.get("cores")}
                        for a in (summary or {}).get("activeapps", [])],
    }


@contextlib.contextmanager
def running_cluster(workers: int, cores: int, memory: str,
                    state_dir: Path | str | None = None, **start_options) -> Iterator[Cluster]:
    """A cluster for the duration of a `with` block; stopped however the block ends
    (exception, KeyboardInterrupt)."""
    cluster = start(workers, cores, memory, state_dir=state_dir, **start_options)
    try:
        yield cluster
    finally:
        stop(cluster.state_dir)


def wait_for_executors(spark_context, count: int, timeout: float = 120.0) -> float:
    """Block until `count` executors of this cluster have registered; returns seconds waited."""
    from ..spark_session import await_executors

    return await_executors(spark_context, count, timeout,
                           hint="; check the cluster with: python -m bench cluster status")
