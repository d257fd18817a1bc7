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


def _task_times(grp: pd.DataFrame, tasks) -> tuple[np.ndarray, np.ndarray]:
    """When each trial's Spark task launched and finished (driver clock, event log), else
    NaN. A retried trial keeps its last attempt."""
    nan = np.full(len(grp), np.nan)
    if tasks is None or not len(tasks) or "launch_ts" not in tasks or "finish_ts" not in tasks:
        return nan, nan.copy()
    named = tasks.dropna(subset=["cell_id", "tid", "launch_ts", "finish_ts"])
    named = named[named["cell_id"].isin(set(grp["cell_id"]))]
    if not len(named):
        return nan, nan.copy()
    last = named.assign(tid=named["tid"].astype("float64")).sort_values("finish_ts")
    last = last.drop_duplicates(["cell_id", "tid"], keep="last").set_index(["cell_id", "tid"])
    keys = pd.MultiIndex.from_arrays([grp["cell_id"], grp["tid"].astype("float64")])
    return (last["launch_ts"].reindex(keys).to_numpy(float),
            last["finish_ts"].reindex(keys).to_numpy(float))


def slot_wait_s(book, until, held_from, held_to, task_slots: int) -> np.ndarray:
    """Per trial: the part of its wait from dispatch (`book`) to `until` (its task's launch)
    during which every one of the `task_slots` Spark task slots was held by other trials
    (trial j holding one from `held_from[j]` to `held_to[j]`). No queueing order is
    assumed, so trials dispatched in the same millisecond are handled too."""
    book, until = np.asarray(book, dtype=float), np.asarray(until, dtype=float)
    s, e = np.asarray(held_from, dtype=float), np.asarray(held_to, dtype=float)
    known = np.isfinite(s) & np.isfinite(e)
    out = np.zeros(len(book))
    for i in range(len(book)):
        lo, hi = book[i], until[i]
        if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
            continue
        others = known.copy()
        others[i] = False
        cuts = np.concatenate([[lo, hi], s[others], e[others]])
        cuts = np.unique(cuts[(cuts >= lo) & (cuts <= hi)])
        mids = (cuts[:-1] + cuts[1:]) / 2
        held = ((s[others][None, :] <= mids[:, None])
                & (mids[:, None] < e[others][None, :])).sum(axis=1)
        out[i] = float(np.diff(cuts)[held >= task_slots].sum())
    return out


def fixed_costs(trials: pd.DataFrame, cells: pd.DataFrame | None = None,
                tasks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per spark trial: dispatch_delay_s (slot free -> dispatched), slot_wait_s (dispatched ->
    a Spark task slot free, when parallelism exceeds the task slots), startup_s (then ->
    objective start, incl. worker start and imports), return_s, and fixed_s = dispatch delay
    + start-up + return. Waiting for a busy slot, at either level, is not a fixed cost.

    `cells` gives each cell's task slots; `tasks` (spark task records or the joined spark
    trials, with cell_id, tid, launch_ts, finish_ts) when each task held its slot. Without
    `cells` no task-slot wait is taken out. Serial trials get dispatch_delay_s =
    wait_dispatch_s.
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
                launch, finish = _task_times(grp, tasks)
                joined = np.isfinite(launch) & np.isfinite(finish)
                start, end = grp["start_ts"].to_numpy(float), grp["end_ts"].to_numpy(float)
                # a task holds its slot from launch to finish; without the event log only
                # while its objective runs, so the start-up of the trial ahead stays in
                # start-up (an upper bound on start-up, never an underestimate)
                wait = slot_wait_s(grp["book_ts"], np.where(joined, launch, start),
                                   np.where(joined, launch, start),
                                   np.where(joined, finish, end), int(slots))
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
