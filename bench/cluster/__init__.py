"""A real Spark standalone cluster (one master, N workers) on 127.0.0.1, for runs that should
see executors in their own JVMs instead of local mode's threads."""
from .standalone import (
    Cluster,
    check_schedulable,
    default_state_dir,
    parse_memory_mb,
    parse_shape,
    running_cluster,
    spark_conf_for,
    start,
    status,
    stop,
    task_slots,
    wait_for_executors,
)

__all__ = [
    "Cluster", "check_schedulable", "default_state_dir", "parse_memory_mb", "parse_shape",
    "running_cluster", "spark_conf_for", "start", "status", "stop", "task_slots",
    "wait_for_executors",
]
