"""`bench.observe`: diagnose the fmin calls a notebook already makes, without a scenario.

    with bench.observe("rf-notebook", results_dir="results") as obs:
        best = obs.fmin(fn=hyp_obj, space=space, algo=tpe.suggest, max_evals=32,
                        trials=SparkTrials(parallelism=8))

`obs.fmin` takes and returns what `hyperopt.fmin` does. Each call becomes one cell of a
results folder (manifest, trials, cells, and the Spark event log when bench started the
session) that `python -m bench report` and `diagnose` read like a scenario run's. The
objective runs inside the same probe as in a scenario run; a call that raises or is
interrupted is still recorded before the exception reaches the caller.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import re
import sys
import types
from pathlib import Path
from typing import Optional

from . import conditions, environment, grid, probe, shipping, spark_session, trial_result
from .collect import SuggestClock
from .errors import BenchError
from .fmin_window import FminWindow
from .ingest import collect_spark_tasks
from .model import SCHEMA_VERSION, Manifest
from .invocation import command_line
from .modes import EXECUTORS, Placement, under_job_group
from .probe import Probed
from .storage import RunFolder
from .variant_table import shares_workers

PROFILE = "observed"


def workload_name(fn) -> str:
    """The cell's workload: the objective's name, made safe for a cell id."""
    name = getattr(fn, "__name__", None) or type(fn).__name__
    return re.sub(r"[^A-Za-z0-9_-]+", "", name) or "objective"


def _is_spark_trials(trials) -> bool:
    try:
        from hyperopt.spark import SparkTrials
    except ImportError:
        return False
    return isinstance(trials, SparkTrials)


class Observation:
    """A results folder that records each `fmin` call made through it as a cell."""

    def __init__(self, name: str, results_dir: str | Path = "results", spark="auto",
                 master: Optional[str] = None, conf: Optional[dict] = None):
        if not isinstance(name, str) or not name.strip():
            raise BenchError("observe: name: give the run a name, e.g. observe('rf-notebook')")
        self.name, self.results_dir = name.strip(), Path(results_dir)
        self.spark_arg, self.master, self.conf = spark, master, dict(conf or {})
        self.folder: Optional[RunFolder] = None
        self.own_spark = None
        self._cells: list[dict] = []
        self._calls: list[dict] = []  # how each fmin was called (the manifest's `grid`)
        self._facts_recorded = False

    @property
    def path(self) -> Path:
        """The results folder (for `python -m bench report PATH` / `diagnose PATH`)."""
        if self.folder is None:
            raise BenchError("observe: the results folder exists once the `with` block starts")
        return self.folder.path

    # ------------------------------------------------------------------ the run folder
    def __enter__(self) -> "Observation":
        self.folder = RunFolder.create_new(self.results_dir, self.name, self._manifest())
        try:
            self._start_spark()
        except BaseException:
            self.folder.set_status("failed")
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        status = ("finished" if exc_type is None else
                  "interrupted" if issubclass(exc_type, KeyboardInterrupt) else "failed")
        try:
            if self.own_spark is not None:
                self.own_spark.stop()  # closes the event log so it can be read whole
                self.own_spark = None
            spark_session.redact_run_logs(self.folder.path)
            collect_spark_tasks(self.folder)
        finally:
            self.folder.set_status(status)
        return False

    def _manifest(self) -> Manifest:
        caller = _caller_file()
        return Manifest(
            schema_version=SCHEMA_VERSION, run_id="",  # set by RunFolder.create_new
            created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            status="running", profile=PROFILE,
            scenario={"name": self.name, "path": caller, "sha256": None, "source": None,
                      "observed": True,
                      "description": "fmin calls recorded by bench.observe"
                                     + (f" in {caller}" if caller else "")},
            grid={}, cells=[], argv=command_line(spark_session.redact_argv(sys.argv)),
            requested={"master": self.master, "conf": spark_session.redact_conf(self.conf),
                       "results_dir": str(self.results_dir)},
            environment=environment.capture(Path(__file__).resolve().parent.parent),
            conditions=conditions.manifest_entries({}))

    def _start_spark(self) -> None:
        """With spark='auto', start a loopback session with its event log in the run folder
        unless one is already active (a notebook's: then it is used as is, without event log).
        SparkTrials created after this picks the active session up."""
        if self.spark_arg is False or self.spark_arg is None:
            return
        if self.spark_arg != "auto":
            return  # the caller's own session, given explicitly
        try:
            from pyspark import SparkContext
        except ImportError:
            return
        if SparkContext._active_spark_context is not None:
            return
        master = self.master or spark_session.DEFAULT_MASTER
        conf = spark_session.session_conf(master, self.conf, self.folder.eventlog_dir)
        self.own_spark = spark_session.start_session(
            master, conf, log_path=self.folder.spark_log("session"))
        spark_session.wait_for_executors(self.own_spark)

    def _record_spark(self, spark) -> None:
        if self._facts_recorded:
            return
        self._facts_recorded = True
        self.folder.record_spark({**spark_session.session_facts(spark),
                                  "provided_by_caller": self.own_spark is None,
                                  "event_log": self.own_spark is not None})

    # ------------------------------------------------------------------ fmin
    def _cell(self, fn, trials, algo, max_evals, kwargs) -> dict:
        spark = _is_spark_trials(trials)
        workload = workload_name(fn)
        p = trials.parallelism if spark else None
        q = kwargs.get("max_queue_len", 1)
        variant = getattr(trials, "variant", None) if spark else None  # TunedSparkTrials
        if variant is not None:
            q = trials.queue_len_for(algo, q)
        name = variant.name if variant is not None else None
        base = grid.cell_id(workload, "spark" if spark else "serial", conditions.NATIVE, p, q, None,
                            max_evals, 0, variant=name)
        repeat = sum(1 for c in self._cells if c["cell_id"].rsplit(".r", 1)[0]
                     == base.rsplit(".r", 1)[0])
        return grid.Cell(
            cell_id=grid.cell_id(workload, "spark" if spark else "serial", conditions.NATIVE, p, q,
                                 None, max_evals, repeat, variant=name),
            mode="spark" if spark else "serial", workload=workload, parallelism=p,
            max_queue_len=q, n_jobs=None, max_evals=max_evals, repeat=repeat,
            order=len(self._cells), variant=name).to_dict()

    def fmin(self, fn, space, algo, max_evals=None, trials=None, **kwargs):
        """hyperopt.fmin, recorded: same arguments, same return value, same exceptions."""
        from hyperopt import Trials
        from hyperopt import fmin as hyperopt_fmin

        if self.folder is None:
            raise BenchError("observe: call obs.fmin inside `with bench.observe(...) as obs:`")
        if max_evals is None:
            raise BenchError("observe: fmin needs max_evals to record what was asked")
        trials = Trials() if trials is None else trials
        before = {d["tid"] for d in getattr(trials, "_dynamic_trials", None) or trials.trials}
        cell = self._cell(fn, trials, algo, max_evals - len(before), kwargs)
        self._cells.append(cell)
        self._calls.append({"cell_id": cell["cell_id"], "fn": getattr(fn, "__qualname__", None),
                            "algo": getattr(algo, "__module__", None), "max_evals": max_evals,
                            "timeout_s": kwargs.get("timeout"),
                            "trials": type(trials).__name__,
                            "earlier_trials_in_object": len(before)})
        self.folder.record_observed_calls(self._cells, self._calls)
        spark = trials._spark if cell["mode"] == "spark" else None
        if spark is not None:
            self._record_spark(spark)
        # exact: hyperopt sees what the objective returned and raised, as without bench
        probed = Probed(fn, exact=True)
        clock = SuggestClock(algo)
        mode = EXECUTORS[cell["mode"]]
        # the probe travels by value: executors need the user's libraries, not bench
        with shipping.by_value(trial_result, probe):
            closure = mode.closure_bytes(probed, space)
            # placed as the runner places a spark cell: its trials under the cell's job group
            with (under_job_group(spark, cell["cell_id"]) if spark is not None else
                  contextlib.nullcontext(Placement())) as placed:
                window = FminWindow(self.folder.run_id, cell, spark, placed.job_group)
                try:
                    with window.timed():
                        return hyperopt_fmin(fn=probed, space=space, algo=clock,
                                             max_evals=max_evals, trials=trials, **kwargs)
                finally:  # also a call that raised or was interrupted is recorded
                    self._record(window, trials, before, clock, space, placed.slots, closure)

    def _record(self, window, trials, before, clock, space, slots, closure) -> None:
        """Append the call's cell and its new trials (also after a failed or interrupted call)."""
        docs = [d for d in getattr(trials, "_dynamic_trials", None) or trials.trials
                if d["tid"] not in before]
        mode = window.cell["mode"]
        self.folder.append_cell(*window.record(
            types.SimpleNamespace(trials=docs), clock, space, slots=slots, closure_bytes=closure,
            parallelism_effective=EXECUTORS[mode].parallelism_effective(trials),
            shared_workers=shares_workers(mode, getattr(trials, "variant", None))))


def _caller_file() -> Optional[str]:
    """The file of the code that called bench.observe (None in a notebook cell)."""
    for frame in inspect.stack()[2:]:
        name = frame.filename
        if not name.startswith("<") and "bench" + "/observe.py" not in name.replace("\\", "/") \
                and "contextlib" not in name:
            return str(Path(name).resolve())
    return None


def observe(name: str, results_dir: str | Path = "results", spark="auto",
            master: Optional[str] = None, conf: Optional[dict] = None) -> Observation:
    """Record the fmin calls made through `obs.fmin` inside `with observe(name) as obs:`.

    spark='auto' starts a loopback Spark session with an event log in the results folder when
    none is active (so `SparkTrials(...)` created inside the block uses it); an active session
    (a notebook's) is used as it is. spark=False never starts one.
    """
    return Observation(name, results_dir, spark=spark, master=master, conf=conf)


class _CallableModule(types.ModuleType):
    """`bench.observe` is this module once imported; calling it calls observe()."""

    def __call__(self, *args, **kwargs) -> Observation:
        return observe(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
