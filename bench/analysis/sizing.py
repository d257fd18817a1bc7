"""Cluster sizing: what each standalone cluster shape cost per completed trial.

A shape label is 'NxC' (N workers of C cores) or 'NxC/tcK' (spark.task.cpus = K). Core-seconds
per completed trial = fmin wall time x total executor cores / trials completed: the price of
a trial on that shape, whatever its parallelism.
"""
from __future__ import annotations

import re

import pandas as pd

from .. import keys
from ..shapes import parse_label
from .groups import configurations
from .walltime import usable_cells

#: One row per spark configuration (keys.CONFIG, repeats pooled) on a cluster shape;
#: `configuration` is its label without the shape (one line across shapes).
SIZING_COLS = ["workload", "n_jobs_label", "parallelism", "max_queue_len", "cluster_label",
               "variant_label", "env_label", "max_evals", "setting", "configuration",
               "workers", "cores_per_worker", "task_cpus", "total_cores", "task_slots", "cells",
               "wall_median_s", "trials_ok", "core_s_per_trial"]


def cluster_sizing(cells: pd.DataFrame) -> pd.DataFrame:
    """Per spark configuration on a cluster shape: wall time and core-seconds per trial."""
    spark = usable_cells(cells[(cells["mode"] == "spark") & (cells["cluster_label"] != "")])
    rows = []
    for key, grp in configurations(spark, keys.CONFIG):
        shape = parse_label(key["cluster_label"])
        if shape is None:
            continue
        workers, cores, task_cpus = shape
        total = workers * cores
        ok = grp["trials_ok"].astype(float)
        per_trial = (grp["wall_s"] * total / ok.where(ok > 0)).median()
        slots = grp["task_slots"].dropna()
        rows.append({**key, "configuration": re.sub(r" @\S+", "", key["setting"]),
                     "workers": workers, "cores_per_worker": cores,
                     "task_cpus": task_cpus, "total_cores": total,
                     "task_slots": int(slots.median()) if len(slots) else None,
                     "cells": len(grp), "wall_median_s": float(grp["wall_s"].median()),
                     "trials_ok": int(ok.sum()), "core_s_per_trial": float(per_trial)})
    out = pd.DataFrame(rows, columns=SIZING_COLS + ["setting_order"])
    return out.sort_values(["workload", "setting_order"], ignore_index=True)[SIZING_COLS]
