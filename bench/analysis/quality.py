"""Search quality: does running trials in parallel cost hyperopt's TPE its adaptivity?

Best loss after k evaluations, in suggestion (tid) order, median over the repeats.
"""
from __future__ import annotations

import pandas as pd

from .frames import GROUP_COLS


def best_loss_curves(trials: pd.DataFrame) -> pd.DataFrame:
    """Per cell: best ok loss after each evaluation k = 1.. in tid order (failed trials count
    as evaluations but do not improve the best)."""
    cols = ["cell_id", "tid", "loss"] + GROUP_COLS + ["setting", "setting_order"]
    ordered = trials[cols].sort_values(["cell_id", "tid"], kind="stable")
    ordered = ordered.assign(k=ordered.groupby("cell_id", sort=False).cumcount() + 1)
    best = ordered.groupby("cell_id", sort=False)["loss"].cummin()
    ordered["best_loss"] = best.groupby(ordered["cell_id"], sort=False).ffill()
    return ordered.reset_index(drop=True)


def best_loss_by_setting(curves: pd.DataFrame) -> pd.DataFrame:
    """Per configuration and k: median (and quartiles) over repeats of the best loss so far."""
    keys = GROUP_COLS + ["k"]
    if len(curves) == 0:
        return pd.DataFrame(columns=keys + ["setting", "setting_order", "best_loss_median",
                                            "best_loss_q25", "best_loss_q75", "cells"])
    grouped = curves.groupby(keys, dropna=False, sort=False)
    out = grouped.agg(setting=("setting", "first"), setting_order=("setting_order", "first"),
                      best_loss_median=("best_loss", "median"),
                      cells=("cell_id", "size")).reset_index()
    out["best_loss_q25"] = grouped["best_loss"].quantile(0.25).to_numpy()
    out["best_loss_q75"] = grouped["best_loss"].quantile(0.75).to_numpy()
    return out.sort_values(["workload", "setting_order", "k"], ignore_index=True)


def final_best_loss(curves: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: median over repeats of the best loss at the end of the cell."""
    if len(curves) == 0:
        return pd.DataFrame(columns=GROUP_COLS + ["setting", "setting_order",
                                                  "final_best_loss_median", "cells"])
    last = curves.groupby("cell_id", sort=False).tail(1)
    out = last.groupby(GROUP_COLS, dropna=False, sort=False).agg(
        setting=("setting", "first"), setting_order=("setting_order", "first"),
        final_best_loss_median=("best_loss", "median"), evals=("k", "median"),
        cells=("cell_id", "size")).reset_index()
    return out.sort_values(["workload", "setting_order"], ignore_index=True)
