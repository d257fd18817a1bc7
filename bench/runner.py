"""Run a scenario's cells: one SparkSession per run, one fmin call per cell, results appended
after every cell. `run()` is the Python API (also for notebooks with their own session).

How a cell of each mode runs is bench.modes' job; the sessions it runs on, bench.sessions'."""
from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from . import cellspawn, conditions, environment, grid, modes, points, shipping, versions, workloads
from . import scenario as scenario_mod
from . import redaction, spark_session
from .collect import SuggestClock
from .errors import BenchError
from .fmin_window import FminWindow
from .ingest import collect_spark_tasks
from .model import SCHEMA_VERSION, CellRecord, Manifest
from .modes import closure_bytes
from .invocation import command_line
from .probe import Probed
from .progress import Plan, Progress
from .sessions import Sessions
from .storage import RunFolder

log = logging.getLogger("bench")


def quiet_third_party() -> None:
    """Keep library chatter (deprecation warnings, Spark INFO logs) off the user's terminal."""
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(pyspark|hyperopt|sklearn|lightgbm)")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")  # inherited by Spark's Python workers
    for name in ("py4j", "hyperopt", "hyperopt-spark", "hyperopt.spark", "hyperopt.tpe",
                 "hyperopt.fmin", "pyspark"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


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


class CellRunner:
    """Runs single cells on the session it is given; objectives are built once per
    (workload, n_jobs)."""

    def __init__(self, scn: scenario_mod.Scenario, folder: RunFolder):
        self.scn, self.folder = scn, folder
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
        run at once) and round-trip each spark workload's
        objective and space the way Spark ships them. Returns the manifest's `shipping`
        entry: workload -> pickled size."""
        shipped = {}
        for cell in cells:
            fn, space = self.objective(cell.workload, cell.n_jobs)
            if not modes.of(cell).uses_spark or cell.workload in shipped:
                continue
            if "objective" not in self._workloads[cell.workload]:  # bench's own classes
                shipped[cell.workload] = {"pickled_bytes": closure_bytes(fn, space),
                                          "checked": "built-in workload"}
                continue
            i = [w["name"] for w in self.settings["workloads"]].index(cell.workload)
            shipped[cell.workload] = shipping.check(
                fn, space, f"{self.scn.path}: workloads[{i}].objective")
        return shipped

    def algo_for(self, cell: grid.Cell, space):
        """The search algorithm, or the cell's pre-drawn points (points: shared)."""
        if self.settings.get("points") == "shared":
            return points.Replay(points.draw(space, cell.max_evals,
                                             self.settings["seed"] + cell.repeat))
        return _algo(self.settings["algo"])

    def warm_up(self, cells: list[grid.Cell], spark=None) -> float:
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
        spark_cells = [c for c in cells if modes.of(c).uses_spark]
        if spark is not None and spark_cells and not any(
                s is spark for s in self._warm_sessions):
            from hyperopt.spark import SparkTrials

            self._warm_sessions.append(spark)
            slots = spark_session.task_slots(spark)
            spark.sparkContext.parallelize(range(slots), slots).map(lambda x: x).collect()
            fn, space = self.objective(spark_cells[0].workload, spark_cells[0].n_jobs)
            call_fmin(fn, space, _algo("rand"), 1,
                      SparkTrials(parallelism=1, spark_session=spark), seed=0)
        return time.perf_counter() - t0

    def run_cell(self, cell: grid.Cell, spark=None) -> tuple[dict, list[dict]]:
        """Run one cell on `spark` (the session of its segment; None when it needs none) and
        return its cell record and trial records."""
        mode = modes.of(cell)
        if mode.in_child(cell):
            return self._run_in_child(cell)
        fn, space = self.objective(cell.workload, cell.n_jobs)
        algo = self.algo_for(cell, space)
        clock = SuggestClock(algo)
        cond_spec = self.settings["conditions"].get(cell.condition)
        trials = mode.trials(cell, spark)

        def fmin_call():
            call_fmin(fn, space, clock, cell.max_evals, trials,
                      seed=self.settings["seed"] + cell.repeat,
                      max_queue_len=cell.max_queue_len, timeout=self.settings.get("timeout_s"))

        # the mode's placement (warm pool) and the emulated condition are set up before
        # the clock starts
        with mode.placed(cell, fn, spark) as placed, \
                conditions.applied(cell.condition, cond_spec, self.folder.path):
            window = FminWindow(self.folder.run_id, cell.to_dict(), spark, placed.job_group)
            with window.timed(keep_failure=True):  # a failed cell keeps what it produced
                mode.evaluate(placed, fmin_call, algo, space, trials, clock,
                              timeout=self.settings.get("timeout_s"))
        return window.record(trials, clock, space, slots=placed.slots,
                             closure_bytes=mode.closure_bytes(fn, space),
                             prewarmed=placed.prewarmed,
                             parallelism_effective=mode.parallelism_effective(trials))

    def _run_in_child(self, cell: grid.Cell) -> tuple[dict, list[dict]]:
        """A serial cell with its own thread environment runs in a fresh process: the
        OpenMP runtime already loaded here read its environment when it loaded."""
        start_ts = time.time()
        cell_rec, trials = cellspawn.run_serial_cell(self.scn, self.folder.path, cell)
        if cell_rec is not None:
            return cell_rec, trials
        failed = CellRecord(run_id=self.folder.run_id, **cell.to_dict(), emulated=cell.condition
                            != conditions.NATIVE, start_ts=start_ts, end_ts=time.time(),
                            wall_s=None, trials_ok=0, trials_failed=0, error=trials)
        return failed.to_dict(), []


def new_manifest(scn, run_id, cells, argv, master, conf, results_dir) -> Manifest:
    """The manifest of a new scenario run (written redacted: bench.redaction)."""
    for settings in (scn.settings.get("spark_conf"), conf):
        redaction.learn_conf(settings)  # a spark.redaction.regex set for this run counts too
    return Manifest(
        schema_version=SCHEMA_VERSION, run_id=run_id,
        created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        status="running", scenario=scn.manifest_entry(), profile=scn.profile,
        grid=scenario_mod.describe_settings(scn.settings),
        cells=[c.to_dict() for c in cells], argv=command_line(spark_session.redact_argv(argv)),
        requested={"master": master, "conf": spark_session.redact_conf(conf),
                   "results_dir": str(results_dir)},
        environment=environment.capture(Path(__file__).resolve().parent.parent),
        conditions=conditions.manifest_entries(scn.settings["conditions"]))


@dataclass
class OpenRun:
    """A results folder ready to run cells in: its scenario, planned cells and Spark request."""

    folder: RunFolder
    scn: scenario_mod.Scenario
    cells: list
    master: Optional[str]
    conf: dict


def _scenario_for_resume(folder: RunFolder) -> scenario_mod.Scenario:
    m = folder.read_manifest()
    if m.observed:
        raise BenchError(f"{folder.path}: recorded by bench.observe, which has no scenario to "
                         "resume; run the notebook's fmin calls again")
    path = Path(m.scenario_path)
    try:  # checked before the file's code runs: a changed file is never executed
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path}: the scenario of run {folder.run_id} cannot be read "
                         f"({getattr(exc, 'strerror', None) or exc})") from None
    if scenario_mod.source_sha256(source) != m.scenario_sha256:
        raise BenchError(f"{path}: changed since run {folder.run_id} started; resuming would "
                         "mix two scenarios (start a new run instead)")
    scn = scenario_mod.load(path, m.profile or "quick")
    if scn.sha256 != m.scenario_sha256:  # changed between the check and the load
        raise BenchError(f"{path}: changed while run {folder.run_id} was being resumed")
    return scn


def open_new(scenario, profile: str, master: Optional[str], conf: dict, results_dir,
             spark, argv, run_id: Optional[str]) -> OpenRun:
    """Create the folder of a new run, its manifest listing every planned cell."""
    scn = scenario if isinstance(scenario, scenario_mod.Scenario) else \
        scenario_mod.load(scenario, profile)
    cells = grid.expand(scn.settings)
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    master = master or (spark.sparkContext.master if spark is not None else
                        spark_session.DEFAULT_MASTER)
    manifest = new_manifest(scn, run_id or "", cells, argv or sys.argv, master, conf,
                            results_dir)
    folder = RunFolder(results_dir / run_id).create(manifest) if run_id else \
        RunFolder.create_new(results_dir, scn.name, manifest)  # a name no other run takes
    return OpenRun(folder, scn, cells, master, conf)


def open_resume(folder: RunFolder, master: Optional[str], conf: dict) -> OpenRun:
    """Reopen an interrupted run (the caller holds its lock): same scenario, same planned
    cells, the Spark request as recorded unless given again; trial lines of the cell that
    was cut off are dropped, so its re-run is not mixed with the killed attempt."""
    manifest = folder.read_manifest()
    conditions.refuse_if_loaded(folder.path)
    scn = _scenario_for_resume(folder)
    master = master or manifest.requested_master
    conf = spark_session.resumed_conf(manifest.requested_conf, conf)
    cells = [grid.Cell(**c) for c in manifest.planned_cells]
    folder.upgrade()
    folder.drop_unfinished_trials()
    return OpenRun(folder, scn, cells, master, conf)


def run(scenario: str | Path | None = None, *, profile: str = "quick", master: str | None = None,
        conf: Optional[dict] = None, results_dir: str | Path = "results", spark=None,
        resume: str | Path | None = None, quiet: bool = False, argv=None,
        run_id: str | None = None, estimate=None) -> Path:
    """Run (or resume) a scenario and return its results folder.

    Pass `spark=` an existing SparkSession (a notebook's) to run inside it; it is left running.
    One process at a time runs a folder: a second --resume of it is refused (RunFolder.lock).
    `estimate` (a bench.predict.estimate.Estimate, or a function of the results folder
    returning one, called once the folder is ours and its cells passed their pre-flight
    checks, before the first cell) gives the progress bar its time left from the start.
    """
    quiet_third_party()
    versions.check_hyperopt()
    conf = dict(conf or {})
    if resume is not None:
        folder = RunFolder(resume)
        folder.manifest()  # a clear error for what is not a results folder, before locking it
        with folder.lock():
            opened = open_resume(folder, master, conf)
            _run_cells(opened, spark, quiet, resumed=True, estimate=estimate)
    else:
        opened = open_new(scenario, profile, master, conf, results_dir, spark, argv, run_id)
        with opened.folder.lock():
            _run_cells(opened, spark, quiet, resumed=False, estimate=estimate)
    return opened.folder.path


def _plan(estimate, folder: Path):
    """The progress bar's plan from an estimate or a function of the results folder."""
    return Plan.of(estimate(folder) if callable(estimate) else estimate)


def _run_cells(opened: OpenRun, spark, quiet: bool, resumed: bool, estimate=None) -> None:
    """Run the cells not finished yet, appending each one's records as it finishes; the
    manifest's status says how the run ended."""
    folder, scn = opened.folder, opened.scn
    done = folder.committed().cell_ids
    pending = [c for c in opened.cells if c.cell_id not in done]
    modes.check(pending, str(scn.path))  # refuse before anything runs, not mid-run
    if spark is not None and any(c.cluster for c in pending):
        raise BenchError(f"{scn.path}: clusters: a scenario that starts its own clusters "
                         "cannot run inside an existing SparkSession")
    sessions = Sessions(scn, folder, opened.master, opened.conf, given=spark)
    runner = CellRunner(scn, folder)
    try:
        with folder.running(resumed=resumed):
            folder.record_shipping(runner.preflight(pending))
            plan = _plan(estimate, folder.path)
            with Progress(total=len(opened.cells), done=len(done), quiet=quiet, plan=plan) as bar:
                for cluster, segment in grid.segments(pending):
                    with sessions.session_for(cluster, segment) as session:
                        folder.add_warmup(cluster or "session", runner.warm_up(segment, session))
                        for cell in segment:
                            bar.describe(cell.cell_id)
                            cell_rec, trial_recs = runner.run_cell(cell, session)
                            folder.append_cell(cell_rec, trial_recs)
                            bar.advance(cell_rec)
    finally:
        try:
            sessions.close_all()
        finally:
            spark_session.redact_run_logs(folder.path)
    collect_spark_tasks(folder)
