"""Where a configuration's trials ran, in cores: the driver's usable cores, one executor's
cores, spark.task.cpus, the cluster shapes, and how many trials could share those cores at
once. The rules about threads and cores reason on these facts (pure functions of a run).
"""
from __future__ import annotations

import math

import pandas as pd

from ..shapes import ClusterShape
from .frames import RunData
from .placement import available_executors
from .stats import median


def driver_cores(run: RunData):
    """Cores the driver's serial trials can use: visible CPUs narrowed by the affinity mask,
    capped by a cgroup CPU quota (Manifest.usable_cores)."""
    return run.manifest.usable_cores


def task_cpus(run: RunData, grp: pd.DataFrame, shape: ClusterShape | None) -> int:
    """spark.task.cpus as the trials saw it, else as the shape or the session declared it."""
    seen = pd.to_numeric(grp["spark_task_cpus"], errors="coerce").dropna()
    if len(seen):
        return max(1, int(seen.max()))
    return run.manifest.task_cpus(shape.label if shape else None)


def _int_or_none(value):
    try:
        return int(value) if value is not None and not pd.isna(value) else None
    except (TypeError, ValueError):
        return None


def _declared_executor_cores(run: RunData, grp: pd.DataFrame, shape: ClusterShape | None):
    """(cores, source) from what the run declared rather than logged: the cluster's
    spark.executor.cores, else the shape's cores per worker, else the session's cores spread
    over its executors. (None, '') if none says."""
    m = run.manifest
    conf = m.executor_cores(grp["cluster_label"].iloc[0] or None)
    if conf:
        return conf, "spark.executor.cores"
    if shape and shape.cores:
        return shape.cores, "cluster shape"
    if m.default_parallelism:
        n = 1 if not shape and m.local_session else (m.executors() or 1)
        return max(1, m.default_parallelism // n), "session cores / executors"
    return None, ""


def executor_cores(run: RunData, grp: pd.DataFrame, shape: ClusterShape | None):
    """(cores of one executor, where that number came from) for a spark configuration: the
    fewest cores among the executors alive while its cells ran (event log ExecutorAdded
    'Total Cores'), else spark.executor.cores, else the cluster shape's cores per worker,
    else the session's cores spread over its executors. In local mode the one executor is
    the driver's process, so the driver's usable cores cap it. (None, '') if unknown."""
    local = not shape and run.manifest.local_session
    cells = run.cells[run.cells["cell_id"].isin(set(grp["cell_id"]))]
    alive = available_executors(run.manifest, cells, run.spark_executors)
    logged = [c for a in alive.values() for c in a["cores"].values() if _int_or_none(c)]
    if logged:
        cores, source = int(min(logged)), "event log"
    else:
        cores, source = _declared_executor_cores(run, grp, shape)
    if local:
        driver = driver_cores(run)
        if driver and (cores is None or driver < cores):
            cores, source = driver, "driver (local mode)"
    return cores, source


def thread_placement(run: RunData, grp: pd.DataFrame) -> dict | None:
    """Where one configuration's trials ran, as the rules about cores reason about it:
    threads per trial, the cores available to them and how many trials could share those
    cores at once. Serial: the driver's cores, one trial. Spark: one executor's cores (see
    executor_cores) and the trials its slots hold at once (min(parallelism, executor cores /
    task cpus)): Spark may place every trial of a cell on the same executor."""
    threads = median(grp["model_threads_effective"])
    if not math.isfinite(threads):
        return None
    first = grp.iloc[0]
    if first["mode"] != "spark":
        cores = driver_cores(run)
        return None if not cores else {"threads": threads, "cores": cores, "at_once": 1,
                                        "scope": "the driver", "alone": True}
    p = int(first["parallelism"]) if pd.notna(first["parallelism"]) else 1
    shape = run.manifest.shapes().get(first["cluster_label"]) if first["cluster_label"] else None
    slots = run.cells.set_index("cell_id")["task_slots"].reindex(grp["cell_id"].unique()).dropna()
    # trials of the cell running at once anywhere: with one, its neighbours are not siblings
    in_cell = int(min(p, slots.min())) if len(slots) else p
    cores, source = executor_cores(run, grp, shape)
    if not cores:
        return None
    per_executor = max(1, cores // task_cpus(run, grp, shape))
    local = source == "driver (local mode)" or run.manifest.local_session
    scope = (f"each executor of {first['cluster_label']}" if shape
             else "the local session" if local else "each executor")
    return {"threads": threads, "cores": cores, "at_once": min(p, per_executor, in_cell),
            "scope": scope, "cores_from": source, "alone": in_cell == 1}


def other_busy_cores(grp: pd.DataFrame) -> float:
    """Cores other processes kept busy beside a set of trials: their CPU-seconds over the
    trials' wall seconds (sum over sum). A median of per-trial ratios would weigh a 50 ms
    trial, whose share rests on a few 10 ms ticks, like a 5 s one."""
    ok = grp[grp["other_busy_cores"].notna() & grp["objective_s"].notna()
             & (grp["objective_s"] > 0)]
    wall = float(ok["objective_s"].sum())
    return float((ok["other_busy_cores"] * ok["objective_s"]).sum()) / wall if wall > 0 \
        else float("nan")
