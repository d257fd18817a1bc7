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
- serial Trials: objective durations in the driver per condition, and hyperopt's per-trial
  cost (cell wall minus objective time, per trial).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import keys
from ..analysis import RunData
from ..shapes import parse_label
from ..errors import BenchError
from ..variant_table import FAST_POLL_S, VARIANTS
from ..versions import fmin_poll_s as _hyperopt_poll_s  # read from its source, checked there
from .simulate import Inputs, Shape, overloaded
from .startup import Startup, fit_startup, shape_key, worker_flags

STOCK = "stock"
#: A trial ran alone when siblings of its cell overlapped less than this share of it.
ALONE_SHARE = 0.05
#: Columns naming one measured configuration (bench.keys): they carry the variant ("stock"
#: for unmodified spark cells) and the thread environment.
CONFIG_COLS = keys.CONFIG
#: Columns naming one objective the model simulates: the workload, the model's thread
#: setting and the thread environment the harness set for the cell (bench.keys' env_label:
#: '' as inherited, e.g. 'OMP_WAIT_POLICY=passive'); the wait policy alone can change how
#: fast the same model runs on shared cores.
CLASS_COLS = keys.OBJECTIVE
#: Per-trial flags prepare() adds to spark trials: `fresh` (contention) and the start-up
#: flags of bench.predict.startup.worker_flags.
WORKER_FLAGS = ("fresh", "free_slot", "new_worker", "prewarmed")


class ClassKey(NamedTuple):
    """One objective (the values of CLASS_COLS): what its measured inputs are keyed by."""

    workload: str
    n_jobs: str
    env: str = ""

    @classmethod
    def of(cls, row) -> "ClassKey":
        """The key of a frame row, a groupby key tuple in CLASS_COLS order, or a mapping."""
        values = (tuple(row[c] for c in CLASS_COLS) if hasattr(row, "keys")
                  else tuple(row) + ("",) * (len(CLASS_COLS) - len(row)))
        return cls(*("" if keys.missing(v) else str(v) for v in values))

    def text(self) -> str:
        env = f" {{{self.env}}}" if self.env else ""
        return f"{self.workload} n_jobs={self.n_jobs}{env}"


# the key of one configuration (a frame row or mapping with CONFIG_COLS), of every row
config_key, config_keys = keys.config_key, keys.config_keys


def nominal_poll_s(variant: str = STOCK) -> float:
    """The loops' nominal sleep for a SparkTrials variant: hyperopt's own, or the harness'
    shortened one for variants that shorten it (bench.variants). Used only to count loop
    turns between two timestamps; the period itself is measured."""
    spec = VARIANTS.get(variant)
    return FAST_POLL_S if spec is not None and spec.fastpoll else _hyperopt_poll_s()


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
                "kept_workers_mean": round(float(np.mean(inp.kept_workers)), 3),
                "return_median_s": round(float(np.median(inp.return_s)), 4)}
        out["startup_by_shape"] = {
            f"{workload} on {shape}": round(float(np.median(start.fresh_s)), 4)
            for (workload, shape), start in sorted(self.startups.items())}
        return out


def with_variant(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with a `variant` column; records written before variants existed are stock."""
    if "variant" in df.columns:
        return df.assign(variant=df["variant"].fillna(STOCK).astype(str))
    return df.assign(variant=STOCK)


def variants_in(run: RunData) -> list[str]:
    cells = with_variant(run.cells)
    return sorted(set(cells.loc[cells["mode"] == "spark", "variant"]))


def config_ids(trials: pd.DataFrame, cells: pd.DataFrame) -> tuple[pd.Series, pd.Series, dict]:
    """One integer per configuration for trials and cells, and key tuple -> integer."""
    ids: dict = {}
    out = []
    for df in (cells, trials):
        col = []
        for k in config_keys(df):
            col.append(ids.setdefault(k, len(ids)))
        out.append(pd.Series(col, index=df.index, dtype="int64"))
    return out[1], out[0], ids


def _without_variant(key: tuple) -> tuple:
    return tuple(v for c, v in zip(CONFIG_COLS, key) if c != "variant_label")


_key = keys.key_of  # a key tuple with the one missing-value rule


def host_cores(manifest: dict) -> int:
    env = manifest.get("environment") or {}
    cores = env.get("logical_cores") or env.get("physical_cores")
    if not cores:
        raise BenchError("manifest.json: environment.logical_cores missing; cannot tell how "
                         "many cores the measured trials shared")
    return int(cores)


def manifest_task_cpus(manifest: dict) -> int:
    try:
        return int((manifest.get("spark") or {}).get("task_cpus") or 1)
    except (TypeError, ValueError):
        return 1


def measured_shape(cells: pd.DataFrame, manifest: dict) -> Shape:
    """The shape the cells of one spark configuration ran on (all on this machine)."""
    first = cells.iloc[0]
    p, q = int(first["parallelism"]), int(first["max_queue_len"])
    label = str(first.get("cluster_label") or "")
    cores = host_cores(manifest)
    parsed = parse_label(label)
    if parsed:
        workers, per_worker, tc = parsed
        return Shape(workers, per_worker, tc, p, q, host_cores=cores, label=label)
    slots = cells["task_slots"].dropna()
    tc = manifest_task_cpus(manifest)
    n_slots = int(slots.median()) if len(slots) else max(1, cores // tc)
    return Shape(1, n_slots * tc, tc, p, q, host_cores=cores, label="local")


# --- loops ------------------------------------------------------------------------------------
def _gaps(df: pd.DataFrame, col: str) -> np.ndarray:
    """Gaps between consecutive timestamps within each cell (vectorised over cells)."""
    part = df[["cell_id", col]].dropna().sort_values(["cell_id", col])
    gaps = part[col].diff().to_numpy(float)
    same = (part["cell_id"] == part["cell_id"].shift()).to_numpy()
    return gaps[same]


def loop_period(gaps: np.ndarray, nominal: float) -> float:
    """Mean seconds per loop turn: each gap between two events of one loop divided into whole
    turns (events of the same turn, < 2% of a turn apart, are skipped)."""
    gaps = np.asarray(gaps, dtype=float)
    gaps = gaps[np.isfinite(gaps) & (gaps > 0.02 * nominal)]
    if not len(gaps):
        return float("nan")
    turns = np.maximum(1, np.round(gaps / nominal))
    return float(gaps.sum() / turns.sum())


# --- objective contention -----------------------------------------------------------------------
def _overlap_matrix(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """frac[i, j]: share of trial i's objective during which trial j's objective also ran."""
    lo = np.maximum(start[:, None], start[None, :])
    hi = np.minimum(end[:, None], end[None, :])
    dur = np.where(end - start > 0, end - start, np.nan)
    frac = np.clip(hi - lo, 0, None) / dur[:, None]
    np.fill_diagonal(frac, 0.0)
    return np.nan_to_num(frac)


def contention(trials: pd.DataFrame, cores: int) -> pd.DataFrame:
    """Per spark trial: `overlap_share` (objectives of its cell running beside it, in trials),
    `background` (other busy cores the probe saw, minus what those trials used) and
    `fresh` (first trial of its pid in the cell: a new Python worker)."""
    trials = trials.sort_values(["cell_id", "start_ts"])
    share = np.zeros(len(trials))
    used = np.zeros(len(trials))
    cell = trials["cell_id"].to_numpy()
    start = trials["start_ts"].to_numpy(float)
    end = trials["end_ts"].to_numpy(float)
    eff = np.nan_to_num(trials["effective_cores"].to_numpy(float))
    bounds = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1], True])
    for a, b in zip(bounds[:-1], bounds[1:]):
        if b - a > 1:
            frac = _overlap_matrix(start[a:b], end[a:b])
            share[a:b] = frac.sum(axis=1)
            used[a:b] = frac @ eff[a:b]
    other = trials["other_busy_cores"].to_numpy(float)
    background = np.clip(np.where(np.isfinite(other), other - used, np.nan), 0, cores)
    by_book = trials.sort_values("book_ts", kind="stable")
    fresh = ~by_book.duplicated(["cell_id", "pid"]).reindex(trials.index)
    return pd.DataFrame({"overlap_share": share, "background": background,
                         "fresh": fresh.to_numpy(bool)}, index=trials.index)


# --- calibration ---------------------------------------------------------------------------------
def _arr(values) -> np.ndarray:
    a = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
    return a[np.isfinite(a)]


@dataclass
class Prepared:
    """A run's usable trials and cells with the per-trial quantities calibration needs,
    computed once (they depend only on the trial's own cell, so leaving a configuration out
    is a filter)."""

    run: RunData
    trials: pd.DataFrame     # ok trials of usable cells, with variant (+ contention if spark)
    cells: pd.DataFrame      # cells that finished with a wall time, with variant
    cores: int
    config_ids: dict = field(default_factory=dict)   # configuration key -> config_id

    def without(self, key: tuple | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(trials, cells) without one configuration (leave-one-configuration-out)."""
        if key is None:
            return self.trials, self.cells
        cid = self.config_ids.get(_key(key), -1)
        return (self.trials[self.trials["config_id"] != cid],
                self.cells[self.cells["config_id"] != cid])

    def twins(self, key: tuple | None) -> set:
        """The configuration ids of `key` and of every other variant's configuration with
        all else equal (same objective, shape and settings): held out together, since the
        objective's times are fitted from every variant's trials."""
        if key is None:
            return set()
        mine = _without_variant(_key(key))
        return {cid for k, cid in self.config_ids.items() if _without_variant(k) == mine}


_SPARK_NEEDS = ["objective_s", "start_ts", "end_ts", "book_ts", "dispatch_to_start_s",
                "return_s"]


def _within_cell_gaps(trials: pd.DataFrame, col: str) -> pd.Series:
    """Each trial's gap to the previous timestamp of its cell (NaN for the first)."""
    part = trials[["cell_id", col]].sort_values(["cell_id", col], kind="stable")
    gap = part[col].diff()
    gap[part["cell_id"] != part["cell_id"].shift()] = np.nan
    return gap.reindex(trials.index)


def _cell_stats(spark: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """Per spark cell: when its first trial was suggested and booked (seconds after fmin
    was called)."""
    t0 = cells.drop_duplicates("cell_id").set_index("cell_id")["start_ts"]
    stats = spark.groupby("cell_id").agg(first_suggest=("suggest_ts", "min"),
                                         first_book=("book_ts", "min"))
    start = t0.reindex(stats.index)
    return pd.DataFrame({"first_suggest_s": stats["first_suggest"] - start,
                         "first_book_s": stats["first_book"] - start}, index=stats.index)


def prewarmed_cells(cells: pd.DataFrame) -> dict:
    """Cell -> how many Python workers were started before its clock, for the cells that
    started any (older runs: none)."""
    if "workers_prewarmed" not in cells:
        return {}
    count = pd.to_numeric(cells["workers_prewarmed"]).fillna(0)
    return dict(zip(cells.loc[count > 0, "cell_id"], count[count > 0].astype(float)))


def prepare(run: RunData) -> Prepared:
    cells = with_variant(run.cells)
    cells = cells[~cells["failed"] & cells["wall_s"].notna()]
    trials = with_variant(run.trials)
    trials = trials[trials["cell_id"].isin(set(cells["cell_id"])) & (trials["status"] == "ok")]
    cores = host_cores(run.manifest)
    spark = trials[trials["mode"] == "spark"].dropna(subset=_SPARK_NEEDS)
    serial = trials[trials["mode"] == "serial"]
    if len(spark):
        slots = cells.drop_duplicates("cell_id").set_index("cell_id")["task_slots"]
        spark = spark.assign(task_slots=spark["cell_id"].map(slots).astype(float),
                             shape=[shape_key(c) for c in spark["cluster_label"]])
        spark = spark.join(contention(spark, cores))
        spark = spark.join(worker_flags(spark, run.trials[run.trials["mode"] == "spark"],
                                        prewarmed_cells(cells)))
        spark = spark.assign(suggest_gap=_within_cell_gaps(spark, "suggest_ts"),
                             book_gap=_within_cell_gaps(spark, "book_ts"))
        cells = cells.join(_cell_stats(spark, cells), on="cell_id")
    else:
        spark = spark.assign(**{c: pd.Series(dtype=float) for c in (
            "overlap_share", "background", "suggest_gap", "book_gap", "task_slots")},
            **{c: pd.Series(dtype=bool) for c in WORKER_FLAGS},
            shape=pd.Series(dtype=object))
        cells = cells.assign(**{c: np.nan for c in ("first_suggest_s", "first_book_s")})
    trials = pd.concat([spark, serial])
    trial_ids, cell_ids, ids = config_ids(trials, cells)
    return Prepared(run=run, trials=trials.assign(config_id=trial_ids),
                    cells=cells.assign(config_id=cell_ids), cores=cores, config_ids=ids)


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
                      task_cpus=manifest_task_cpus(run.manifest))
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
                     * _sharing_rate(grp["overlap_share"], background, demand, cores))
        slowdown = 1.0
        if len(alone):
            # beside siblings an objective can slow down more than sharing explains
            # (spin-waiting threads): its own speed is what the trials alone measured, and
            # the rest is the slowdown an oversubscribed host adds
            objective = objective[(grp["overlap_share"] < ALONE_SHARE).to_numpy()]
            slowdown = oversubscribed_slowdown(grp.assign(background=background), objective,
                                               demand, cores)
        start = by_workload[key.workload]
        cal.inputs[key] = Inputs(
            objective_s=objective[np.isfinite(objective)], demand_cores=demand,
            oversubscribed_slowdown=slowdown,
            **startup_fields(start), fmin_period_s=cal.loops["fmin_period_s"],
            dispatch_period_s=cal.loops["dispatch_period_s"],
            first_suggest_s=cal.loops["first_suggest_s"], dispatch_phase_s=cal.dispatch_phases,
            background_cores=cal.background_cores)
        cal.trials_used[key] = len(grp)


def oversubscribed_slowdown(trials: pd.DataFrame, alone_s: np.ndarray, demand: float,
                            cores: int) -> float:
    """How much slower than processor sharing explains an objective ran while its host was
    loaded above its cores (>= 1; 1 when no trial of it ran so).

    Measured on the trials that had siblings beside them throughout (the mirror of running
    alone: overlapped for all but ALONE_SHARE of their time), on a host their load
    oversubscribed: such a trial took alone x sharing x slowdown, sharing being load /
    cores. Summed over them and solved for the one slowdown, with `alone` the mean time of
    the objective's trials that ran alone (their parameters differ; the mean keeps the total
    time right). Partly overlapped trials would need their split of work between the two
    rates, which the timestamps do not give."""
    alone_s = np.asarray(alone_s, float)
    alone_s = alone_s[np.isfinite(alone_s)]
    alone = float(np.mean(alone_s)) if len(alone_s) else float("nan")
    share = trials["overlap_share"].to_numpy(float)
    took = trials["objective_s"].to_numpy(float)
    load = trials["background"].fillna(0.0).to_numpy(float) + demand * (1.0 + share)
    over = (share >= 1.0 - ALONE_SHARE) & overloaded(load, cores) & np.isfinite(took)
    if not over.any() or not (alone > 0):
        return 1.0
    slowdown = took[over].sum() / (alone * load[over] / cores).sum()
    return float(max(1.0, slowdown))


def _sharing_rate(overlap, background, demand: float, cores: int) -> np.ndarray:
    """Each trial's speed under processor sharing: min(1, cores / load), the load being the
    host's other busy cores, its own demand and its overlapping siblings' demand."""
    load = (np.asarray(background, float) + demand
            + demand * np.asarray(overlap, float))
    return np.minimum(1.0, cores / np.maximum(load, 1e-9))


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
