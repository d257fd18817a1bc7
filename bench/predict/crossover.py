"""The break-even objective length measured directly: where stock SparkTrials' wall crosses
serial Trials' over objectives of several fixed lengths (the overhead and break_even
scenarios' sleep cells).

A single length's fixed cost moves the break-even estimate by where that run's trials ended
between the dispatcher's 1 s wake-ups (1.1-2.0 s from one length to the next here). With
several lengths side by side, the crossover is read off the measured walls themselves: per
parallelism, queue and evaluations, the gap spark median wall - serial median wall per
length, and the length where it changes sign, interpolated linearly between the two lengths
that bracket it. Only workloads whose trials all take about the same time count (their
length is the median objective time of their serial trials).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .grouping import STOCK, with_variant

#: A workload has a fixed length when its serial trials' 10th-90th percentile spans at most
#: this share of their median.
FIXED_LENGTH_SPREAD = 0.10
GROUP = ["parallelism", "max_queue_len", "max_evals"]


def fixed_lengths(trials: pd.DataFrame) -> dict:
    """Workload -> the median objective time of its serial trials, for the workloads whose
    serial trials all take about the same time."""
    serial = trials[(trials["mode"] == "serial") & (trials["status"] == "ok")]
    out = {}
    for workload, grp in serial.groupby("workload", sort=True):
        t = grp["objective_s"].dropna().to_numpy(float)
        if len(t) < 2 or np.median(t) <= 0:
            continue
        p10, med, p90 = np.percentile(t, [10, 50, 90])
        if (p90 - p10) <= FIXED_LENGTH_SPREAD * med:
            out[str(workload)] = float(med)
    return out


def _crossing(lengths: list, gaps: list) -> float | None:
    """The first length where the gap goes from > 0 (spark slower) to <= 0, interpolated."""
    for (t1, g1), (t2, g2) in zip(zip(lengths, gaps), zip(lengths[1:], gaps[1:])):
        if g1 > 0 >= g2:
            return float(t1 + (t2 - t1) * g1 / (g1 - g2))
    return None


def measured_crossovers(cells: pd.DataFrame, trials: pd.DataFrame) -> list[dict]:
    """Per parallelism, max_queue_len and max_evals of the stock spark cells of fixed-length
    workloads measured at two or more lengths: the lengths, the gap (spark - serial median
    wall, s) at each, and the crossover length (None with a note when it is not bracketed)."""
    lengths = fixed_lengths(trials)
    cells = with_variant(cells)
    cells = cells[cells["workload"].isin(lengths) & ~cells["failed"] & cells["wall_s"].notna()]
    serial = (cells[cells["mode"] == "serial"].groupby(["workload", "max_evals"])["wall_s"]
              .median())
    spark = cells[(cells["mode"] == "spark") & (cells["variant"] == STOCK)]
    out = []
    for (p, q, n), grp in spark.groupby(GROUP, sort=True):
        points = []
        for workload, part in grp.groupby("workload", sort=True):
            base = serial.get((workload, n))
            if base is not None:
                points.append((lengths[workload], float(part["wall_s"].median()) - float(base)))
        if len(points) < 2:
            continue
        points.sort()
        ts, gaps = [t for t, _ in points], [g for _, g in points]
        cross = _crossing(ts, gaps)
        row = {"parallelism": int(p), "max_queue_len": int(q), "max_evals": int(n),
               "lengths_s": [round(t, 3) for t in ts], "gaps_s": [round(g, 3) for g in gaps],
               "crossover_s": None if cross is None else round(cross, 3)}
        if cross is None:
            row["note"] = (f"not bracketed: spark slower at every length up to {ts[-1]:.2f} s"
                           if gaps[-1] > 0 else
                           f"not bracketed: spark as fast or faster from {ts[0]:.2f} s")
        out.append(row)
    return out
