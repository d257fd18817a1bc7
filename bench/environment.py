"""Metadata about the machine and software, captured richly into every manifest (pyperf-style)."""
from __future__ import annotations

import importlib.metadata
import os
import platform
import socket
import subprocess
import sys
from pathlib import Path

from .model import THREAD_ENV_VARS, usable_cores_of

PACKAGES = ("hyperopt", "pyspark", "scikit-learn", "lightgbm", "numpy", "pandas", "joblib",
            "threadpoolctl", "psutil")


def _version(dist: str):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def java_version() -> str | None:
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") \
        else "java"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (out.stderr or out.stdout).strip().splitlines()
    return lines[0] if lines else None


def cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def git_commit(folder: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


#: Where the kernel mounts the cgroup hierarchy; a parameter so tests can use a fake tree.
CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _cgroup_paths(proc_cgroup: Path) -> dict:
    """This process's cgroup per controller from /proc/self/cgroup: '' for the unified (v2)
    hierarchy, the controller list (e.g. 'cpu,cpuacct') for v1."""
    out = {}
    for line in (_read(proc_cgroup) or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            out[parts[1]] = parts[2]
    return out


def _ancestors(base: Path, rel: str) -> list[Path]:
    """base/rel and every folder above it up to base: a quota on any ancestor applies."""
    rel = rel.strip("/")
    parts = rel.split("/") if rel else []
    return [base.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]


def _v2_quota(folder: Path) -> float | None:
    text = _read(folder / "cpu.max")
    if not text:
        return None
    fields = text.split()
    if fields[0] == "max" or len(fields) < 2:
        return None
    try:
        return int(fields[0]) / int(fields[1])
    except ValueError:
        return None


def _v1_quota(folder: Path) -> float | None:
    try:
        quota = int(_read(folder / "cpu.cfs_quota_us") or "")
        period = int(_read(folder / "cpu.cfs_period_us") or "")
    except ValueError:
        return None
    return quota / period if quota > 0 and period > 0 else None


def cpu_quota_cores(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> float | None:
    """CPUs a cgroup CPU quota allows this process, or None when unlimited or unknown.

    cgroup v2: `cpu.max` ("QUOTA PERIOD" or "max ...") of this process's cgroup and of every
    ancestor; cgroup v1: `cpu.cfs_quota_us` / `cpu.cfs_period_us` of the cpu controller's
    cgroup and its ancestors. The smallest quota found wins (a parent caps its children).
    Inside a container the process's cgroup path is often not visible under the mount: the
    mount's own files (the container's cgroup) are read then.
    """
    root = Path(root)
    cgroups = _cgroup_paths(Path(proc_cgroup))
    found = []
    places = [(root, cgroups.get("", "/"), _v2_quota)]
    for controllers, rel in cgroups.items():
        if "cpu" in controllers.split(","):
            places += [(root / controllers, rel, _v1_quota), (root / "cpu", rel, _v1_quota)]
    places += [(root / "cpu", "/", _v1_quota)]  # no /proc/self/cgroup (or no cpu line)
    for base, rel, read in places:
        if not base.is_dir():
            continue
        folders = [f for f in _ancestors(base, rel) if f.is_dir()] or [base]
        found += [q for q in (read(f) for f in folders) if q is not None]
    return round(min(found), 2) if found else None


def affinity_cpus() -> int | None:
    """CPUs this process may be scheduled on (sched_getaffinity), or None where unknown."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return None


def cpu_facts(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> dict:
    """The manifest's CPU entries: visible CPUs, affinity, cgroup quota and usable cores."""
    visible = os.cpu_count()
    affinity = affinity_cpus()
    quota = cpu_quota_cores(root, proc_cgroup)
    return {"visible_cpus": visible, "affinity_cpus": affinity, "cpu_quota_cores": quota,
            "usable_cores": usable_cores_of(visible, affinity, quota)}


def usable_cores():
    """Cores this process can keep busy (a run's recorded ones: Manifest.usable_cores)."""
    return cpu_facts()["usable_cores"]


def capture(project_dir: Path | None = None) -> dict:
    import psutil

    return {
        "python": sys.version.split()[0],
        "python_executable": sys.executable,
        "packages": {p: _version(p) for p in PACKAGES},
        "java": java_version(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "cpu_model": cpu_model(),
        "logical_cores": psutil.cpu_count(logical=True),
        "physical_cores": psutil.cpu_count(logical=False),
        **cpu_facts(),
        "memory_bytes": psutil.virtual_memory().total,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "thread_env": {k: os.environ[k] for k in THREAD_ENV_VARS if k in os.environ},
        "pyspark_python": os.environ.get("PYSPARK_PYTHON"),
        "git_commit": git_commit(project_dir or Path.cwd()),
        "stack": _stack(),
    }


def software() -> dict:
    """This process's software: Python, the measured packages, the stack. What differs
    between the two sides of an A/B run, each side's driver reports it."""
    return {"python": sys.version.split()[0], "python_executable": sys.executable,
            "packages": {p: _version(p) for p in PACKAGES},
            "pyspark_python": os.environ.get("PYSPARK_PYTHON"), "stack": _stack()}


def _stack():
    """The software stack (bench.stacks) this process runs in, or None."""
    from .stacks import active

    return active()
