"""The load a cell ran under: busy cores of the whole host, of the cell's own driver process
tree (its trials, its Spark JVM and the JVM's Python workers), and what is left: the other
processes'. Read from /proc (Linux); elsewhere every figure is None.

Own use is measured on the process tree rather than taken from the probe: the tree holds the
trials (serial ones in the driver, spark ones in the JVM's Python workers), the JVM's
scheduler, heartbeats and garbage collection, and the driver's own hyperopt loop, so
host - own is what other processes took. A worker that exits during the cell is counted
through its parent's reaped-children time (cutime/cstime)."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def host_busy_ticks(stat_text: str) -> tuple[int, int] | None:
    """(busy, total) jiffies from /proc/stat's first line; busy excludes idle and iowait."""
    for line in stat_text.splitlines():
        if line.startswith("cpu "):
            v = [int(x) for x in line.split()[1:]]
            total = sum(v[:8])  # guest time is already inside user and nice
            return total - v[3] - (v[4] if len(v) > 4 else 0), total
    return None


def proc_ticks(stat_text: str) -> tuple[int, int, int]:
    """(ppid, own utime+stime, reaped children's cutime+cstime) from /proc/PID/stat."""
    rest = stat_text[stat_text.rindex(")") + 2:].split()
    return int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14])


def tree_ticks(stats: dict[int, str], root: int) -> int:
    """CPU ticks of `root` and all its descendants (own and reaped children's), from the
    /proc/PID/stat texts of every process."""
    parsed = {}
    for pid, text in stats.items():
        try:
            parsed[pid] = proc_ticks(text)
        except (ValueError, IndexError):
            continue
    children: dict[int, list] = {}
    for pid, (ppid, _, _) in parsed.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in parsed:
            total += parsed[pid][1] + parsed[pid][2]
            todo += children.get(pid, [])
    return total


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            return fh.read()
    except OSError:
        return None


def _all_stats() -> dict[int, str]:
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            text = _read(f"/proc/{name}/stat")
            if text:
                out[int(name)] = text
    return out


@dataclass
class Snapshot:
    t: float
    host: tuple[int, int] | None
    own: int
    jvm: int


def snapshot(root: int, jvm: int | None) -> Snapshot | None:
    """The counters now for the tree at `root` and the JVM's tree; None without /proc."""
    stat = _read("/proc/stat")
    if stat is None:
        return None
    stats = _all_stats()
    return Snapshot(time.monotonic(), host_busy_ticks(stat), tree_ticks(stats, root),
                    tree_ticks(stats, jvm) if jvm else 0)


def cores_between(a: Snapshot | None, b: Snapshot | None, cpus: int) -> dict:
    """The cell's load fields (CellRecord load_*) between two snapshots, in cores."""
    none = {"load_host_cores": None, "load_own_cores": None, "load_jvm_cores": None,
            "load_external_cores": None}
    if a is None or b is None or a.host is None or b.host is None or b.t <= a.t:
        return none
    busy, total = b.host[0] - a.host[0], b.host[1] - a.host[1]
    if total <= 0:
        return none
    host = cpus * busy / total
    seconds = b.t - a.t
    own = max(0, b.own - a.own) / _TICK / seconds
    jvm = max(0, b.jvm - a.jvm) / _TICK / seconds
    return {"load_host_cores": round(host, 3), "load_own_cores": round(own, 3),
            "load_jvm_cores": round(jvm, 3),
            "load_external_cores": round(max(0.0, host - own), 3)}
