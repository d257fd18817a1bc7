"""Fixtures for tests that need a real Spark standalone cluster on 127.0.0.1.

`spark_cluster` starts one 2-worker cluster (1 core, 1g each) per test session, on free
ports, in a temporary state folder, and stops it at the end. `run_sparktrials_on` runs a
SparkTrials fmin against a cluster in a separate Python process: PySpark passes a session's
settings to its JVM as system properties, so a second session in the same process would
inherit them (event-log folder included); a child process keeps every test's Spark clean.

Run as a script, this file is that driver process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.cluster import standalone

__all__ = ["spark_cluster", "run_sparktrials_on"]

CLUSTER_WORKERS = 2
CLUSTER_CORES = 1
CLUSTER_MEMORY = "1g"
DRIVER_JOB_GROUP = "cluster-sleep-p2-r0"


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory):
    """A running 2x1 standalone cluster; its Cluster record."""
    state_dir = tmp_path_factory.mktemp("spark-cluster")
    master_port, webui_port = standalone.free_port(), standalone.free_port()
    while webui_port == master_port:
        webui_port = standalone.free_port()
    cluster = standalone.start(CLUSTER_WORKERS, CLUSTER_CORES, CLUSTER_MEMORY,
                               state_dir=state_dir, master_port=master_port,
                               webui_port=webui_port, timeout=120)
    try:
        yield cluster
    finally:
        if (Path(state_dir) / standalone.STATE_FILE).exists():
            standalone.stop(state_dir)


def run_sparktrials_on(cluster: standalone.Cluster, eventlog_dir: Path, evals: int = 4,
                       parallelism: int = 2, sleep_s: float = 0.2, timeout: float = 240) -> dict:
    """Run SparkTrials fmin on the cluster in a child process; what the driver observed."""
    eventlog_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP=standalone.LOOPBACK)
    args = {"cluster": cluster.to_dict(), "eventlog_dir": str(eventlog_dir), "evals": evals,
            "parallelism": parallelism, "sleep_s": sleep_s}
    proc = subprocess.run([sys.executable, __file__, json.dumps(args)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"driver failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- driver process

def _objective(_params):
    """Sleep, then report which task, Python worker and executor JVM ran the trial."""
    import psutil
    from pyspark import TaskContext

    time.sleep(SLEEP_S)
    ctx = TaskContext.get()
    jvm = next((p.pid for p in psutil.Process().parents() if p.name() == "java"), None)
    return {"status": "ok", "loss": 0, "task_attempt_id": ctx.taskAttemptId(),
            "stage_id": ctx.stageId(), "pid": os.getpid(), "executor_jvm_pid": jvm}


def _tree_sockets(pids) -> list:
    """Listening sockets of these processes and all their descendants."""
    import psutil

    every = set(pids)
    for pid in pids:
        try:
            every.update(c.pid for c in psutil.Process(pid).children(recursive=True))
        except psutil.NoSuchProcess:
            pass
    return standalone.listening_sockets(sorted(every))


def _drive(args: dict) -> dict:
    from hyperopt import SparkTrials, fmin, hp, tpe
    from pyspark.sql import SparkSession

    cluster = standalone.Cluster.from_dict(args["cluster"])
    conf = standalone.spark_conf_for(cluster)
    standalone.check_schedulable(conf, cluster.workers, cluster.cores_per_worker,
                                 cluster.memory)
    builder = SparkSession.builder.appName("cluster-test")
    for key, value in {**conf, "spark.ui.enabled": "false", "spark.eventLog.enabled": "true",
                       "spark.eventLog.dir": args["eventlog_dir"],
                       "spark.eventLog.compress": "false",
                       "spark.eventLog.rolling.enabled": "false"}.items():
        builder = builder.config(key, value)
    began = time.monotonic()
    spark = builder.getOrCreate()
    session_s = time.monotonic() - began
    try:
        sc = spark.sparkContext
        executors_s = standalone.wait_for_executors(sc, cluster.workers, timeout=120)
        sc.setJobGroup(DRIVER_JOB_GROUP, "cluster test cell")
        trials = SparkTrials(parallelism=args["parallelism"], spark_session=spark)
        fmin_began = time.monotonic()
        fmin(_objective, hp.uniform("x", 0, 1), algo=tpe.suggest, max_evals=args["evals"],
             trials=trials, max_queue_len=args["parallelism"], show_progressbar=False)
        fmin_s = time.monotonic() - fmin_began
        sockets = _tree_sockets(cluster.pids + [os.getpid()])
        results = [{"tid": t["tid"], "cell_id": DRIVER_JOB_GROUP, "state": t["state"],
                    **{k: t["result"].get(k) for k in ("task_attempt_id", "stage_id", "pid",
                                                       "executor_jvm_pid")}}
                   for t in trials.trials]
    finally:
        spark.stop()
    return {"session_s": session_s, "executors_s": executors_s, "fmin_s": fmin_s,
            "trials": results, "listening": sockets}


if __name__ == "__main__":
    ARGS = json.loads(sys.argv[1])
    SLEEP_S = ARGS["sleep_s"]
    print(json.dumps(_drive(ARGS)))
