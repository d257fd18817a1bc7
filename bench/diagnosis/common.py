"""What the rule families share: which trials count, how configurations are grouped and
named, how two settings compare, what a finding covers, and the objective ratio of two sets
of trials (paired by hyperparameter point where they can be)."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from .. import keys
from ..analysis import GROUP_COLS
from ..analysis.stats import median
from ..model import NATIVE
from .finding import Finding

#: setting columns for rules about threads and cores: the queue length and evaluation count
#: do not change where a trial's threads run, so their cells are judged together
PLACEMENT_COLS = keys.PLACEMENT

#: the columns a finding's `covers` filter names for one configuration
COVER_COLS = ("workload", "mode", "condition", "n_jobs_label", "parallelism", "cluster_label",
              "env_label")


def ok_trials(trials: pd.DataFrame) -> pd.DataFrame:
    return trials[trials["status"] == "ok"]


def seconds_text(x: float) -> str:
    """Seconds in a finding's summary or recommendation: '0.250 s', '12.3 s', 'n/a'."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def seconds_or_never(x: float):
    """A break-even length as evidence: seconds, or 'never' where none breaks even."""
    return round(x, 3) if math.isfinite(x) else "never"


def configs(trials: pd.DataFrame, cols=GROUP_COLS):
    """(settings dict, trials) per configuration, over the analysis' setting columns."""
    for key, grp in trials.groupby(cols, sort=True, dropna=False):
        yield dict(zip(cols, key)), grp


def setting_label(grp: pd.DataFrame) -> str:
    return str(grp["setting"].iloc[0]) if "setting" in grp else ""


def where(cfg: dict, label: str) -> str:
    """A setting label with its driver condition, unless native or already named."""
    return label + ("" if cfg["condition"] == NATIVE or f"[{cfg['condition']}]" in label
                    else f" [{cfg['condition']}]")


def covers_config(cfg: dict) -> dict:
    return {k: cfg[k] for k in COVER_COLS}


def _plain(value):
    """An axis value as JSON reads it: None for missing, whole numbers as int."""
    if missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def configuration(values: dict, axes=GROUP_COLS) -> dict:
    """The axes a finding is about and their values (GROUP_COLS order); an axis left out
    was pooled by the rule."""
    return keys.shown({axis: _plain(values[axis]) for axis in GROUP_COLS
                       if axis in axes and axis in values})


# the one missing-value rule and setting comparison (bench.keys)
missing = keys.missing
same = keys.same


def covered(findings: list[Finding], row: dict, gap: str) -> list[str]:
    """Ids of the findings whose `covers` names this configuration for this kind of gap."""
    ids = []
    for f in findings:
        for flt in f.covers or []:
            if flt.get("gap", gap) != gap:
                continue
            if all(same(row.get(k), v) for k, v in flt.items() if k != "gap"):
                ids.append(f.id)
                break
    return ids


def seen_env(grp: pd.DataFrame, name: str) -> str:
    """A thread variable as the trials saw it: '1', 'passive, unset'..."""
    values = {str((env or {}).get(name, "unset")) if isinstance(env, dict) else "unset"
              for env in grp["thread_env"].tolist()}
    return ", ".join(sorted(values))


def openmp_runtime(grp: pd.DataFrame) -> str:
    """OpenMP libraries the trials had loaded (threadpoolctl prefix: libgomp, libomp, libiomp)."""
    libs = {str(p.get("library")) for pools in grp["threadpools"].tolist()
            if isinstance(pools, list) for p in pools
            if isinstance(p, dict) and p.get("api") == "openmp"}
    return ", ".join(sorted(libs)) or "not seen"


def _point_key(params) -> str:
    return json.dumps(params, sort_keys=True, default=str) if isinstance(params, dict) else ""


def objective_ratio(hot: pd.DataFrame, ref: pd.DataFrame) -> tuple[float, int]:
    """Median objective of `hot` over `ref`, on the same hyperparameter points where both
    ran some (median of per-point ratios), else median over median. Returns (ratio, points
    matched)."""
    hk, rk = hot.assign(_k=hot["params"].map(_point_key)), ref.assign(_k=ref["params"].map(_point_key))
    common = sorted((set(hk["_k"]) & set(rk["_k"])) - {""})
    if common:
        h = hk.groupby("_k")["objective_s"].median()
        r = rk.groupby("_k")["objective_s"].median()
        ratios = [h[k] / r[k] for k in common if r[k] > 0]
        if ratios:
            return float(np.median(ratios)), len(ratios)
    base = median(ref["objective_s"])
    return (median(hot["objective_s"]) / base if base > 0 else float("nan")), 0
