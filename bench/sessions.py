"""The Spark sessions of one run: the run's own (or the caller's), or one per cluster shape."""
from __future__ import annotations

import contextlib
import tempfile
from typing import Optional

from . import grid, modes, spark_session
from .errors import BenchError
from .storage import RunFolder

#: Spark setting prefix that puts a variable into the executors' (and Python workers') environment
EXECUTOR_ENV = "spark.executorEnv."


class Sessions:
    """The Spark sessions of one run.

    The run's own session (or the caller's) is started on first need and kept to the end:
    one session for every cell. A scenario that sweeps cluster shapes gets one standalone
    cluster and session per shape instead, started for its cells and stopped after them.
    """

    def __init__(self, scn, folder: RunFolder, master: str, conf: dict, given=None):
        self.scn, self.folder, self.master, self.conf = scn, folder, master, conf
        self.given = given
        self.own = None
        self._recorded = False
        self.shapes = {c["label"]: c for c in scn.settings.get("clusters", [])}
        self._cluster = None  # (label, exit stack, running cluster) of the current shape

    def _conf(self, master: str, extra: dict) -> dict:
        merged = {**{k: str(v) for k, v in self.scn.settings["spark_conf"].items()},
                  **extra, **self.conf}
        return spark_session.session_conf(master, merged, self.folder.eventlog_dir)

    def _start(self, master: str, extra: dict, label: str):
        self._forget_thread_env(extra)
        spark = spark_session.start_session(
            master, self._conf(master, extra),
            log_path=self.folder.spark_log(label))
        return spark

    def _forget_thread_env(self, extra: dict) -> None:
        """PySpark leaves a stopped session's settings behind as JVM system properties, and
        the next session in this process reads them: clear every executor thread variable
        the scenario sets that this session does not set itself."""
        from pyspark import SparkContext

        jvm = SparkContext._jvm
        if jvm is None:
            return
        envs = [*(self.scn.settings.get("thread_env") or []),
                *(e for w in self.scn.settings["workloads"] for e in w.get("thread_env", []))]
        for name in sorted({k for env in envs for k in env}):
            key = EXECUTOR_ENV + name
            if key not in extra:
                jvm.java.lang.System.clearProperty(key)

    def default(self):
        """The run's own session (started once) or the caller's; its facts go in the manifest."""
        if self.given is None and self.own is None:
            self.own = self._start(self.master, {}, "session")
            spark_session.wait_for_executors(self.own)
        spark = self.given if self.given is not None else self.own
        if not self._recorded:
            self._recorded = True
            self.folder.record_spark({**spark_session.session_facts(spark),
                                      "provided_by_caller": self.given is not None})
        return spark

    @contextlib.contextmanager
    def session_for(self, cluster: Optional[str], cells: list[grid.Cell]):
        spark_cells = [c for c in cells if modes.of(c).uses_spark]
        if not spark_cells:
            yield self.given
            return
        # spark.executorEnv is fixed per SparkContext: a thread environment needs its session
        env = {EXECUTOR_ENV + k: str(v) for k, v in spark_cells[0].thread_env_set.items()}
        if cluster is None and not env:
            yield self.default()
            return
        if cluster is None:
            if self.given is not None:
                raise BenchError(f"{self.scn.path}: thread_env: cells with their own thread "
                                 "environment need their own SparkSession (spark.executorEnv "
                                 "is fixed per session); they cannot run inside the caller's")
            self.close()  # one SparkContext per process
            spark = self._start(self.master, env, "session-" + grid.env_label(
                spark_cells[0].thread_env_set).replace("=", "-").replace(",", "_"))
            try:
                spark_session.wait_for_executors(spark)
                yield spark
            finally:
                spark.stop()
            return
        from .cluster import standalone

        shape = self.shapes[cluster]
        extra = {"spark.task.cpus": str(shape["task_cpus"]), **env}
        standalone.check_schedulable({**extra, **self.conf}, shape["workers"], shape["cores"],
                                     shape["memory"])
        running = self._cluster_for(cluster, shape)
        spark = self._start(running.master_url, {**standalone.spark_conf_for(running), **extra},
                            cluster.replace("/", "-"))
        try:
            waited = standalone.wait_for_executors(spark.sparkContext, shape["workers"])
            facts = spark_session.session_facts(spark)
            facts.update(cluster=running.to_dict(), cluster_startup_s=running.startup_s,
                         executor_wait_s=waited, shape=shape,
                         thread_env_set=dict(spark_cells[0].thread_env_set))
            self.folder.add_cluster_session(cluster, facts)
            yield spark
        finally:
            spark.stop()

    def _cluster_for(self, label: str, shape: dict):
        """The standalone cluster of a shape: started on first need and kept while
        consecutive segments use it (one session per thread environment runs on it), stopped
        when another shape is needed or the run ends."""
        from .cluster import standalone

        if self._cluster is not None and self._cluster[0] == label:
            return self._cluster[2]
        self._stop_cluster()
        stack = contextlib.ExitStack()
        state_dir = self.folder.cluster_dir(label)
        # free ports, so a sweep never collides with a cluster the user already runs
        # the state folder is kept with the results: the cluster's secret lives elsewhere
        running = stack.enter_context(standalone.running_cluster(
            shape["workers"], shape["cores"], shape["memory"], state_dir=state_dir,
            master_port=standalone.free_port(), webui_port=standalone.free_port(),
            worker_webui_ports=[standalone.free_port() for _ in range(shape["workers"])],
            secret_dir=tempfile.mkdtemp(prefix="bench-cluster-auth-")))
        self._cluster = (label, stack, running)
        return running

    def _stop_cluster(self) -> None:
        if self._cluster is not None:
            _, stack, _ = self._cluster
            self._cluster = None
            stack.close()

    def close(self) -> None:
        """Stop the run's own session (clusters stay up: close_all stops them too)."""
        if self.own is not None:
            self.own.stop()
            self.own = None

    def close_all(self) -> None:
        try:
            self.close()
        finally:
            self._stop_cluster()
