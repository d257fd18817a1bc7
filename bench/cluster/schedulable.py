"""What a standalone cluster of N workers x C cores can run: Spark memory strings, the driver
settings it can never satisfy (Spark would wait forever with 'Initial job has not accepted any
resources'), and the task slots it offers. Pure functions of settings and a shape."""
from __future__ import annotations

import re
from typing import Optional

from ..errors import BenchError

#: Spark refuses executors with less heap than 1.5 x its 300 MiB reserved memory.
MIN_EXECUTOR_MEMORY_MB = 450
#: Spark's own default for spark.executor.memory.
DEFAULT_EXECUTOR_MEMORY = "1g"

_UNITS = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}


def parse_memory_mb(text: str) -> int:
    """A Spark memory string with a unit ('512m', '1g', '2G', '1gb') -> MiB. A bare number is
    refused: Spark reads it as bytes in some places and MiB in others."""
    m = re.fullmatch(r"\s*(\d+)\s*([kmgtKMGT])[bB]?\s*", str(text))
    if not m:
        raise BenchError(f"memory {text!r}: expected a number with a unit, e.g. 512m or 1g")
    return int(int(m.group(1)) * _UNITS[m.group(2).lower()])


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
