"""The run's SparkSession: created once, bound to loopback when local, quiet, with event log.

Spark code lives at this edge; nothing else in bench creates a session.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

from . import redaction
from .errors import BenchError

DEFAULT_MASTER = "local[*]"
#: spark.sql.shuffle.partitions for the run's session. SparkTrials' own jobs shuffle nothing;
#: this is for an objective or data loader that runs Spark SQL on a small machine, where
#: Spark's default of 200 partitions turns every little aggregation into 200 tasks.
#: The scenario's spark_conf or --conf overrides it.
SHUFFLE_PARTITIONS = 4
#: Seconds to let further executors register after the first, when the session does not say
#: how many to expect (no spark.executor.instances: one per worker of a standalone cluster),
#: so the first cells are not timed on a partly assembled cluster.
EXECUTOR_SETTLE_S = 3.0

# --------------------------------------------------------------------------- secrets
# One redaction for everything (bench.redaction); these names stay for existing callers.
REDACTED = redaction.REDACTED
is_secret = redaction.is_secret
redact_conf = redaction.conf
redact_argv = redaction.argv
redact_text = redaction.text


def resumed_conf(recorded: dict | None, given: dict) -> dict:
    """The settings a resumed run uses: those recorded at its start, with the ones given now
    winning. A secret was recorded redacted, so it must be given again."""
    hidden = {k for k, v in (recorded or {}).items() if REDACTED in str(v)}
    missing = sorted(hidden - set(given))
    if missing:
        raise BenchError(f"{', '.join(missing)}: secret setting(s) of this run were not "
                         f"stored; give them again with --conf KEY=VALUE to resume")
    return {**{k: v for k, v in (recorded or {}).items() if k not in hidden}, **given}


def redact_run_logs(folder: Path) -> int:
    """Scrub the logs a run keeps (Spark's output, cluster daemon logs, worker folders,
    event logs) of every secret value handed to Spark and of secret `key=value` pairs."""
    from .storage import CLUSTERS_DIR, EVENTLOG_DIR, LOGS_DIR

    return sum(redaction.files(Path(folder) / sub)
               for sub in (LOGS_DIR, CLUSTERS_DIR, EVENTLOG_DIR)
               if (Path(folder) / sub).is_dir())


redact_files = redaction.files


def is_loopback_master(master: str) -> bool:
    """Masters whose executors live on this machine: bind everything to 127.0.0.1."""
    return master.startswith("local") or master.startswith("spark://127.0.0.1") \
        or master.startswith("spark://localhost")


def parse_conf(pairs: list[str]) -> dict:
    """--conf key=value pairs, with a clear error for a malformed one."""
    conf = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BenchError(f"--conf {pair!r}: expected key=value")
        conf[key.strip()] = value
    return conf


def session_conf(master: str, user_conf: dict, eventlog_dir: Path | None) -> dict:
    """All settings for a new session; the user's --conf and scenario settings win."""
    conf: dict[str, str] = {"spark.ui.showConsoleProgress": "false",
                            "spark.ui.enabled": "false",
                            "spark.sql.shuffle.partitions": str(SHUFFLE_PARTITIONS)}
    if is_loopback_master(master):
        conf.update({"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"})
    if eventlog_dir is not None:
        eventlog_dir.mkdir(parents=True, exist_ok=True)
        conf.update({"spark.eventLog.enabled": "true", "spark.eventLog.dir": str(eventlog_dir),
                     "spark.eventLog.compress": "false",
                     "spark.eventLog.rolling.enabled": "false"})
    conf.update({k: str(v) for k, v in user_conf.items()})
    redaction.learn_conf(conf)  # its redaction pattern and secret values, to scrub logs
    return conf


def prepare_environment(master: str) -> None:
    """Python workers must run this interpreter (the one with bench and the models)."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if is_loopback_master(master):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


@contextlib.contextmanager
def output_to(log_path: Path):
    """Point this process's stdout/stderr file descriptors at a log while Spark's JVM is
    spawned: the JVM inherits them, so its console chatter lands in the run's log folder
    instead of the terminal. Python's own output is restored afterwards."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log_path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def start_session(master: str, conf: dict, app_name: str = "sparktrials-bench",
                  log_path: Path | None = None):
    """Start (or fail clearly to start) the run's one SparkSession."""
    prepare_environment(master)
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is not None:
        raise BenchError("a SparkSession is already running in this process: pass it to "
                         "bench.runner.run(spark=...) or stop it first")
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in conf.items():
        builder = builder.config(key, value)
    try:
        with output_to(log_path) if log_path else contextlib.nullcontext():
            spark = builder.getOrCreate()
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = f" (Spark's output: {log_path})" if log_path else ""
        raise BenchError(f"--master {master}: could not start Spark: {first}{where}") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def task_cpus(spark) -> int:
    return int(spark.sparkContext.getConf().get("spark.task.cpus", "1"))


def task_slots(spark) -> int:
    """Concurrent tasks the cluster can run now: cores / spark.task.cpus."""
    return max(1, spark.sparkContext.defaultParallelism // task_cpus(spark))


def executor_count(spark_context) -> int:
    """Registered executors, not counting the driver (local mode reports only the driver)."""
    infos = spark_context._jsc.sc().statusTracker().getExecutorInfos()
    return max(0, len(infos) - 1)


def await_executors(spark_context, count: int, timeout: float = 120.0, hint: str = "") -> float:
    """Block until `count` executors have registered with the driver; returns seconds waited.
    Call before timing anything, so executor start-up is not charged to the first cell."""
    began = time.monotonic()
    while True:
        registered = executor_count(spark_context)
        if registered >= count:
            return time.monotonic() - began
        if time.monotonic() - began > timeout:
            raise BenchError(f"only {registered} of {count} executor(s) registered after "
                             f"{timeout:.0f} s{hint}")
        time.sleep(0.1)


def wait_for_executors(spark, timeout: float = 120.0) -> None:
    """On a cluster, executors register after the session starts; measuring before they
    arrive would time executor start-up, not trials."""
    sc = spark.sparkContext
    if sc.master.startswith("local"):
        return
    wanted = sc.getConf().get("spark.executor.instances")
    await_executors(sc, int(wanted or 1), timeout,
                    hint=f" on --master {sc.master} (are workers alive and are "
                         "spark.executor.cores/memory schedulable?)")
    if wanted is None:
        time.sleep(EXECUTOR_SETTLE_S)  # let the remaining workers' executors register too


def session_facts(spark) -> dict:
    """What the manifest records about Spark."""
    sc = spark.sparkContext
    conf = dict(sc.getConf().getAll())
    redaction.learn_conf(conf)  # the running Spark's own spark.redaction.regex, if set
    return {"master": sc.master, "version": sc.version, "app_id": sc.applicationId,
            "default_parallelism": sc.defaultParallelism, "task_cpus": task_cpus(spark),
            "task_slots": task_slots(spark), "executors": executor_count(sc),
            "executor_cores": conf.get("spark.executor.cores"),
            "executor_omp_num_threads": conf.get("spark.executorEnv.OMP_NUM_THREADS"),
            "conf": redact_conf(dict(sorted(conf.items())))}
