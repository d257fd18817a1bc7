"""Start, inspect and stop a Spark standalone cluster bound to 127.0.0.1 only.

The pip pyspark package ships `bin/spark-class` but no start scripts, so the master and the
workers are started directly as JVMs (spark-class execs java: the pid we get is the daemon's).
Everything the cluster writes (logs, worker work dirs, the pid record) lives in one state
folder, and `stop` ends exactly the processes recorded there, never anything found by name.

The cluster authenticates every connection (spark.authenticate) with a secret generated at
start: it lives in a properties file readable by its owner only (mode 0600), given to the
daemons by path (never on a command line) and to the run's session by spark_conf_for, so
another local user can neither submit an application nor join as a worker.
"""
from __future__ import annotations

import contextlib
import errno
import ipaddress
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Optional

import psutil

from ..errors import BenchError
from ..shapes import parse_shape  # noqa: F401  (the cluster API offers it)

LOOPBACK = "127.0.0.1"
STATE_FILE = "cluster.json"
#: Spark properties file holding the cluster's authentication secret (mode 0600).
AUTH_FILE = "auth.conf"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
#: Spark refuses executors with less heap than 1.5 x its 300 MiB reserved memory.
MIN_EXECUTOR_MEMORY_MB = 450
#: Spark's own default for spark.executor.memory.
DEFAULT_EXECUTOR_MEMORY = "1g"
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


# --------------------------------------------------------------------------- parsing

_UNITS = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}


def parse_memory_mb(text: str) -> int:
    """A Spark memory string with a unit ('512m', '1g', '2G', '1gb') -> MiB. A bare number is
    refused: Spark reads it as bytes in some places and MiB in others."""
    m = re.fullmatch(r"\s*(\d+)\s*([kmgtKMGT])[bB]?\s*", str(text))
    if not m:
        raise BenchError(f"memory {text!r}: expected a number with a unit, e.g. 512m or 1g")
    return int(int(m.group(1)) * _UNITS[m.group(2).lower()])


def default_state_dir() -> Path:
    """`.cluster/` in the enclosing project (the folder holding pyproject.toml or .git),
    or in the current directory."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").exists() or (folder / ".git").exists():
            return folder / ".cluster"
    return here / ".cluster"


def spark_home() -> Path:
    """The installed pyspark package: it is a complete SPARK_HOME with jars and spark-class."""
    import pyspark

    home = Path(pyspark.__file__).resolve().parent
    if not (home / "bin" / "spark-class").exists():
        raise BenchError(f"{home}: pyspark has no bin/spark-class; reinstall pyspark")
    return home


# --------------------------------------------------------------------------- scheduling checks

def _conf_int(conf: dict, key: str, default: int) -> int:
    value = conf.get(key)
    if value is None:
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise BenchError(f"{key}={value!r}: not a whole number") from None
    if number < 1:
        raise BenchError(f"{key}={value!r}: must be at least 1")
    return number


def check_schedulable(conf: dict, workers: int, cores_per_worker: int,
                      memory_per_worker: Optional[str] = None) -> None:
    """Refuse driver settings a cluster of `workers` x `cores_per_worker` can never satisfy.
    Spark would not fail on them: it waits forever with 'Initial job has not accepted any
    resources'."""
    if workers < 1 or cores_per_worker < 1:
        raise BenchError(f"cluster of {workers} worker(s) x {cores_per_worker} core(s): "
                         f"both must be at least 1")
    executor_cores = _conf_int(conf, "spark.executor.cores", cores_per_worker)
    task_cpus = _conf_int(conf, "spark.task.cpus", 1)
    if executor_cores > cores_per_worker:
        raise BenchError(f"spark.executor.cores={executor_cores} but each worker has "
                         f"{cores_per_worker} core(s): no executor could start; use at most "
                         f"{cores_per_worker}")
    if task_cpus > executor_cores:
        raise BenchError(f"spark.task.cpus={task_cpus} is more than spark.executor.cores="
                         f"{executor_cores}: no task could run")
    cores_max = _conf_int(conf, "spark.cores.max", workers * cores_per_worker)
    if cores_max < executor_cores:
        raise BenchError(f"spark.cores.max={cores_max} is less than spark.executor.cores="
                         f"{executor_cores}: no executor could start")
    if memory_per_worker is not None:
        worker_mb = parse_memory_mb(memory_per_worker)
        exec_text = str(conf.get("spark.executor.memory", DEFAULT_EXECUTOR_MEMORY))
        try:
            exec_mb = parse_memory_mb(exec_text)
        except BenchError:
            raise BenchError(f"spark.executor.memory={exec_text!r}: expected e.g. 512m or 1g") \
                from None
        if exec_mb > worker_mb:
            raise BenchError(f"spark.executor.memory={exec_text} is more than a worker's memory "
                             f"({memory_per_worker}): no executor could start")
        if exec_mb < MIN_EXECUTOR_MEMORY_MB:
            raise BenchError(f"spark.executor.memory={exec_text}: Spark needs at least "
                             f"{MIN_EXECUTOR_MEMORY_MB}m per executor")


def task_slots(conf: dict, workers: int, cores_per_worker: int) -> int:
    """Tasks the cluster can run at once for these driver settings (after check_schedulable)."""
    executor_cores = _conf_int(conf, "spark.executor.cores", cores_per_worker)
    task_cpus = _conf_int(conf, "spark.task.cpus", 1)
    cores_max = _conf_int(conf, "spark.cores.max", workers * cores_per_worker)
    executors = min(workers * (cores_per_worker // executor_cores), cores_max // executor_cores)
    return executors * (executor_cores // task_cpus)


# --------------------------------------------------------------------------- the cluster record

@dataclass(frozen=True)
class Cluster:
    """A started cluster as recorded in its state file."""

    state_dir: str
    master_url: str
    webui_url: str
    workers: int
    cores_per_worker: int
    memory: str
    master_port: int
    webui_port: int
    processes: tuple  # ({role, pid, create_time, log}, ...), master first
    launched_ts: float
    alive_ts: float  # when every worker was ALIVE
    auth_file: Optional[str] = None  # the 0600 properties file with the secret (not the secret)

    @property
    def startup_s(self) -> float:
        """Seconds from launching the master to every worker ALIVE."""
        return self.alive_ts - self.launched_ts

    @property
    def pids(self) -> list[int]:
        return [p["pid"] for p in self.processes]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["processes"] = [dict(p) for p in self.processes]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Cluster":
        data = dict(data)
        data["processes"] = tuple(dict(p) for p in data["processes"])
        return cls(**data)


def spark_conf_for(cluster: Cluster) -> dict[str, str]:
    """Driver settings for an application on this cluster: one executor per worker using all
    its cores and memory, and a driver reachable on loopback only."""
    return {
        "spark.master": cluster.master_url,
        "spark.executor.cores": str(cluster.cores_per_worker),
        "spark.executor.memory": cluster.memory,
        "spark.cores.max": str(cluster.workers * cluster.cores_per_worker),
        "spark.driver.host": LOOPBACK,
        "spark.driver.bindAddress": LOOPBACK,
        **(read_auth(cluster.auth_file) if cluster.auth_file else {}),
    }


def write_auth(folder: Path) -> Path:
    """A new secret in `folder`/auth.conf, created readable and writable by its owner only."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / AUTH_FILE
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # a stale one from a cluster that is gone
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"spark.authenticate true\nspark.authenticate.secret {secrets.token_hex(32)}\n")
    return path


def read_auth(path: str | Path) -> dict[str, str]:
    """The driver settings that authenticate to the cluster, from its auth file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BenchError(f"{path}: cannot read the cluster's secret ({exc.strerror}); "
                         f"restart the cluster") from None
    conf = dict(line.split(None, 1) for line in text.splitlines() if line.strip())
    return {k: v.strip() for k, v in conf.items()}


def auth_for_master(master: str | None, state_dir: Path | str | None = None) -> dict[str, str]:
    """The settings that authenticate to the cluster `cluster start` recorded in `state_dir`
    when `master` is its URL (so `run --master spark://127.0.0.1:7077` just works); {}
    otherwise."""
    if not master or not str(master).startswith("spark://"):
        return {}
    state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
    try:
        state = _read_state(state_dir)
    except BenchError:
        return {}
    if not state or state.get("master_url") != master or not state.get("auth_file"):
        return {}
    return read_auth(state["auth_file"])


def _forget_auth(state: dict) -> None:
    """Delete the secret of a stopped cluster (and its private folder when it has its own)."""
    path = state.get("auth_file")
    if not path:
        return
    with contextlib.suppress(FileNotFoundError):
        Path(path).unlink()
    folder = Path(path).parent
    if folder != Path(state["state_dir"]):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _state_path(state_dir: Path) -> Path:
    return Path(state_dir) / STATE_FILE


def _read_state(state_dir: Path) -> Optional[dict]:
    path = _state_path(state_dir)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("processes"), list):
            raise ValueError("no process list")
        return data
    except (ValueError, OSError) as exc:
        raise BenchError(f"{path}: unreadable cluster record ({exc}); check for running "
                         f"Spark daemons of this folder, then delete the file") from None


def _write_state(state_dir: Path, data: dict) -> None:
    path = _state_path(state_dir)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --------------------------------------------------------------------------- processes

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


def _alive(entry: dict) -> bool:
    return _process(entry["pid"], entry.get("create_time")) is not None


def _spawn(args: list[str], env: dict, log_path: Path, role: str) -> dict:
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


def _daemon_env(state_dir: Path) -> dict:
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


def _port_free(port: int) -> bool:
    """Can a server bind this port on loopback now? (SO_REUSEADDR, as Spark's servers do.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_port() -> int:
    """A port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _plain_ip(ip: str) -> str:
    """Java listens on IPv6 sockets: '::ffff:127.0.0.1' is the IPv4 address 127.0.0.1."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    mapped = getattr(addr, "ipv4_mapped", None)
    return str(mapped or addr)


def listening_sockets(pids) -> list[tuple[int, str, int]]:
    """(pid, address, port) of every listening TCP socket of these processes, IPv4-mapped
    IPv6 addresses shown as IPv4."""
    out = []
    for pid in pids:
        try:
            conns = psutil.Process(pid).net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        out += [(pid, _plain_ip(c.laddr.ip), c.laddr.port) for c in conns
                if c.status == psutil.CONN_LISTEN]
    return out


def _log_hint(path: str) -> str:
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


def master_json(webui_port: int, timeout: float = 2.0) -> Optional[dict]:
    """The master's /json/ summary, or None when it does not answer (yet)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(f"http://{LOOPBACK}:{webui_port}/json/", timeout=timeout) as resp:
            return json.loads(resp.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _alive_workers(summary: Optional[dict]) -> list[dict]:
    return [w for w in (summary or {}).get("workers", []) if w.get("state") == "ALIVE"]


# --------------------------------------------------------------------------- start / stop

def _refuse_if_running(state_dir: Path) -> None:
    state = _read_state(state_dir)
    if state is None:
        return
    alive = [p for p in state["processes"] if _alive(p)]
    if alive:
        pids = ", ".join(f"{p['role']} {p['pid']}" for p in alive)
        raise BenchError(f"{_state_path(state_dir)}: a cluster is still running ({pids}); "
                         f"stop it first with: python -m bench cluster stop --state-dir "
                         f"{state_dir}")
    _state_path(state_dir).unlink()  # every recorded process is gone: a stale record


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
        _launch(state, _daemon_env(state_dir), time.monotonic() + timeout, worker_webui_ports)
        state["alive_ts"] = time.time()
        _refuse_exposed(state)
        _write_state(state_dir, state)
    except BaseException:
        _stop_processes(state["processes"], timeout=15.0)
        _forget_auth(state)
        with contextlib.suppress(FileNotFoundError):
            _state_path(state_dir).unlink()
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
        if not _port_free(port):
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
    state["processes"].append(_spawn(
        [MASTER_CLASS, "--host", LOOPBACK, "--port", str(state["master_port"]),
         "--webui-port", str(state["webui_port"]), *auth],
        env, state_dir / "logs" / "master.out", "master"))
    _write_state(state_dir, state)
    _wait(state, deadline, lambda s: s is not None and s.get("status") == "ALIVE",
          "the master to come up")
    workers = state["workers"]
    for i in range(workers):
        work_dir = state_dir / "work" / f"worker-{i}"
        work_dir.mkdir(parents=True, exist_ok=True)
        ui_port = worker_webui_ports[i] if worker_webui_ports else free_port()
        state["processes"].append(_spawn(
            [WORKER_CLASS, "--host", LOOPBACK, "--cores", str(state["cores_per_worker"]),
             "--memory", state["memory"], "--work-dir", str(work_dir),
             "--webui-port", str(ui_port), *auth, state["master_url"]],
            env, state_dir / "logs" / f"worker-{i}.out", f"worker-{i}"))
        _write_state(state_dir, state)
    _wait(state, deadline, lambda s: len(_alive_workers(s)) >= workers,
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
            if not _alive(p):
                hint = _log_hint(p["log"])
                raise BenchError(f"{p['role']} (pid {p['pid']}) exited while waiting for {what}"
                                 f"; see {p['log']}" + (f": {hint}" if hint else ""))
        summary = master_json(state["webui_port"])
        if done(summary):
            return
        if time.monotonic() > deadline:
            seen = len(_alive_workers(summary))
            raise BenchError(f"timed out waiting for {what} ({seen} ALIVE worker(s) so far); "
                             f"see the logs in {Path(state['state_dir']) / 'logs'}")
        time.sleep(0.25)


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


def _stop_processes(entries: list[dict], timeout: float) -> dict:
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


def stop(state_dir: Path | str | None = None, timeout: float = 30.0) -> dict:
    """Stop the cluster recorded in `state_dir` and forget it. Returns the pids that ended on
    SIGTERM ('terminated'), those that needed SIGKILL ('killed') and the seconds it took."""
    state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
    state = _read_state(state_dir)
    if state is None:
        raise BenchError(f"{_state_path(state_dir)}: no cluster recorded here")
    began = time.monotonic()
    result = _stop_processes(state["processes"], timeout=timeout)
    _forget_auth(state)
    _state_path(state_dir).unlink()
    result["seconds"] = time.monotonic() - began
    return result


def status(state_dir: Path | str | None = None) -> dict:
    """What the state folder records and what is true now: each daemon pid alive or not, and
    the workers the master knows (id, cores, memory, state)."""
    state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
    state = _read_state(state_dir)
    if state is None:
        raise BenchError(f"{_state_path(state_dir)}: no cluster recorded here")
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
        "processes": [{"role": p["role"], "pid": p["pid"], "alive": _alive(p), "log": p["log"]}
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
