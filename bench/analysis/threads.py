"""How many cores and threads each trial really used, by configuration.

Serial trials run in the driver with no thread cap; Spark's Python workers get
OMP_NUM_THREADS = spark.task.cpus. Effective cores (CPU time / wall time) shows the result.
"""
from __future__ import annotations

import pandas as pd

from .. import keys
from .groups import CONFIG_COLS, configuration_table, configurations
from .stats import median

#: NaN when no trial measured it (every spark trial failed before its objective ran)
_median = median


def _quantile(series: pd.Series, q: float) -> float:
    values = pd.to_numeric(series, errors="coerce").astype("float64")
    return float(values.quantile(q)) if values.notna().any() else float("nan")


def values_seen(series: pd.Series, missing: str = "unset") -> str:
    """Distinct values as text, e.g. '1' or '1, 2, unset' (nulls shown as `missing`)."""
    seen = set()
    for value in series.tolist():
        if keys.missing(value):  # None, NaN and pandas' NA alike
            seen.add(missing)
        elif isinstance(value, float) and value.is_integer():
            seen.add(str(int(value)))
        else:
            seen.add(str(value))
    numeric = sorted((v for v in seen if v.lstrip("-").isdigit()), key=int)
    return ", ".join(numeric + sorted(v for v in seen if not v.lstrip("-").isdigit()))


def thread_usage(trials: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: median effective cores and peak threads per trial, and the
    OMP_NUM_THREADS / model thread values the trials reported."""
    rows = []
    for settings, grp in configurations(trials):
        rows.append({
            **settings, "trials": len(grp),
            "effective_cores_median": _median(grp["effective_cores"]),
            "effective_cores_p90": _quantile(grp["effective_cores"], 0.9),
            "peak_threads_median": _median(grp["peak_threads"]),
            "omp_num_threads": values_seen(grp["omp_num_threads"]),
            "model_threads_requested": values_seen(grp["model_threads_requested"], "None"),
            "model_threads_effective": values_seen(grp["model_threads_effective"], "unknown"),
        })
    return configuration_table(rows, CONFIG_COLS + [
        "trials", "effective_cores_median", "effective_cores_p90", "peak_threads_median",
        "omp_num_threads", "model_threads_requested", "model_threads_effective"])
