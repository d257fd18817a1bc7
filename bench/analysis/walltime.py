"""fmin wall time per cell and per configuration, and the speedup of SparkTrials over serial.

Speedup compares a spark configuration with the serial configurations that share its
workload, n_jobs and max_evals, separately for every serial condition (native or emulated).
"""
from __future__ import annotations

import pandas as pd

from .. import keys
from .groups import CONFIG_COLS, configuration_table, configurations
from .stats import bootstrap_median, karp_flatt, paired_by_repeat

NAN = float("nan")

#: Settings a serial and a spark configuration must share to be compared (bench.keys).
MATCH_COLS = keys.SERIAL_MATCH


def usable_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Cells whose wall time means something: fmin returned, the time was recorded and every
    evaluation asked for finished ok (an incomplete cell's wall is not a speed)."""
    incomplete = cells["incomplete"] if "incomplete" in cells else False
    return cells[~cells["failed"] & ~incomplete & cells["wall_s"].notna()]


def cell_summary(cells: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """One row per cell: its wall time (one fmin call, so one number), trial count, and its
    trials' median objective time and median overhead (per-trial latency minus objective)."""
    per_cell = trials.groupby("cell_id", sort=False).agg(
        trials=("tid", "size"), objective_median_s=("objective_s", "median"),
        overhead_median_s=("overhead_s", "median"))
    cols = ["cell_id", "setting", "setting_order", "workload", "mode", "condition", "repeat",
            "wall_s", "failed", "incomplete", "trials_ok", "trials_failed"]
    out = cells[cols].join(per_cell, on="cell_id")
    out["trials"] = out["trials"].fillna(0).astype("int64")
    return out.sort_values(["workload", "setting_order", "repeat"], ignore_index=True)


def group_walls(cells: pd.DataFrame) -> pd.DataFrame:
    """Median fmin wall time per configuration across its repeats, with its interval (a
    min–max range under 5 repeats, else a 95% bootstrap interval; see stats); and the
    primary figure, warm-up + wall (frames.warmup_and_paid), with its interval and the
    median warm-up (NaN where a pool's warm-up was not recorded)."""
    rows = []
    for settings, grp in configurations(cells):
        usable = usable_cells(grp)
        est = bootstrap_median(usable["wall_s"])
        paid = bootstrap_median(usable["paid_s"])
        slots = grp["task_slots"].dropna()
        rows.append({
            **settings, "cells": len(usable), "cells_failed": int(grp["failed"].sum()),
            "cells_incomplete": int(grp["incomplete"].sum()),
            "trials_ok": int(grp["trials_ok"].fillna(0).sum()),
            "trials_asked": int(grp["max_evals"].fillna(0).sum()),
            "wall_median_s": est.value, "wall_low_s": est.low, "wall_high_s": est.high,
            "wall_interval": est.kind,
            "warmup_median_s": float(usable["warmup_s"].median()) if len(usable) else NAN,
            "paid_median_s": paid.value, "paid_low_s": paid.low, "paid_high_s": paid.high,
            "task_slots": int(slots.median()) if len(slots) else None,
        })
    return configuration_table(rows, CONFIG_COLS + [
        "cells", "cells_failed", "cells_incomplete", "trials_ok", "trials_asked",
        "wall_median_s", "wall_low_s", "wall_high_s", "wall_interval", "warmup_median_s",
        "paid_median_s", "paid_low_s", "paid_high_s", "task_slots"])


def ideal_speedup(parallelism, task_slots) -> float:
    """What perfect scaling could give: the parallelism, capped by the task slots that exist."""
    if parallelism is None or pd.isna(parallelism):
        return float("nan")
    if task_slots is None or pd.isna(task_slots):
        return float(parallelism)
    return float(min(int(parallelism), int(task_slots)))


def speedups(cells: pd.DataFrame, manifest_task_slots=None) -> pd.DataFrame:
    """Speedup = median serial wall / median spark figure (warm-up + wall: a variant or pool
    that starts its workers before the clock counts that start), per spark configuration
    and serial condition, with an interval over the repeats of both sides (stats: min–max
    range under 5 repeats, else a bootstrap, paired by repeat block); plus the ideal
    (min(parallelism, task slots)), and parallel efficiency and Karp–Flatt with that ideal
    as the processor count: trials beyond the task slots queue, they add no processors."""
    usable = usable_cells(cells)
    serial = usable[usable["mode"] == "serial"]
    spark = usable[usable["mode"] != "serial"]  # SparkTrials cells and the process pool
    rows = []
    serial_groups = {k: g for k, g in serial.groupby(MATCH_COLS + ["condition"], sort=False)}
    for settings, sgrp in configurations(spark):
        match = tuple(settings[c] for c in MATCH_COLS)
        slots = sgrp["task_slots"].dropna()
        slots = int(slots.median()) if len(slots) else manifest_task_slots
        for (*rkey, condition), rgrp in serial_groups.items():
            if tuple(rkey) != match:
                continue
            est = paired_by_repeat(rgrp["paid_s"], sgrp["paid_s"], rgrp["repeat"],
                                   sgrp["repeat"])
            par = settings["parallelism"]
            p = None if pd.isna(par) else int(par)
            ideal = ideal_speedup(p, slots)
            rows.append({
                "workload": settings["workload"], "mode": settings["mode"],
                "condition": settings["condition"],
                "variant_label": settings["variant_label"],
                "n_jobs_label": settings["n_jobs_label"],
                "max_evals": settings["max_evals"], "serial_condition": condition,
                "serial_emulated": bool(rgrp["emulated"].fillna(False).astype(bool).any()),
                "parallelism": p, "max_queue_len": settings["max_queue_len"],
                "cluster_label": settings["cluster_label"], "env_label": settings["env_label"],
                "setting": settings["setting"], "setting_order": settings["setting_order"],
                "serial_setting": rgrp["setting"].iloc[0],
                "serial_cells": len(rgrp), "spark_cells": len(sgrp),
                "serial_wall_s": float(rgrp["wall_s"].median()),
                "spark_wall_s": float(sgrp["wall_s"].median()),
                "spark_warmup_s": float(sgrp["warmup_s"].median()),
                "spark_paid_s": float(sgrp["paid_s"].median()),
                "speedup": est.value, "speedup_low": est.low, "speedup_high": est.high,
                "speedup_interval": est.kind, "speedup_n": est.n,
                "task_slots": slots, "ideal": ideal,
                "efficiency": est.value / ideal if ideal > 0 else float("nan"),
                "karp_flatt": karp_flatt(est.value, ideal),
            })
    return configuration_table(rows, _SPEEDUP_COLS,
                               ["workload", "serial_condition", "setting_order"])


_SPEEDUP_COLS = ["workload", "mode", "condition", "variant_label", "n_jobs_label", "max_evals",
                 "serial_condition", "serial_emulated", "parallelism", "max_queue_len",
                 "cluster_label", "env_label", "setting", "setting_order", "serial_setting",
                 "serial_cells", "spark_cells", "serial_wall_s", "spark_wall_s",
                 "spark_warmup_s", "spark_paid_s",
                 "speedup", "speedup_low", "speedup_high", "speedup_interval", "speedup_n",
                 "task_slots", "ideal", "efficiency", "karp_flatt"]
