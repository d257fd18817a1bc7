"""What a predicted interval covers: the simulation's draws and the measured repeat spread.

The draws carry what the model itself varies (trial times drawn from the measured ones, loop
phases, one spin-wait factor per call). Repeats of one configuration also differ by what the
model does not see (the machine's other load, Spark's own jitter): each class's repeat
spread is measured as every repeat's wall over its configuration's median, and the interval
is the 5th-95th percentile of every draw's wall times every such ratio (the two sources
combined as independent, without dice of their own)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .grouping import CLASS_COLS, ClassKey

INTERVAL = (5.0, 95.0)


def repeat_ratios(cells: pd.DataFrame) -> dict:
    """ClassKey -> each repeat's wall over its configuration's median wall, from the spark
    configurations (`config_id`) with two or more finished cells."""
    out: dict = {}
    spark = cells[(cells["mode"] == "spark") & cells["wall_s"].notna()]
    for values, grp in spark.groupby(CLASS_COLS, sort=True, dropna=False):
        ratios = []
        for _, cfg in grp.groupby("config_id", sort=True):
            walls = cfg["wall_s"].to_numpy(float)
            if len(walls) >= 2 and np.median(walls) > 0:
                ratios.extend(walls / np.median(walls))
        if ratios:
            out[ClassKey.of(values)] = np.array(ratios, float)
    return out


def interval(walls, ratios=None) -> tuple[float, float]:
    """The 5th-95th percentile of the draws' walls, each times each repeat ratio (draws
    alone when no repeat spread was measured)."""
    walls = np.asarray(walls, float)
    if ratios is not None and len(ratios):
        walls = np.outer(walls, np.asarray(ratios, float)).ravel()
    low, high = np.percentile(walls, INTERVAL)
    return float(low), float(high)
