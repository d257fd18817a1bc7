"""Start-up of a spark trial: booked -> objective start (Spark job, task launch, Python worker,
imports), fitted from the trials that found a free task slot.

Per trial (bench.predict.prepare.prepare adds these columns):

- `free_slot`: fewer trials of its cell held a task slot (booked, result not yet recorded)
  when it was booked than the cell had slots, so its start-up holds no wait for a slot. Of
  the trials one dispatcher turn books together, those that started first took the free
  slots: the others waited, whichever was booked first;
- `new_worker`: the first trial of its Python worker (host and pid) in the whole run: a
  worker was started for it. Otherwise it ran in a worker that had run a trial before, of
  its own cell or of an earlier one whose worker Spark had kept (a variant that drains the
  task's input returns the worker to the pool, and the next cell may find it there), or in
  a cell whose workers were started before its clock (`workers_prewarmed`, reuse variants);
- `fresh`: the first trial of its worker in its cell.

Fitted per workload, and per workload and measured shape (executor layout): a shape the
run measured is predicted with its own start-up times when other configurations ran on it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from ..shapes import parse_label
from ..variant_table import FAST_POLL_S

LOCAL = "local"
#: Bookings closer than this were made in one dispatcher turn: a turn books its trials within
#: a millisecond or two, and the shortest loop (a fastpoll variant's) sleeps FAST_POLL_S.
SAME_TURN_S = FAST_POLL_S / 4


def shape_key(cluster_label) -> str:
    """The measured shape a cell ran on: its cluster label ('2x1', '1x2/tc2'), or 'local' for
    the run's own session."""
    label = cluster_label if isinstance(cluster_label, str) else ""
    return label if parse_label(label) else LOCAL


def worker_flags(spark: pd.DataFrame, all_spark: pd.DataFrame,
                 prewarmed_cells=frozenset()) -> pd.DataFrame:
    """`free_slot`, `new_worker` and `prewarmed` for the trials of `spark` (with `task_slots`
    per trial); `all_spark` is every spark trial of the run, whose workers count as seen
    before; `prewarmed_cells` maps a cell to how many workers were started before its clock
    (its first that many workers by first booking; a set: all of them)."""
    warmed = (dict(prewarmed_cells) if isinstance(prewarmed_cells, dict)
              else dict.fromkeys(prewarmed_cells, math.inf))
    seen = all_spark.dropna(subset=["pid", "book_ts"])
    first = seen.groupby([seen["hostname"].fillna(""), "pid"])["book_ts"].min()
    host = spark["hostname"].fillna("")
    first_book = pd.Series([first.get((h, p), np.nan) for h, p in zip(host, spark["pid"])],
                           index=spark.index, dtype=float)
    # each worker's rank in its cell by its first booking there: 0 for the first worker used
    first_in_cell = spark.groupby([spark["cell_id"], host, spark["pid"]])["book_ts"] \
        .transform("min")
    rank = first_in_cell.groupby(spark["cell_id"]).rank(method="dense") - 1
    prewarmed = spark["cell_id"].isin(list(warmed))
    started_before = prewarmed & (rank < spark["cell_id"].map(warmed).astype(float))
    new_worker = ~(first_book < spark["book_ts"]) & ~started_before
    holding = pd.Series(0, index=spark.index, dtype="int64")
    for _, grp in spark.groupby("cell_id", sort=False):
        book = grp["book_ts"].to_numpy(float)
        start = book + grp["dispatch_to_start_s"].to_numpy(float)
        done = grp["refresh_ts"].to_numpy(float)
        # j was ahead of i for a slot: booked in an earlier dispatcher turn, or in the same
        # turn and started first (Spark gives a turn's jobs the free slots in no fixed order)
        same_turn = np.abs(book[None, :] - book[:, None]) <= SAME_TURN_S
        ahead = np.where(same_turn, start[None, :] < start[:, None], book[None, :] < book[:, None])
        np.fill_diagonal(ahead, False)
        holding[grp.index] = (ahead & (done[None, :] > book[:, None])).sum(axis=1)
    slots = spark["task_slots"].astype(float)
    free = ~(slots.notna() & (holding >= slots))
    return pd.DataFrame({"free_slot": free.to_numpy(bool), "new_worker": new_worker.to_numpy(bool),
                         "prewarmed": prewarmed.to_numpy(bool)}, index=spark.index)


@dataclass(frozen=True)
class Startup:
    """Measured start-up of one workload (on one shape, or on all)."""

    fresh_s: np.ndarray         # a new Python worker
    reused_s: np.ndarray        # a worker that ran the cell's previous trial on the slot
    #                             (any worker that had run before, if none did; may be empty)
    reuse_prob: float           # a slot's next trial in a cell finds its worker kept
    kept_workers: np.ndarray    # per cell: idle workers kept from before its fmin call
    return_s: np.ndarray        # objective end -> result recorded
    trials: int                 # trials it was fitted on
    prewarmed: bool = False     # its cells started a worker per usable slot before the clock
    kept_s: np.ndarray = field(default_factory=lambda: np.zeros(0))  # a cell's first trial
    #                             on a worker started before it (empty: reused_s)


def _arr(values) -> np.ndarray:
    a = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
    return a[np.isfinite(a)]


def reuse_prob(trials: pd.DataFrame) -> float:
    """Share of the trials that could have reused a worker of their cell (all but the first
    per usable slot in each cell) that did (their worker had run a trial of the cell)."""
    per_cell = trials.groupby("cell_id").agg(
        n=("tid", "size"), first=("fresh", "sum"), p=("parallelism", "first"),
        slots=("task_slots", "first"))
    usable = np.minimum(per_cell["p"].astype(float), per_cell["slots"].astype(float)
                        .fillna(np.inf))
    could = float(np.clip(per_cell["n"] - usable, 0, None).sum())
    reused = float((per_cell["n"] - per_cell["first"]).sum())
    return min(1.0, reused / could) if could else 0.0


def fit_startup(trials: pd.DataFrame) -> Startup | None:
    """Start-up of the given trials (one workload): None when none found a free slot."""
    free = trials[trials["free_slot"]]
    if free.empty:
        return None
    fresh = _arr(free.loc[free["new_worker"], "dispatch_to_start_s"])
    old = free[~free["new_worker"]]
    reused = _arr(old["dispatch_to_start_s"])
    # a cell's first trial on a worker from before it (kept idle, or prewarmed: imports done,
    # the objective's first call and the cell's first job still to pay) vs. a worker that ran
    # the cell's previous trial
    kept_s = _arr(old.loc[old["fresh"], "dispatch_to_start_s"])
    again = _arr(old.loc[~old["fresh"], "dispatch_to_start_s"])
    if not len(fresh):  # every worker had run before: the reused times are all there is
        fresh = reused
    return Startup(fresh_s=fresh, reused_s=again if len(again) else reused,
                   reuse_prob=reuse_prob(trials),
                   kept_workers=kept_workers(trials) if len(reused) else np.zeros(1),
                   return_s=_arr(trials["return_s"]), trials=len(free),
                   prewarmed=bool(trials["prewarmed"].all()),
                   kept_s=kept_s if len(kept_s) else reused)


def kept_workers(trials: pd.DataFrame) -> np.ndarray:
    """Per cell not prewarmed, how many idle Python workers it found: trials that were the
    first of their worker in the cell (`fresh`) but not a new worker (an earlier cell's,
    kept idle by Spark). Prewarmed cells found one per usable slot by construction."""
    trials = trials[~trials["prewarmed"]]
    if trials.empty:
        return np.zeros(1)
    kept = trials["fresh"].astype(bool) & ~trials["new_worker"].astype(bool)
    return kept.groupby(trials["cell_id"]).sum().to_numpy(float)
