"""Calibration: a run's measurements -> the simulation's inputs, one set per objective.

Everything comes from the frames bench.analysis.load_run builds:

- objective durations per objective (ClassKey: workload, n_jobs and the thread environment
  the harness set, since the wait policy alone changes the speed; spark trials of every
  variant, since a variant changes hyperopt's loops, not the objective), with the
  slowdown from sharing the host's cores taken out: each trial's load is its own demand,
  the demand of the trials of its cell that overlapped it, and the host's other busy cores
  the probe saw (`other_busy_cores` minus those overlapping trials' own use); under
  processor sharing it ran at min(1, cores / load), so alone it would have taken duration x
  that rate;
- when some trials of the objective ran alone in their cell, only those give its durations
  (with the host's other busy cores taken out): beside siblings an objective can slow down
  more than processor sharing explains (OpenMP threads spin-waiting on shared cores), and
  such durations would carry that into every shape;
- demand: median effective cores of the trials that ran alone in their cell;
- start-up (booked -> objective start: Spark job, task launch, Python worker, imports) and
  result return per workload, from trials that cannot have waited for a task slot
  (parallelism <= slots); a trial whose pid is new in its cell had a fresh worker;
- the two loop periods from the gaps between suggestions and between bookings, and where
  the dispatcher's wake-ups fall relative to the fmin call (per cell);
- the spin-wait factor per call of each class (bench.predict.spin) and the repeat spread of
  its configurations (bench.predict.intervals);
- serial Trials: objective durations in the driver per condition, and hyperopt's per-trial
  cost (cell wall minus objective time, per trial).

The parts have their own modules: grouping (the keys), prepare (the run made ready, once),
contention (sharing a host's cores) and loops (hyperopt's two loop periods); this one fits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..analysis import RunData
from ..errors import BenchError
from .contention import ALONE_SHARE, sharing_rate
from .grouping import CLASS_COLS, STOCK, ClassKey
from .intervals import repeat_ratios
from .loops import loop_period, nominal_poll_s
from .prepare import WORKER_FLAGS, Prepared, prepare
from .simulate import Inputs
from .spin import cell_factors, spread, threads_per_trial
from .startup import Startup, fit_startup
# names this module offered before its parts had their own modules
from .contention import contention  # noqa: F401
from .grouping import (CONFIG_COLS, config_ids, config_key, config_keys,  # noqa: F401
                       variants_in, with_variant)
from .prepare import host_cores, measured_shape, prewarmed_cells  # noqa: F401


@dataclass
class Calibration:
    """The simulation inputs fitted from one run (one variant), with where they came from."""

    run_id: str
    variant: str
    host_cores: int
    task_cpus: int
    inputs: dict = field(default_factory=dict)       # ClassKey -> Inputs
    trials_used: dict = field(default_factory=dict)  # ClassKey -> spark trials used
    serial: dict = field(default_factory=dict)       # (ClassKey, condition) -> Inputs
    startups: dict = field(default_factory=dict)     # (workload, measured shape) -> Startup
    startups_at: dict = field(default_factory=dict)  # (workload, shape, trials at once) -> ..
    loops: dict = field(default_factory=dict)        # measured loop constants
    background_cores: float = 0.0
    repeat_ratios: dict = field(default_factory=dict)  # ClassKey -> wall / its config's median
    queue_is_parallelism: bool = False               # the variant's cells used q = p
    dispatch_phases: np.ndarray = field(default_factory=lambda: np.zeros(1))
    notes: list = field(default_factory=list)

    def classes(self) -> list:
        return sorted(self.inputs)

    def source_for(self, key: ClassKey) -> tuple[ClassKey | None, str]:
        """The class whose inputs stand for `key`, and a note when it is not `key` itself:
        the same workload and n_jobs measured in another thread environment (the inherited
        one first) when `key`'s own environment has no spark trials here; None if neither."""
        key = ClassKey.of(key)
        if key in self.inputs:
            return key, ""
        others = sorted((k for k in self.inputs if k[:2] == key[:2]),
                        key=lambda k: (k.env != "", k.env))
        if not others:
            return None, ""
        used = others[0]
        return used, (f"objective times from the {used.env or 'inherited environment'} "
                      f"trials: no other configuration ran {key.text()} under SparkTrials")

    def summary(self) -> dict:
        out = {"run_id": self.run_id, "variant": self.variant, "host_cores": self.host_cores,
               "background_cores": round(self.background_cores, 3),
               "loops": {k: round(v, 4) for k, v in self.loops.items()}, "objectives": {}}
        for key, inp in sorted(self.inputs.items()):
            out["objectives"][key.text()] = {
                "trials": self.trials_used.get(key, 0),
                "objective_median_s": round(float(np.median(inp.objective_s)), 4),
                "demand_cores": round(inp.demand_cores, 3),
                "startup_fresh_median_s": round(float(np.median(inp.startup_fresh_s)), 4),
                "startup_reused_median_s": (round(float(np.median(inp.startup_reused_s)), 4)
                                            if len(inp.startup_reused_s) else None),
                "reuse_prob": round(inp.reuse_prob, 3),
                "oversubscribed_slowdown": round(inp.oversubscribed_slowdown, 3),
                "threads_per_trial": inp.threads_per_trial,
                "spin_wait_factor": spread(inp.spin_factors),
                "kept_workers_mean": round(float(np.mean(inp.kept_workers)), 3),
                "return_median_s": round(float(np.median(inp.return_s)), 4)}
        out["startup_by_shape"] = {
            f"{workload} on {shape}": round(float(np.median(start.fresh_s)), 4)
            for (workload, shape), start in sorted(self.startups.items())}
        return out


def calibrate(run: RunData, variant: str = STOCK, exclude: tuple | None = None,
              prepared: Prepared | None = None) -> Calibration:
    """Fit the simulation's inputs from a run (optionally without one configuration).
    `prepared` (from prepare(run)) saves recomputing per-trial quantities across calls."""
    prepared = prepared if prepared is not None else prepare(run)
    cells = prepared.cells
    present = sorted(set(cells.loc[cells["mode"] == "spark", "variant"]))
    if variant not in present:
        have = ", ".join(present) or "none"
        raise BenchError(f"{run.path}: no '{variant}' SparkTrials measurements in this run "
                         f"(spark variants measured: {have}); run a scenario with that "
                         f"variant first, nothing is predicted without them")
    trials, cells = prepared.without(exclude)
    cores = prepared.cores
    cal = Calibration(run_id=run.run_id, variant=variant, host_cores=cores,
                      task_cpus=run.manifest.task_cpus())
    spark_cells = cells[(cells["mode"] == "spark") & (cells["variant"] == variant)]
    spark = trials[(trials["mode"] == "spark") & (trials["variant"] == variant)]
    spark = spark.assign(**{c: spark[c].astype(bool) for c in WORKER_FLAGS})
    if spark.empty:
        raise BenchError(f"{run.path}: no finished '{variant}' spark trials with timings to "
                         f"calibrate from")
    cal.queue_is_parallelism = bool(
        (spark_cells["max_queue_len"] == spark_cells["parallelism"]).all()
        and (spark_cells["parallelism"] > 1).any())
    _fit_loops(cal, spark, spark_cells)
    # an objective runs the same code whichever variant's loops booked it: its speed comes
    # from every variant's spark trials (without the held-out configuration's twins in other
    # variants), the loops and start-up from the variant's own
    every = trials[(trials["mode"] == "spark")
                   & ~trials["config_id"].isin(prepared.twins(exclude))]
    _fit_spark_objectives(cal, spark, every, cores)
    cal.repeat_ratios = repeat_ratios(cells)
    _fit_serial(cal, trials[trials["mode"] == "serial"], cells)
    return cal


def startup_fields(start: Startup) -> dict:
    """The Inputs fields a Startup fills."""
    return dict(startup_fresh_s=start.fresh_s, startup_reused_s=start.reused_s,
                reuse_prob=start.reuse_prob, kept_workers=start.kept_workers,
                prewarmed=start.prewarmed, startup_kept_s=start.kept_s,
                return_s=start.return_s)


def _fit_loops(cal: Calibration, spark: pd.DataFrame, cells: pd.DataFrame) -> None:
    nominal = nominal_poll_s(cal.variant)
    pf = loop_period(spark["suggest_gap"].to_numpy(float), nominal)
    pd_ = loop_period(spark["book_gap"].to_numpy(float), nominal)
    if not math.isfinite(pf):
        pf = nominal
        cal.notes.append(f"fmin loop period not measurable (no two suggestions in different "
                         f"loop turns): hyperopt's {nominal:g} s used")
    if not math.isfinite(pd_):
        pd_ = nominal
        cal.notes.append(f"dispatcher period not measurable: hyperopt's {nominal:g} s used")
    first_suggest = _arr(cells["first_suggest_s"])
    phases = _arr(cells["first_book_s"] % pd_)
    cal.loops = {"fmin_period_s": pf, "dispatch_period_s": pd_,
                 "first_suggest_s": float(np.median(first_suggest)) if len(first_suggest) else 0.0,
                 "dispatch_phase_median_s": float(np.median(phases)) if len(phases) else 0.0}
    cal.dispatch_phases = phases if len(phases) else np.zeros(1)


def _fit_spark_objectives(cal: Calibration, spark: pd.DataFrame, every: pd.DataFrame,
                          cores: int) -> None:
    """Start-up per workload (and shape) from the variant's trials `spark`; each objective's
    times, demand and oversubscribed slowdown from the spark trials of every variant."""
    background = _arr(spark["background"])
    cal.background_cores = float(np.median(background)) if len(background) else 0.0
    # start-up and return per workload, and per workload on each measured shape
    if not spark["free_slot"].any():
        spark = spark.assign(free_slot=True)
        cal.notes.append("no trial found a free task slot when it was booked: start-up "
                         "times include waits for a slot")
    for (workload, shape), grp in spark.groupby(["workload", "shape"], sort=True):
        fitted = fit_startup(grp)
        if fitted is not None:
            cal.startups[(workload, shape)] = fitted
        # and per number of trials that can run at once there: two jobs in flight on this
        # machine's cores start slower than one, and a call finds as many kept workers as
        # it has slots to put them in
        at_once = np.minimum(grp["parallelism"], grp["task_slots"].fillna(grp["parallelism"]))
        for usable, part in grp.groupby(at_once.astype(int), sort=True):
            fitted = fit_startup(part)
            if fitted is not None:
                cal.startups_at[(workload, shape, int(usable))] = fitted
    # per workload, over all shapes: one fit serves every objective of the workload
    by_workload = {w: fit_startup(g) or fit_startup(g.assign(free_slot=True))
                   for w, g in spark.groupby("workload", sort=True)}
    for values, grp in every.groupby(CLASS_COLS, sort=True):
        key = ClassKey.of(values)
        if key.workload not in by_workload:
            continue  # never booked by this variant's loops: no start-up to simulate it with
        alone = grp[grp["overlap_share"] < ALONE_SHARE]
        eff = _arr(alone["effective_cores"]) if len(alone) else _arr(grp["effective_cores"])
        demand = float(min(np.median(eff), cores)) if len(eff) else 0.0
        background = grp["background"].fillna(cal.background_cores)
        objective = (grp["objective_s"].to_numpy(float)
                     * sharing_rate(grp["overlap_share"], background, demand, cores))
        slowdown, factors = 1.0, np.zeros(0)
        threads = threads_per_trial(key.n_jobs, demand)
        if len(alone):
            # beside siblings an objective can slow down more than sharing explains
            # (spin-waiting threads): its own speed is what the trials alone measured, and
            # the rest is the spin-wait factor of each call whose threads outnumbered the
            # cores (bench.predict.spin)
            objective = objective[(grp["overlap_share"] < ALONE_SHARE).to_numpy()]
            alone_s = objective[np.isfinite(objective)]
            factors = cell_factors(grp.assign(background=background),
                                   float(np.mean(alone_s)) if len(alone_s) else float("nan"),
                                   threads, demand, cores)
            slowdown = float(np.median(factors)) if len(factors) else 1.0
        start = by_workload[key.workload]
        cal.inputs[key] = Inputs(
            objective_s=objective[np.isfinite(objective)], demand_cores=demand,
            oversubscribed_slowdown=slowdown, spin_factors=factors,
            threads_per_trial=threads,
            **startup_fields(start), fmin_period_s=cal.loops["fmin_period_s"],
            dispatch_period_s=cal.loops["dispatch_period_s"],
            first_suggest_s=cal.loops["first_suggest_s"], dispatch_phase_s=cal.dispatch_phases,
            background_cores=cal.background_cores)
        cal.trials_used[key] = len(grp)


def _arr(values) -> np.ndarray:
    """The finite numbers among `values`, as a float array."""
    a = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
    return a[np.isfinite(a)]


def _fit_serial(cal: Calibration, trials: pd.DataFrame, cells: pd.DataFrame) -> None:
    serial_cells = cells[cells["mode"] == "serial"]
    serial = trials[trials["mode"] == "serial"]
    if serial_cells.empty or serial.empty:
        return
    obj_sum = serial.groupby("cell_id")["objective_s"].sum()
    per_trial = ((serial_cells["wall_s"] - serial_cells["cell_id"].map(obj_sum))
                 / serial_cells["trials_ok"].where(serial_cells["trials_ok"] > 0)).clip(lower=0)
    by_condition = {c: _arr(v) for c, v in per_trial.groupby(serial_cells["condition"])}
    everywhere = _arr(per_trial)
    some = next(iter(cal.inputs.values()), None)
    base = some if some is not None else _empty_inputs()
    for values, grp in serial.groupby(CLASS_COLS + ["condition"], sort=True):
        cond = values[-1]
        # hyperopt's own cost per serial trial (suggest, record, probe), per driver condition
        overhead = by_condition.get(cond)
        if overhead is None or not len(overhead):
            overhead = everywhere if len(everywhere) else np.zeros(1)
        cal.serial[(ClassKey.of(values[:-1]), cond)] = Inputs(
            **{**base.__dict__, "serial_objective_s": _arr(grp["objective_s"]),
               "serial_overhead_s": overhead})


def _empty_inputs() -> Inputs:
    one = np.zeros(1)
    return Inputs(objective_s=one, demand_cores=0.0, startup_fresh_s=one,
                  startup_reused_s=one[:0], reuse_prob=0.0, return_s=one, fmin_period_s=1.0,
                  dispatch_period_s=1.0, first_suggest_s=0.0, dispatch_phase_s=one)
