"""A cluster's state folder: its record (cluster.json: URLs, shape, the daemons' pids), its
secret (auth.conf, mode 0600, given to the daemons by path and never on a command line), and
the driver settings an application on it needs."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

from ..errors import BenchError
from .network import LOOPBACK

STATE_FILE = "cluster.json"
#: Spark properties file holding the cluster's authentication secret (mode 0600).
AUTH_FILE = "auth.conf"


def default_state_dir() -> Path:
    """`.cluster/` in the enclosing project (the folder holding pyproject.toml or .git),
    or in the current directory."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").exists() or (folder / ".git").exists():
            return folder / ".cluster"
    return here / ".cluster"


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
        state = read_state(state_dir)
    except BenchError:
        return {}
    if not state or state.get("master_url") != master or not state.get("auth_file"):
        return {}
    return read_auth(state["auth_file"])


def forget_auth(state: dict) -> None:
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


def state_path(state_dir: Path) -> Path:
    return Path(state_dir) / STATE_FILE


def read_state(state_dir: Path) -> Optional[dict]:
    path = state_path(state_dir)
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


def write_state(state_dir: Path, data: dict) -> None:
    path = state_path(state_dir)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
