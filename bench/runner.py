"""Run a scenario's cells: one SparkSession per run, one fmin call per cell, results appended
after every cell. `run()` is the Python API (also for notebooks with their own session)."""
from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Optional

import numpy as np

from . import conditions, environment, grid, workloads
from . import scenario as scenario_mod
from . import spark_session
from .collect import SuggestClock, trial_records
from .errors import BenchError
from .model import SCHEMA_VERSION, CellRecord
from .probe import Probed
from .progress import Progress
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


def call_fmin(fn, space, algo, max_evals, trials, seed, max_queue_len=1) -> None:
    """fmin as the harness uses it: no progress bar, and a cell whose every trial failed is
    a result (its failed trials are recorded), not an error: hyperopt raises
    AllTrialsFailed while computing the argmin it returns, which the harness ignores."""
    from hyperopt import fmin
    from hyperopt.exceptions import AllTrialsFailed

    try:
        fmin(fn=fn, space=space, algo=algo, max_evals=max_evals, trials=trials,
             rstate=np.random.default_rng(seed), max_queue_len=max_queue_len,
             show_progressbar=False, return_argmin=False)
    except AllTrialsFailed:
        pass


def closure_bytes(fn, space) -> int:
    """Bytes of what SparkTrials pickles for every trial (objective + space)."""
    from pyspark import cloudpickle

    try:
        return len(cloudpickle.dumps((fn, space)))
    except Exception:
        return -1


class CellRunner:
    """Runs single cells against one session; objectives are built once per (workload, n_jobs)."""

    def __init__(self, scn: scenario_mod.Scenario, run: RunFolder, spark=None):
        self.scn, self.run, self.spark = scn, run, spark
        self.settings = scn.settings
        self._objectives: dict = {}
        self._workloads = {w["name"]: w for w in self.settings["workloads"]}

    def objective(self, workload: str, n_jobs):
        key = (workload, repr(n_jobs))
        if key not in self._objectives:
            fn, space = workloads.build(self._workloads[workload], self.settings, n_jobs)
            self._objectives[key] = (Probed(fn), space)
        return self._objectives[key]

    def trials_for(self, cell: grid.Cell):
        if cell.mode == "serial":
            from hyperopt import Trials

            return Trials()
        from hyperopt.spark import SparkTrials

        return SparkTrials(parallelism=cell.parallelism, spark_session=self.spark)

    def run_cell(self, cell: grid.Cell) -> tuple[dict, list[dict]]:
        fn, space = self.objective(cell.workload, cell.n_jobs)
        clock = SuggestClock(_algo(self.settings["algo"]))
        cond_spec = self.settings["conditions"].get(cell.condition)
        trials = self.trials_for(cell)
        slots = job_group = None
        if cell.mode == "spark":
            sc = self.spark.sparkContext
            sc.setLocalProperty("spark.jobGroup.id", cell.cell_id)  # SparkTrials adopts it
            slots, job_group = spark_session.task_slots(self.spark), cell.cell_id
        error = None
        start_ts = time.time()
        t0 = time.perf_counter()
        try:
            with conditions.applied(cell.condition, cond_spec):
                call_fmin(fn, space, clock, cell.max_evals, trials,
                          seed=self.settings["seed"] + cell.repeat,
                          max_queue_len=cell.max_queue_len)
        except Exception as exc:  # the cell failed as a whole; keep what it produced
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        finally:
            wall = time.perf_counter() - t0
            if cell.mode == "spark":
                self.spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
        records = trial_records(trials, cell.to_dict(), self.run.run_id, clock, space)
        ok = [r for r in records if r.status == "ok"]
        cell_rec = CellRecord(
            run_id=self.run.run_id, **{k: v for k, v in cell.to_dict().items()},
            emulated=cell.condition != conditions.NATIVE, start_ts=start_ts,
            end_ts=start_ts + wall, wall_s=wall, trials_ok=len(ok),
            trials_failed=len(records) - len(ok),
            best_loss=min((r.loss for r in ok), default=None), task_slots=slots,
            spark_job_group=job_group,
            closure_bytes=closure_bytes(fn, space) if cell.mode == "spark" else None,
            error=error)
        return cell_rec.to_dict(), [r.to_dict() for r in records]


def warm_up(runner: CellRunner, cells: list[grid.Cell], spark) -> float:
    """Start the JVM path, Python workers and model libraries before the first measured cell,
    so the first cell of a run does not pay for them."""
    from hyperopt import Trials

    t0 = time.perf_counter()
    seen = set()
    for cell in cells:
        key = (cell.workload, repr(cell.n_jobs))
        if key in seen:
            continue
        seen.add(key)
        fn, space = runner.objective(cell.workload, cell.n_jobs)
        call_fmin(fn, space, _algo("rand"), 1, Trials(), seed=0)
    if spark is not None and any(c.mode == "spark" for c in cells):
        from hyperopt.spark import SparkTrials

        slots = spark_session.task_slots(spark)
        spark.sparkContext.parallelize(range(slots), slots).map(lambda x: x).collect()
        first = next(c for c in cells if c.mode == "spark")
        fn, space = runner.objective(first.workload, first.n_jobs)
        call_fmin(fn, space, _algo("rand"), 1, SparkTrials(parallelism=1, spark_session=spark),
                  seed=0)
    return time.perf_counter() - t0


def _manifest(scn, run_id, cells, argv, master, conf, results_dir) -> dict:
    return {
        "schema_version": SCHEMA_VERSION, "run_id": run_id,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "status": "running", "scenario": scn.manifest_entry(), "profile": scn.profile,
        "grid": scenario_mod.describe_settings(scn.settings),
        "cells": [c.to_dict() for c in cells], "argv": list(argv),
        "requested": {"master": master, "conf": conf, "results_dir": str(results_dir)},
        "environment": environment.capture(Path(__file__).resolve().parent.parent),
        "conditions": conditions.manifest_entries(scn.settings["conditions"]),
    }


def _scenario_for_resume(run: RunFolder) -> scenario_mod.Scenario:
    m = run.manifest()
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
    conf = dict(conf or {})
    if resume is not None:
        folder = RunFolder(resume)
        manifest = folder.manifest()
        scn = _scenario_for_resume(folder)
        master = master or manifest.get("requested", {}).get("master")
        conf = {**manifest.get("requested", {}).get("conf", {}), **conf}
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
    needs_spark = any(c.mode == "spark" for c in pending)
    own_session = spark is None and needs_spark
    try:
        if own_session:
            merged = {**{k: str(v) for k, v in scn.settings["spark_conf"].items()}, **conf}
            spark = spark_session.start_session(
                master, spark_session.session_conf(master, merged, folder.eventlog_dir),
                log_path=folder.path / "logs" / "spark.log")
            spark_session.wait_for_executors(spark)
        facts = spark_session.session_facts(spark) if spark is not None else None
        runner = CellRunner(scn, folder, spark)
        warm_s = warm_up(runner, pending, spark) if pending else 0.0
        folder.update_manifest(status="running", spark=facts, warmup_s=warm_s,
                               **({"resumed": dt.datetime.now(dt.timezone.utc).isoformat(
                                   timespec="seconds")} if resume is not None else {}))
        with Progress(total=len(cells), done=len(done), quiet=quiet) as bar:
            for cell in pending:
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
        if own_session and spark is not None:
            spark.stop()
    collect_spark_tasks(folder)
    return folder.path


def collect_spark_tasks(folder: RunFolder) -> None:
    """Turn the run's Spark event log into spark_tasks.jsonl, joined to the trials."""
    if not folder.eventlog_dir.is_dir():
        return
    try:
        from .eventlog import write_spark_tasks
    except ImportError:
        return
    write_spark_tasks(folder)
