"""The cure, measured: each cell's time against its computed ideal, and the per-trial cost
each SparkTrials variant removes (pure functions of the trial and cell frames).

Ideal wall of a cell = Σ objective time of its trials ÷ min(parallelism, task slots)
(serial: ÷ 1): what the same work would take with no overhead at all. A cell's time is the
primary figure, warm-up + wall (frames.warmup_and_paid): a variant or the pool that starts
its workers before the clock counts that start; the wall alone ("workers already running")
is kept beside it. Every row is one configuration (keys.CONFIG, repeats pooled); a variant
is compared with the stock configuration that differs from it in the variant alone.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import keys
from .groups import configurations
from .setup import differing_axes
from .walltime import usable_cells

#: The columns that make one line on the chart / one row of the table: a configuration.
KEY = keys.CONFIG
#: Per-trial fixed cost parts: slot free -> dispatched (hyperopt's loops; waiting for a busy
#: slot is not counted), dispatched -> objective start, objective end -> result recorded.
COST_PARTS = ["dispatch_delay_s", "dispatch_to_start_s", "return_s"]
#: Times per cell and per configuration: fmin wall, warm-up before the clock, their sum.
TIMES = ["wall_s", "warmup_s", "paid_s"]


def cell_ideals(trials: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """One row per finished, complete cell: wall, warm-up, primary figure, ideal, primary ÷
    ideal, the tail after its last trial (fmin return − last objective end) and its trials'
    median latency parts. Failed and incomplete cells (a timeout, failed trials) are left
    out: their time is not the time of the work asked for."""
    usable = usable_cells(cells)
    cols = KEY + ["cell_id", "setting", "setting_order"] + TIMES + [
        "ideal_s", "wall_over_ideal", "tail_s", "objective_median_s", "trials"] + COST_PARTS
    if len(usable) == 0 or len(trials) == 0:
        return pd.DataFrame(columns=cols)
    from .measures import fixed_costs  # the one home of the slot-free rule

    ok = fixed_costs(trials[trials["status"] == "ok"], cells)
    per = ok.groupby("cell_id").agg(
        objective_sum_s=("objective_s", "sum"), objective_median_s=("objective_s", "median"),
        last_end_ts=("end_ts", "max"), trials=("tid", "size"),
        **{p: (p, "median") for p in COST_PARTS})
    out = usable.join(per, on="cell_id", how="inner")
    # the queue variant is stock hyperopt with max_queue_len = parallelism: a stock cell run
    # with that queue (e.g. a max_queue_len axis) is the same configuration
    queued = (out["mode"] == "spark") & (out["variant_label"] == "stock") \
        & (out["max_queue_len"].astype("float64") > 1)
    out["variant_label"] = out["variant_label"].where(~queued, "queue")
    par = out["parallelism"].astype("float64").fillna(1.0)
    slots = out["task_slots"].astype("float64")
    width = np.where(slots.notna(), np.minimum(par, slots.fillna(np.inf)), par)
    width = np.where(out["mode"] == "serial", 1.0, width)
    out["ideal_s"] = out["objective_sum_s"] / width
    out["wall_over_ideal"] = out["paid_s"] / out["ideal_s"]
    out["tail_s"] = out["end_ts"] - out["last_end_ts"]
    return out[cols].reset_index(drop=True)


def _line_name(mode: str, variant: str) -> str:
    return variant if mode == "spark" else mode


def wall_over_ideal(per_cell: pd.DataFrame) -> pd.DataFrame:
    """Per configuration (its line: serial, pool, each variant): median wall, warm-up,
    primary figure, ideal and primary ÷ ideal over repeats, with the workload's trial
    length."""
    cols = ["workload", "trial_s", "parallelism", "line", "mode", "variant_label", "setting",
            "cells"] + TIMES + ["ideal_s", "wall_over_ideal", "setting_order"] + KEY
    if len(per_cell) == 0:
        return pd.DataFrame(columns=list(dict.fromkeys(cols)))
    df = per_cell.copy()
    df["line"] = [_line_name(m, v) for m, v in zip(df["mode"], df["variant_label"])]
    trial_s = df.groupby("workload")["objective_median_s"].median()
    rows = []
    for k, grp in configurations(df, KEY):
        rows.append({**{c: k[c] for c in KEY},
                     "trial_s": float(trial_s[k["workload"]]),
                     "parallelism": None if pd.isna(k["parallelism"]) else int(k["parallelism"]),
                     "line": grp["line"].iloc[0], "setting": k["setting"], "cells": len(grp),
                     **{t: float(grp[t].median()) for t in TIMES},
                     "ideal_s": float(grp["ideal_s"].median()),
                     "wall_over_ideal": float(grp["wall_over_ideal"].median()),
                     "setting_order": int(k["setting_order"])})
    out = pd.DataFrame(rows)
    return out[list(dict.fromkeys(cols))].sort_values(
        ["trial_s", "workload", "setting_order"], ignore_index=True)


def _stock_of(row: dict, rows: list[dict]):
    """The stock configuration that differs from `row` in the variant alone (row itself
    when it is stock), or None."""
    if row["variant_label"] == "stock":
        return row
    return next((r for r in rows if r["variant_label"] == "stock"
                 and differing_axes(r, row) == {"variant_label"}), None)


def variant_savings(per_cell: pd.DataFrame) -> pd.DataFrame:
    """Spark configurations: median per-trial parts, tail, fixed cost per trial (queue wait +
    dispatch → start + return), what it removes against the stock configuration that
    differs from it in the variant alone, the time it saves against it (primary figures),
    and its share of that stock configuration's saving with tuned."""
    cols = list(dict.fromkeys(["workload", "parallelism", "variant", "setting", "cells"]
                              + COST_PARTS + ["fixed_s", "tail_s"] + TIMES + [
                                  "ideal_s", "fixed_removed_s", "wall_saved_s",
                                  "share_of_saving"] + KEY))
    spark = per_cell[per_cell["mode"] == "spark"]
    if len(spark) == 0:
        return pd.DataFrame(columns=cols)
    rows = []
    for k, grp in configurations(spark, KEY):
        row = {**{c: k[c] for c in KEY}, "setting": k["setting"],
               "setting_order": k["setting_order"], "parallelism": int(k["parallelism"]),
               "variant": k["variant_label"], "cells": len(grp)}
        for p in COST_PARTS + ["tail_s", "ideal_s"] + TIMES:
            row[p] = float(grp[p].median())
        row["fixed_s"] = sum(row[p] for p in COST_PARTS)
        rows.append(row)
    for r in rows:
        base = _stock_of(r, rows)
        tuned = next((t for t in rows if t["variant_label"] == "tuned"
                      and base is not None and _stock_of(t, rows) is base), None)
        r["_base"] = (base or r)["setting_order"]
        if base is None:
            r.update(fixed_removed_s=np.nan, wall_saved_s=np.nan, share_of_saving=np.nan)
            continue
        total = base["paid_s"] - tuned["paid_s"] if tuned is not None else np.nan
        r.update(fixed_removed_s=base["fixed_s"] - r["fixed_s"],
                 wall_saved_s=base["paid_s"] - r["paid_s"],
                 share_of_saving=(base["paid_s"] - r["paid_s"]) / total
                 if total and total > 0 else np.nan)
    from ..variant_table import VARIANTS

    order = {v: i for i, v in enumerate(VARIANTS)}
    out = pd.DataFrame(rows)
    out["_o"] = out["variant"].map(order).fillna(len(order))
    return out.sort_values(["workload", "parallelism", "_base", "_o", "setting_order"],
                           ignore_index=True)[cols]
