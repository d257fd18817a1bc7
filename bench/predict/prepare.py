"""A run made ready for calibration: its usable trials and cells, each spark trial with the
quantities it needs (contention, worker start-up flags, gaps between loop events), computed
once; and the run's facts it reads (the host's cores, task.cpus, a configuration's shape)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import keys
from ..analysis import RunData
from ..errors import BenchError
from ..model import Manifest
from ..shapes import parse_label
from .contention import contention
from .grouping import config_ids, with_variant, without_variant
from .simulate import Shape
from .startup import shape_key, worker_flags

#: Per-trial flags prepare() adds to spark trials: `fresh` (contention) and the start-up
#: flags of bench.predict.startup.worker_flags.
WORKER_FLAGS = ("fresh", "free_slot", "new_worker", "prewarmed")


def host_cores(manifest: Manifest) -> int:
    """The cores the measured trials shared; an error when the manifest does not say."""
    cores = manifest.host_cores
    if not cores:
        raise BenchError("manifest.json: environment.logical_cores missing; cannot tell how "
                         "many cores the measured trials shared")
    return cores


def measured_shape(cells: pd.DataFrame, manifest: Manifest) -> Shape:
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
    tc = manifest.task_cpus()
    n_slots = int(slots.median()) if len(slots) else max(1, cores // tc)
    return Shape(1, n_slots * tc, tc, p, q, host_cores=cores, label="local")


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
        cid = self.config_ids.get(keys.key_of(key), -1)
        return (self.trials[self.trials["config_id"] != cid],
                self.cells[self.cells["config_id"] != cid])

    def twins(self, key: tuple | None) -> set:
        """The configuration ids of `key` and of every other variant's configuration with
        all else equal (same objective, shape and settings): held out together, since the
        objective's times are fitted from every variant's trials."""
        if key is None:
            return set()
        mine = without_variant(keys.key_of(key))
        return {cid for k, cid in self.config_ids.items() if without_variant(k) == mine}


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
    """The run ready for calibrate(): usable cells and ok trials, spark trials with their
    per-trial quantities, every row numbered by its configuration."""
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
