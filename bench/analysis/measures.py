"""Measurements the diagnosis rules need beyond the analysis tables (pure functions).

The key one separates a spark trial's waiting into 'no slot was free' (a consequence of
parallelism, not a cost) and 'a slot was free but the trial was not yet dispatched' (the
SparkTrials dispatcher's 1-second loop: a fixed cost paid by every trial). The same holds one
level down: with parallelism above the cluster's task slots, a dispatched trial's Spark task
waits for a free task slot, and that wait is not start-up either.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .concurrency import concurrency_stats, concurrency_steps


def slot_ready_times(suggest, book, refresh, parallelism: int) -> np.ndarray:
    """For each trial of one cell: the earliest moment at or after its suggestion when fewer
    than `parallelism` earlier-dispatched trials were still unfinished (a slot was free)."""
    suggest, book, refresh = (np.asarray(a, dtype=float) for a in (suggest, book, refresh))
    ready = np.full(len(book), np.nan)
    order = np.argsort(book, kind="stable")
    for pos, i in enumerate(order):
        if not (np.isfinite(suggest[i]) and np.isfinite(book[i])):
            continue
        earlier = order[:pos]
        ends = refresh[earlier]
        ends = ends[np.isfinite(ends)]
        candidates = np.sort(np.concatenate([[suggest[i]], ends[ends > suggest[i]]]))
        for t in candidates:
            # trials dispatched before this one had the first claim on slots: they hold one
            # until their result is recorded
            running = np.sum(~(refresh[earlier] <= t))
            if running < parallelism:
                ready[i] = t
                break
        else:
            ready[i] = book[i]
    return ready


def _task_finish(grp: pd.DataFrame, tasks) -> np.ndarray:
    """When each trial's Spark task finished (driver clock, event log), else NaN."""
    out = np.full(len(grp), np.nan)
    if tasks is None or not len(tasks) or "finish_ts" not in tasks:
        return out
    named = tasks.dropna(subset=["cell_id", "tid", "finish_ts"])
    named = named[named["cell_id"].isin(set(grp["cell_id"]))]
    if not len(named):
        return out
    finish = named.groupby(["cell_id", "tid"])["finish_ts"].max()
    keys = pd.MultiIndex.from_arrays([grp["cell_id"], grp["tid"].astype("float64")])
    finish.index = pd.MultiIndex.from_arrays([finish.index.get_level_values(0),
                                              finish.index.get_level_values(1).astype("float64")])
    return finish.reindex(keys).to_numpy(float)


def slot_wait_s(book, release, task_slots: int) -> np.ndarray:
    """Per trial: time from dispatch until one of the `task_slots` Spark task slots was free
    for it. Spark runs the jobs of one application first come, first served, so a trial gets
    a slot once fewer than `task_slots` trials dispatched before it still hold one; a trial
    holds its slot until `release` (its task's finish from the event log, else the time its
    result was recorded, which is later by the return time)."""
    book = np.asarray(book, dtype=float)
    free = slot_ready_times(book, book, release, task_slots)
    return np.clip(free - book, 0, None)


def fixed_costs(trials: pd.DataFrame, cells: pd.DataFrame | None = None,
                tasks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per spark trial: dispatch_delay_s (slot free -> dispatched), slot_wait_s (dispatched ->
    a Spark task slot free, when parallelism exceeds the task slots), startup_s (then ->
    objective start, incl. worker start and imports), return_s, and fixed_s = dispatch delay
    + start-up + return. Waiting for a busy slot, at either level, is not a fixed cost.

    `cells` gives each cell's task slots; `tasks` (spark task records or the joined spark
    trials, with cell_id, tid, finish_ts) when each slot was released. Without `cells` no
    task-slot wait is taken out. Serial trials get dispatch_delay_s = wait_dispatch_s.
    """
    slots_of = {}
    if cells is not None and len(cells) and "task_slots" in cells:
        slots_of = cells.dropna(subset=["task_slots"]).drop_duplicates("cell_id").set_index(
            "cell_id")["task_slots"].to_dict()
    parts = []
    for cell_id, grp in trials.groupby("cell_id", sort=False):
        grp = grp.copy()
        wait = np.zeros(len(grp))
        if (grp["mode"] == "spark").all() and grp["parallelism"].notna().all():
            p = int(grp["parallelism"].iloc[0])
            ready = slot_ready_times(grp["suggest_ts"], grp["book_ts"], grp["refresh_ts"], p)
            grp["dispatch_delay_s"] = np.clip(grp["book_ts"].to_numpy(float) - ready, 0, None)
            slots = slots_of.get(cell_id)
            if slots is not None and pd.notna(slots) and int(slots) < p:
                finish = _task_finish(grp, tasks)
                release = np.where(np.isfinite(finish), finish, grp["refresh_ts"].to_numpy(float))
                wait = slot_wait_s(grp["book_ts"], release, int(slots))
        else:
            grp["dispatch_delay_s"] = grp["wait_dispatch_s"].clip(lower=0)
        grp["slot_wait_s"] = wait
        grp["startup_s"] = grp["dispatch_to_start_s"] - wait
        grp["fixed_s"] = grp["dispatch_delay_s"] + grp["startup_s"] + grp["return_s"]
        parts.append(grp)
    if not parts:
        return trials.assign(dispatch_delay_s=np.nan, slot_wait_s=np.nan, startup_s=np.nan,
                             fixed_s=np.nan)
    return pd.concat(parts, ignore_index=True)


def break_even_objective_s(fixed_s: float, parallelism: int) -> float:
    """Shortest objective for which SparkTrials with `parallelism` trials running at once
    (min(parallelism, task slots)) beats serial Trials.

    With fixed per-trial cost F and p trials at once, a trial of length t costs (t + F) / p
    of wall time against t serially, so SparkTrials wins when t > F / (p - 1). At p = 1 it
    never wins (infinite).
    """
    if parallelism <= 1:
        return float("inf")
    return fixed_s / (parallelism - 1)


def median(values) -> float:
    s = pd.to_numeric(pd.Series(values), errors="coerce").dropna()
    return float(s.median()) if len(s) else float("nan")


def slot_occupancy(trials: pd.DataFrame) -> pd.DataFrame:
    """Per spark cell: the time-weighted mean number of trials holding a slot (from dispatch,
    book_ts, to result recorded, refresh_ts) between the first dispatch and the last result."""
    rows = []
    for cell_id, grp in trials.groupby("cell_id", sort=False):
        stats = concurrency_stats(concurrency_steps(grp["book_ts"], grp["refresh_ts"]))
        first = grp.iloc[0]
        rows.append({"cell_id": cell_id, "workload": first["workload"],
                     "parallelism": first["parallelism"], "max_queue_len": first["max_queue_len"],
                     "occupancy": stats["mean"], "max_held": stats["max"]})
    return pd.DataFrame(rows, columns=["cell_id", "workload", "parallelism", "max_queue_len",
                                       "occupancy", "max_held"])
