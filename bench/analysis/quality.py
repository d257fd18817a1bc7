"""Search quality: does running trials in parallel cost hyperopt's TPE its adaptivity?

Best loss after k evaluations, in suggestion (tid) order, median over the repeats.
"""
from __future__ import annotations

from typing import Optional

import pandas as pd

from ..model import Manifest
from ..versions import tpe_startup_jobs
from .frames import GROUP_COLS
from .groups import CONFIG_COLS, CONFIG_ORDER, SETTING_COLS, aggregate_configurations


def search_not_comparable(manifest: Manifest, max_evals) -> Optional[str]:
    """Why the modes' best losses say nothing about the search at this evaluation count (the
    reason, to print), or None when they can be compared."""
    if manifest.points_shared:
        return ("every mode evaluated the same pre-drawn points (points: shared): there was no "
                "search to compare")
    if manifest.search_algo != "tpe":
        return (f"the search algorithm is {manifest.search_algo!r}, which does not learn from "
                "finished trials: running them at once cannot hurt it")
    startup = tpe_startup_jobs()  # up to there parallelism cannot cost TPE its adaptivity
    if max_evals is not None and int(max_evals) <= startup:
        return (f"{int(max_evals)} evaluations are all within TPE's {startup} random "
                "start-up suggestions: every mode searched at random")
    return None


def best_loss_curves(trials: pd.DataFrame) -> pd.DataFrame:
    """Per cell: best ok loss after each evaluation k = 1.. in tid order (failed trials count
    as evaluations but do not improve the best)."""
    cols = ["cell_id", "tid", "loss"] + CONFIG_COLS
    ordered = trials[cols].sort_values(["cell_id", "tid"], kind="stable")
    ordered = ordered.assign(k=ordered.groupby("cell_id", sort=False).cumcount() + 1)
    best = ordered.groupby("cell_id", sort=False)["loss"].cummin()
    ordered["best_loss"] = best.groupby(ordered["cell_id"], sort=False).ffill()
    return ordered.reset_index(drop=True)


def best_loss_by_setting(curves: pd.DataFrame) -> pd.DataFrame:
    """Per configuration and k: median (and quartiles) over repeats of the best loss so far."""
    keys = GROUP_COLS + ["k"]
    if len(curves) == 0:
        return pd.DataFrame(columns=keys + SETTING_COLS + [
            "best_loss_median", "best_loss_q25", "best_loss_q75", "cells"])
    out = aggregate_configurations(curves, keys, best_loss_median=("best_loss", "median"),
                                   cells=("cell_id", "size"))
    grouped = curves.groupby(keys, dropna=False, sort=False)
    out["best_loss_q25"] = grouped["best_loss"].quantile(0.25).to_numpy()
    out["best_loss_q75"] = grouped["best_loss"].quantile(0.75).to_numpy()
    return out.sort_values(CONFIG_ORDER + ["k"], ignore_index=True)


def final_best_loss(curves: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: median over repeats of the best loss at the end of the cell."""
    if len(curves) == 0:
        return pd.DataFrame(columns=CONFIG_COLS + ["final_best_loss_median", "cells"])
    last = curves.groupby("cell_id", sort=False).tail(1)
    out = aggregate_configurations(last, final_best_loss_median=("best_loss", "median"),
                                   evals=("k", "median"), cells=("cell_id", "size"))
    return out.sort_values(CONFIG_ORDER, ignore_index=True)
