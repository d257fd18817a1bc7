"""Run a scenario's cells: one SparkSession per run, one fmin call per cell, results appended
after every cell. `run()` is the Python API (also for notebooks with their own session)."""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from . import cellproc, conditions, environment, grid, points, pool, shipping, variants, versions, workloads
from . import scenario as scenario_mod
from . import spark_session
from .collect import SparkTaskErrors, SuggestClock, trial_records
from .errors import BenchError
from .model import SCHEMA_VERSION, CellRecord
from .probe import Probed
from .progress import Progress
from .storage import RunFolder

log = logging.getLogger("bench")

#: Spark setting prefix that puts a variable into the executors' (and Python workers') environment
EXECUTOR_ENV = "spark.executorEnv."


def quiet_third_party() -> None:
    """Keep library chatter (deprecation warnings, Spark INFO logs) off the user's terminal."""
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(pyspark|hyperopt|sklearn|lightgbm)")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # inherited by Spark's Python workers
    for name in ("py4j", "hyperopt", "hyperopt-spark", "hyperopt.spark", "hyperopt.tpe",
                 "hyperopt.fmin", "pyspark"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def new_run_id(name: str, results_dir: Path) -> str:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_id, n = f"{name}-{stamp}", 1
    while (results_dir / run_id).exists():
        n += 1
        run_id = f"{name}-{stamp}-{n}"
    return run_id


def _algo(name: str):
    from hyperopt import rand, tpe

    return {"tpe": tpe.suggest, "rand": rand.suggest}[name]


def call_fmin(fn, space, algo, max_evals, trials, seed, max_queue_len=1,
              timeout=None) -> None:
    """fmin as the harness uses it: no progress bar, and a cell whose every trial failed is
    a result (its failed trials are recorded), not an error: hyperopt raises
    AllTrialsFailed while computing the argmin it returns, which the harness ignores."""
    from hyperopt import fmin
    from hyperopt.exceptions import AllTrialsFailed

    try:
        fmin(fn=fn, space=space, algo=algo, max_evals=max_evals, trials=trials,
             rstate=np.random.default_rng(seed), max_queue_len=max_queue_len,
             timeout=timeout, show_progressbar=False, return_argmin=False)
    except AllTrialsFailed:
        pass


def closure_bytes(fn, space) -> int:
    """Bytes of what SparkTrials pickles for every trial (objective + space)."""
    try:
        return len(shipping.pickled(fn, space))
    except Exception:
        return -1


@contextlib.contextmanager
def cancel_on_interrupt(spark, job_group: str):
    """Ctrl-C during a spark fmin cancels the job group's running trials at once (SparkTrials
    alone would wait for them to finish), then raises KeyboardInterrupt as usual. Trials the
    dispatcher launches while fmin winds down are cancelled too."""
    if spark is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    stop = threading.Event()

    def keep_cancelling():
        while not stop.wait(0.2):
            spark.sparkContext.cancelJobGroup(job_group)

    def on_sigint(signum, frame):
        spark.sparkContext.cancelJobGroup(job_group)
        threading.Thread(target=keep_cancelling, daemon=True, name="bench-cancel").start()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        stop.set()
        signal.signal(signal.SIGINT, previous)


def record_call(run_id: str, cell: dict, trials, clock: SuggestClock, space, fn, *,
                start_ts: float, wall: float, error: str | None, task_errors: dict,
                slots=None, job_group=None) -> tuple[dict, list[dict]]:
    """One finished fmin call as a cell record and its trial records (runner and observe)."""
    records = trial_records(trials, cell, run_id, clock, space, task_errors)
    ok = [r for r in records if r.status == "ok"]
    cell_rec = CellRecord(
        run_id=run_id, **cell, emulated=cell.get("condition", conditions.NATIVE) != conditions.NATIVE,
        start_ts=start_ts, end_ts=start_ts + wall, wall_s=wall, trials_ok=len(ok),
        trials_failed=len(records) - len(ok),
        best_loss=min((r.loss for r in ok), default=None), task_slots=slots,
        spark_job_group=job_group,
        closure_bytes=closure_bytes(fn, space) if cell["mode"] == "spark" else None,
        error=error)
    return cell_rec.to_dict(), [r.to_dict() for r in records]


def error_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


class CellRunner:
    """Runs single cells against one session; objectives are built once per (workload, n_jobs)."""

    def __init__(self, scn: scenario_mod.Scenario, run: RunFolder, spark=None):
        """`spark` may change between cells (one session per cluster shape)."""
        self.scn, self.run, self.spark = scn, run, spark
        self.settings = scn.settings
        self._objectives: dict = {}
        self._warm: set = set()            # (workload, n_jobs) warmed in the driver
        self._warm_sessions: list = []     # sessions already warmed
        self._workloads = {w["name"]: w for w in self.settings["workloads"]}

    def objective(self, workload: str, n_jobs):
        key = (workload, repr(n_jobs))
        if key not in self._objectives:
            try:
                fn, space = workloads.build(self._workloads[workload], self.settings, n_jobs)
            except BenchError as exc:  # the scenario's data loader failed
                raise BenchError(f"{self.scn.path}: {exc}") from None
            self._objectives[key] = (Probed(fn), space)
        return self._objectives[key]

    def preflight(self, cells: list[grid.Cell]) -> dict:
        """Before any cell runs: build every objective (so a failing data loader stops the
        run at once) and round-trip each spark workload's objective and space the way Spark
        ships them. Returns the manifest's `shipping` entry: workload -> pickled size."""
        shipped = {}
        for cell in cells:
            fn, space = self.objective(cell.workload, cell.n_jobs)
            if cell.mode != "spark" or cell.workload in shipped:
                continue
            if "objective" not in self._workloads[cell.workload]:  # bench's own classes
                shipped[cell.workload] = {"pickled_bytes": closure_bytes(fn, space),
                                          "checked": "built-in workload"}
                continue
            i = [w["name"] for w in self.settings["workloads"]].index(cell.workload)
            shipped[cell.workload] = shipping.check(
                fn, space, f"{self.scn.path}: workloads[{i}].objective")
        return shipped

    def trials_for(self, cell: grid.Cell):
        if cell.mode == "serial":
            from hyperopt import Trials

            return Trials()
        if cell.mode == "pool":
            return pool.PoolTrials()
        return variants.spark_trials(cell.variant or variants.DEFAULT_VARIANT,
                                     parallelism=cell.parallelism, spark_session=self.spark)

    def algo_for(self, cell: grid.Cell, space):
        """The search algorithm, or the cell's pre-drawn points (points: shared)."""
        if self.settings.get("points") == "shared":
            return points.Replay(points.draw(space, cell.max_evals,
                                             self.settings["seed"] + cell.repeat))
        return _algo(self.settings["algo"])

    def pool_for(self, cell: grid.Cell, fn):
        """A warmed process pool with the executors' thread environment (pool cells)."""
        if cell.mode != "pool":
            return contextlib.nullcontext()
        omp = spark_session.task_cpus(self.spark) if self.spark is not None else 1
        return pool.WarmPool(fn, cell.parallelism, omp_threads=omp)

    def warm_up(self, cells: list[grid.Cell]) -> float:
        """Start the JVM path, Python workers and model libraries before the first measured
        cell on a session, so that cell does not pay for them. Returns seconds spent."""
        from hyperopt import Trials

        t0 = time.perf_counter()
        for cell in cells:
            key = (cell.workload, repr(cell.n_jobs))
            if key in self._warm:
                continue
            self._warm.add(key)
            fn, space = self.objective(cell.workload, cell.n_jobs)
            call_fmin(fn, space, _algo("rand"), 1, Trials(), seed=0)
        spark_cells = [c for c in cells if c.mode == "spark"]
        if self.spark is not None and spark_cells and not any(
                s is self.spark for s in self._warm_sessions):
            from hyperopt.spark import SparkTrials

            self._warm_sessions.append(self.spark)
            slots = spark_session.task_slots(self.spark)
            self.spark.sparkContext.parallelize(range(slots), slots).map(lambda x: x).collect()
            fn, space = self.objective(spark_cells[0].workload, spark_cells[0].n_jobs)
            call_fmin(fn, space, _algo("rand"), 1,
                      SparkTrials(parallelism=1, spark_session=self.spark), seed=0)
        return time.perf_counter() - t0

    def run_cell(self, cell: grid.Cell) -> tuple[dict, list[dict]]:
        if cell.mode == "serial" and cell.thread_env_set and not cellproc.in_child():
            return self._run_in_child(cell)
        fn, space = self.objective(cell.workload, cell.n_jobs)
        algo = self.algo_for(cell, space)
        clock = SuggestClock(algo)
        cond_spec = self.settings["conditions"].get(cell.condition)
        trials = self.trials_for(cell)
        slots = job_group = None
        if cell.mode == "spark":
            sc = self.spark.sparkContext
            sc.setLocalProperty("spark.jobGroup.id", cell.cell_id)  # SparkTrials adopts it
            slots, job_group = spark_session.task_slots(self.spark), cell.cell_id
        error = None
        task_errors = SparkTaskErrors()
        # the warm pool and the emulated condition are set up before the clock starts
        with self.pool_for(cell, fn) as warm_pool, \
                conditions.applied(cell.condition, cond_spec, self.run.path):
            start_ts = time.time()
            t0 = time.perf_counter()
            try:
                with task_errors, \
                        cancel_on_interrupt(self.spark if job_group else None, job_group):
                    if warm_pool is not None:
                        slots = warm_pool.workers
                        warm_pool.run(algo.points, space, trials, clock.suggested)
                    else:
                        call_fmin(fn, space, clock, cell.max_evals, trials,
                                  seed=self.settings["seed"] + cell.repeat,
                                  max_queue_len=cell.max_queue_len,
                                  timeout=self.settings.get("timeout_s"))
            except Exception as exc:  # the cell failed as a whole; keep what it produced
                error = error_line(exc)
            finally:
                wall = time.perf_counter() - t0
                if cell.mode == "spark":
                    self.spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
        return record_call(self.run.run_id, cell.to_dict(), trials, clock, space, fn,
                           start_ts=start_ts, wall=wall, error=error,
                           task_errors=task_errors.by_tid, slots=slots, job_group=job_group)

    def _run_in_child(self, cell: grid.Cell) -> tuple[dict, list[dict]]:
        """A serial cell with its own thread environment runs in a fresh process: the
        OpenMP runtime already loaded here read its environment when it loaded."""
        start_ts = time.time()
        cell_rec, trials = cellproc.run_serial_cell(self.scn, self.run.path, cell)
        if cell_rec is not None:
            return cell_rec, trials
        failed = CellRecord(run_id=self.run.run_id, **cell.to_dict(), emulated=cell.condition
                            != conditions.NATIVE, start_ts=start_ts, end_ts=time.time(),
                            wall_s=None, trials_ok=0, trials_failed=0, error=trials)
        return failed.to_dict(), []


def _manifest(scn, run_id, cells, argv, master, conf, results_dir) -> dict:
    return {
        "schema_version": SCHEMA_VERSION, "run_id": run_id,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "status": "running", "scenario": scn.manifest_entry(), "profile": scn.profile,
        "grid": scenario_mod.describe_settings(scn.settings),
        "cells": [c.to_dict() for c in cells],
        "argv": command_line(spark_session.redact_argv(argv)),
        "requested": {"master": master, "conf": spark_session.redact_conf(conf),
                      "results_dir": str(results_dir)},
        "environment": environment.capture(Path(__file__).resolve().parent.parent),
        "conditions": conditions.manifest_entries(scn.settings["conditions"]),
    }


def command_line(argv) -> list[str]:
    """argv as the user typed it: `python -m bench ...` rather than the module's file path."""
    argv = list(argv)
    if argv and Path(argv[0]).name == "__main__.py" and Path(argv[0]).parent.name == "bench":
        return ["python", "-m", "bench", *argv[1:]]
    return argv


def _scenario_for_resume(run: RunFolder) -> scenario_mod.Scenario:
    m = run.manifest()
    if m["scenario"].get("observed"):
        raise BenchError(f"{run.path}: recorded by bench.observe, which has no scenario to "
                         "resume; run the notebook's fmin calls again")
    path = Path(m["scenario"]["path"])
    scn = scenario_mod.load(path, m.get("profile", "quick"))
    if scn.sha256 != m["scenario"]["sha256"]:
        raise BenchError(f"{path}: changed since run {run.run_id} started; resuming would mix "
                         "two scenarios (start a new run instead)")
    return scn


def run(scenario: str | Path | None = None, *, profile: str = "quick", master: str | None = None,
        conf: Optional[dict] = None, results_dir: str | Path = "results", spark=None,
        resume: str | Path | None = None, quiet: bool = False, argv=None,
        run_id: str | None = None) -> Path:
    """Run (or resume) a scenario and return its results folder.

    Pass `spark=` an existing SparkSession (a notebook's) to run inside it; it is left running.
    """
    quiet_third_party()
    versions.check_hyperopt()
    conf = dict(conf or {})
    if resume is not None:
        folder = RunFolder(resume)
        manifest = folder.manifest()
        conditions.refuse_if_loaded(folder.path)
        scn = _scenario_for_resume(folder)
        master = master or manifest.get("requested", {}).get("master")
        conf = spark_session.resumed_conf(manifest.get("requested", {}).get("conf"), conf)
        cells = [grid.Cell(**c) for c in manifest["cells"]]
        folder.drop_unfinished_trials()
    else:
        scn = scenario if isinstance(scenario, scenario_mod.Scenario) else \
            scenario_mod.load(scenario, profile)
        cells = grid.expand(scn.settings)
        results_dir = Path(results_dir)
        results_dir.mkdir(parents=True, exist_ok=True)
        master = master or (spark.sparkContext.master if spark is not None else
                            spark_session.DEFAULT_MASTER)
        folder = RunFolder(results_dir / (run_id or new_run_id(scn.name, results_dir)))
        folder.create(_manifest(scn, folder.run_id, cells, argv or sys.argv, master, conf,
                                results_dir))
    done = folder.finished_cell_ids()
    pending = [c for c in cells if c.cell_id not in done]
    for name in sorted({c.variant for c in pending if c.mode == "spark" and c.variant}):
        variants.check_shape(name)  # refuse before anything runs, not mid-run
    if spark is not None and any(c.cluster for c in pending):
        raise BenchError(f"{scn.path}: clusters: a scenario that starts its own clusters "
                         "cannot run inside an existing SparkSession")
    sessions = Sessions(scn, folder, master, conf, given=spark)
    runner = CellRunner(scn, folder)
    try:
        folder.update_manifest(status="running", **({"resumed": dt.datetime.now(
            dt.timezone.utc).isoformat(timespec="seconds")} if resume is not None else {}))
        folder.update_manifest(shipping=runner.preflight(pending))
        with Progress(total=len(cells), done=len(done), quiet=quiet) as bar:
            for cluster, segment in grid.segments(pending):
                with sessions.session_for(cluster, segment) as session:
                    runner.spark = session
                    sessions.record_warmup(cluster, runner.warm_up(segment))
                    for cell in segment:
                        bar.describe(cell.cell_id)
                        cell_rec, trial_recs = runner.run_cell(cell)
                        folder.append_cell(cell_rec, trial_recs)
                        bar.advance(cell_rec)
        folder.update_manifest(status="finished")
    except KeyboardInterrupt:
        folder.update_manifest(status="interrupted")
        raise
    except BaseException:
        folder.update_manifest(status="failed")
        raise
    finally:
        try:
            sessions.close_all()
        finally:
            spark_session.redact_run_logs(folder.path)
    collect_spark_tasks(folder)
    return folder.path


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
            log_path=self.folder.path / "logs" / f"spark-{label}.log")
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
            self.folder.update_manifest(spark={**spark_session.session_facts(spark),
                                               "provided_by_caller": self.given is not None})
        return spark

    @contextlib.contextmanager
    def session_for(self, cluster: Optional[str], cells: list[grid.Cell]):
        spark_cells = [c for c in cells if c.mode == "spark"]
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
            clusters = self.folder.manifest().get("clusters") or {}
            clusters.setdefault(cluster, []).append(facts)
            self.folder.update_manifest(clusters=clusters)
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
        state_dir = self.folder.path / "clusters" / label.replace("/", "-")
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

    def record_warmup(self, cluster: Optional[str], seconds: float) -> None:
        m = self.folder.manifest()
        warm = m.get("warmup_s") or {}
        if not isinstance(warm, dict):
            warm = {}
        key = cluster or "session"
        warm[key] = round(warm.get(key, 0.0) + seconds, 3)
        self.folder.update_manifest(warmup_s=warm)

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


def collect_spark_tasks(folder: RunFolder) -> int:
    """Turn the run's Spark event logs into spark_tasks.jsonl, joined to the trials by task
    attempt id and job group. Returns the number of task records written."""
    from .eventlog import SPARK_EXECUTORS, find_eventlogs, parse_run_eventlog
    from .storage import rewrite_jsonl

    if not find_eventlogs(folder.eventlog_dir):
        return 0
    from .analysis.clocks import CLOCK_OFFSETS, offsets_of_records

    executors: list[dict] = []
    records = parse_run_eventlog(folder, executors)
    folder.write_spark_tasks(records)
    rewrite_jsonl(folder.path / SPARK_EXECUTORS, executors)
    rewrite_jsonl(folder.path / CLOCK_OFFSETS,
                  offsets_of_records(folder.read_trials().records, records))
    note = versions.unjoined_note(records, folder.read_trials().records)
    if note:
        print(f"warning: {note}", file=sys.stderr)
    return len(records)
