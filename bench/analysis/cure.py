"""The cure, measured: each cell's wall against its computed ideal, and the per-trial cost
each SparkTrials variant removes (pure functions of the trial and cell frames).

Ideal wall of a cell = Σ objective time of its trials ÷ min(parallelism, task slots)
(serial: ÷ 1): what the same work would take with no overhead at all.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import keys
from .groups import configurations

#: The columns that make one line on the chart / one row of the table.
KEY = keys.CURE_LINE
#: Per-trial fixed cost parts: slot free -> dispatched (hyperopt's loops; waiting for a busy
#: slot is not counted), dispatched -> objective start, objective end -> result recorded.
COST_PARTS = ["dispatch_delay_s", "dispatch_to_start_s", "return_s"]


def cell_ideals(trials: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """One row per finished cell: wall, ideal, wall ÷ ideal, the tail after its last trial
    (fmin return − last objective end) and its trials' median latency parts."""
    usable = cells[~cells["failed"] & cells["wall_s"].notna()]
    cols = KEY + ["cell_id", "setting", "setting_order", "wall_s", "ideal_s", "wall_over_ideal",
                  "tail_s", "objective_median_s", "trials"] + COST_PARTS
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
    out["wall_over_ideal"] = out["wall_s"] / out["ideal_s"]
    out["tail_s"] = out["end_ts"] - out["last_end_ts"]
    return out[cols].reset_index(drop=True)


def _line_name(mode: str, variant: str) -> str:
    return variant if mode == "spark" else mode


def wall_over_ideal(per_cell: pd.DataFrame) -> pd.DataFrame:
    """Per workload (trial length), parallelism and line (serial, pool, each variant):
    median wall, ideal and wall ÷ ideal over repeats."""
    cols = ["workload", "trial_s", "parallelism", "line", "mode", "variant_label", "setting",
            "cells", "wall_s", "ideal_s", "wall_over_ideal", "setting_order"]
    if len(per_cell) == 0:
        return pd.DataFrame(columns=cols)
    df = per_cell.copy()
    df["line"] = [_line_name(m, v) for m, v in zip(df["mode"], df["variant_label"])]
    trial_s = df.groupby("workload")["objective_median_s"].median()
    rows = []
    for k, grp in configurations(df, KEY):
        rows.append({"workload": k["workload"], "trial_s": float(trial_s[k["workload"]]),
                     "parallelism": None if pd.isna(k["parallelism"]) else int(k["parallelism"]),
                     "line": grp["line"].iloc[0], "mode": k["mode"],
                     "variant_label": k["variant_label"], "setting": grp["setting"].iloc[0],
                     "cells": len(grp),
                     "wall_s": float(grp["wall_s"].median()),
                     "ideal_s": float(grp["ideal_s"].median()),
                     "wall_over_ideal": float(grp["wall_over_ideal"].median()),
                     "setting_order": int(k["setting_order"])})
    return pd.DataFrame(rows, columns=cols).sort_values(
        ["trial_s", "workload", "setting_order"], ignore_index=True)


def variant_savings(per_cell: pd.DataFrame) -> pd.DataFrame:
    """Spark cells per workload, parallelism and variant: median per-trial parts, tail, fixed
    cost per trial (queue wait + dispatch → start + return), what it removes against stock,
    and its share of the wall saving stock → tuned."""
    cols = ["workload", "parallelism", "variant", "cells"] + COST_PARTS + [
        "fixed_s", "tail_s", "wall_s", "ideal_s", "fixed_removed_s", "wall_saved_s",
        "share_of_saving"]
    spark = per_cell[per_cell["mode"] == "spark"]
    if len(spark) == 0:
        return pd.DataFrame(columns=cols)
    rows = []
    for (wl, par, variant), grp in spark.groupby(["workload", "parallelism", "variant_label"],
                                                 sort=False):
        row = {"workload": wl, "parallelism": int(par), "variant": variant, "cells": len(grp)}
        for p in COST_PARTS + ["tail_s", "wall_s", "ideal_s"]:
            row[p] = float(grp[p].median())
        row["fixed_s"] = sum(row[p] for p in COST_PARTS)
        rows.append(row)
    out = pd.DataFrame(rows)
    base = out[out["variant"] == "stock"].set_index(["workload", "parallelism"])
    tuned = out[out["variant"] == "tuned"].set_index(["workload", "parallelism"])
    removed, saved, share = [], [], []
    for r in out.itertuples():
        key = (r.workload, r.parallelism)
        if key not in base.index:
            removed.append(np.nan), saved.append(np.nan), share.append(np.nan)
            continue
        b = base.loc[key]
        removed.append(b["fixed_s"] - r.fixed_s)
        saved.append(b["wall_s"] - r.wall_s)
        total = b["wall_s"] - tuned.loc[key]["wall_s"] if key in tuned.index else np.nan
        share.append((b["wall_s"] - r.wall_s) / total if total and total > 0 else np.nan)
    out["fixed_removed_s"], out["wall_saved_s"], out["share_of_saving"] = removed, saved, share
    from ..variant_table import VARIANTS

    order = {v: i for i, v in enumerate(VARIANTS)}
    out["_o"] = out["variant"].map(order).fillna(len(order))
    return out.sort_values(["workload", "parallelism", "_o"], ignore_index=True)[cols]
