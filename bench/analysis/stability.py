"""Whether a configuration runs in one regime or flips between two: the spin-wait collapse
makes the same configuration take 0.4 s per trial in one measurement and 10 s in the next,
so one sample of it says nothing about a change. Pure; the diagnosis (its `unstable` rule),
compare (its 'unstable: cannot judge' verdict) and the prediction read this one rule.

Two modes are two groups of a configuration's per-trial objective times with a jump
between them (`unstable_gap`) and medians far apart (`unstable_modes`): within one cell
from its trials (each group at least `unstable_min_trials` trials), and across repeats from
each cell's median (one repeat per group is enough). Where the run evaluated the same
hyperparameter points in several configurations ("points": "shared"), a trial's time is
judged relative to the same point's median time in the run, so a search space whose points
differ 10x in cost (n_estimators 50 or 500) is not read as two regimes; the modes are
reported in seconds all the same.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import keys

#: name -> (value, why): the classification's bounds (listed with the diagnosis' THRESHOLDS).
STABILITY_THRESHOLDS: dict[str, tuple[float, str]] = {
    "unstable_gap": (2.0, "adjacent per-trial times of one configuration 2x apart with none "
                          "between them: wider than the run-to-run swing of one trial's time "
                          "on a shared machine (thread_time_ratio), so a step between two "
                          "regimes, not a spread"),
    "unstable_modes": (5.0, "the two groups' medians 5x apart or more: the spin-wait "
                            "collapse's own bound (collapse_slowdown), beyond what "
                            "time-sharing and machine noise explain, so one group ran "
                            "collapsed and the other did not; one sample of such a "
                            "configuration can land in either"),
    "unstable_min_trials": (2, "within a cell a regime holds for two trials or more (trials "
                               "running at once collapse together); one trial apart is one "
                               "interruption, not a regime. Across repeats one repeat per "
                               "group is enough: each is already its cell's median"),
}


def bound(name: str) -> float:
    return STABILITY_THRESHOLDS[name][0]


@dataclass(frozen=True)
class Modes:
    """Two regimes seen in one place: their median seconds per trial and their sizes."""

    low_s: float
    high_s: float
    low_n: int
    high_n: int
    where: str       # 'cell <cell_id>', 'repeats' or 'runs'
    unit: str        # what low_n/high_n count: 'trials' or 'repeats'

    @property
    def ratio(self) -> float:
        return self.high_s / self.low_s if self.low_s > 0 else float("inf")

    def text(self) -> str:
        return (f"{_sec(self.low_s)} and {_sec(self.high_s)} per trial "
                f"({self.low_n} and {self.high_n} {self.unit}, {self.where})")

    def to_dict(self) -> dict:
        return {"low_s": self.low_s, "high_s": self.high_s, "low_n": self.low_n,
                "high_n": self.high_n, "where": self.where, "unit": self.unit}


def _sec(x: float) -> str:
    return f"{x:.3f} s" if x < 1 else (f"{x:.2f} s" if x < 10 else f"{x:.1f} s")


@dataclass
class Stability:
    """One configuration: unstable when two modes were seen anywhere."""

    modes: list = field(default_factory=list)   # [Modes]
    cells: int = 0
    repeats: int = 0

    @property
    def unstable(self) -> bool:
        return bool(self.modes)

    def text(self) -> str:
        return "; ".join(m.text() for m in self.modes)


def split_modes(values, shown=None, *, min_per_mode: int = 1, where: str = "",
                unit: str = "trials", gap: float | None = None,
                modes: float | None = None) -> Modes | None:
    """Two modes in `values` (positive times, judged as given) or None: the split at the
    largest jump between adjacent sorted values that leaves `min_per_mode` on each side;
    two modes when that jump is at least `gap` and the groups' medians `modes` apart.
    `shown` (same order) holds the seconds reported for each value (default: the values)."""
    gap = bound("unstable_gap") if gap is None else gap
    modes = bound("unstable_modes") if modes is None else modes
    v = np.asarray(values, dtype="float64")
    s = v if shown is None else np.asarray(shown, dtype="float64")
    keep = np.isfinite(v) & (v > 0) & np.isfinite(s)
    v, s = v[keep], s[keep]
    if len(v) < 2 * max(1, min_per_mode):
        return None
    order = np.argsort(v, kind="stable")
    v, s = v[order], s[order]
    lo = max(1, min_per_mode)
    cuts = np.arange(lo, len(v) - lo + 1)
    jumps = v[cuts] / v[cuts - 1]
    cut = int(cuts[int(np.argmax(jumps))])
    if not (jumps.max() >= gap and np.median(v[cut:]) >= modes * np.median(v[:cut])):
        return None
    return Modes(float(np.median(s[:cut])), float(np.median(s[cut:])), cut, len(v) - cut,
                 where, unit)


def _point_key(params) -> str:
    return json.dumps(params, sort_keys=True, default=str) if isinstance(params, dict) else ""


#: A point's reference time needs this many configurations that evaluated it: with fewer
#: the median is mostly the configuration's own time, and its regimes would cancel.
_MIN_REFERENCE_CONFIGS = 3


def relative_times(trials: pd.DataFrame) -> pd.Series:
    """Each ok trial's objective time over the median time of the same hyperparameter point
    in the run's cells of its workload; a cell any of whose points was evaluated by fewer
    than _MIN_REFERENCE_CONFIGS configurations keeps its raw seconds (NaN: no time)."""
    times = pd.to_numeric(trials["objective_s"], errors="coerce").astype("float64")
    if not len(trials) or "params" not in trials:
        return times
    point = trials["params"].map(_point_key)
    group = [trials["workload"], point]
    ref = times.groupby(group).transform("median")
    config = pd.Series(keys.config_keys(trials), index=trials.index).map(str)
    configs_behind = config.groupby(group).transform("nunique")
    usable = (point != "") & (configs_behind >= _MIN_REFERENCE_CONFIGS) & (ref > 0)
    by_cell = usable.groupby(trials["cell_id"]).transform("all")
    return times.where(~by_cell, times / ref)


def cell_values(trials: pd.DataFrame, relative: pd.Series | None = None) -> list[tuple]:
    """(cell_id, repeat, judged times, seconds) per cell of one configuration's ok trials."""
    rel = relative_times(trials) if relative is None else relative.reindex(trials.index)
    out = []
    for cell_id, grp in trials.groupby("cell_id", sort=True):
        out.append((cell_id, grp["repeat"].iloc[0], rel.loc[grp.index].to_numpy(float),
                    pd.to_numeric(grp["objective_s"], errors="coerce").to_numpy(float)))
    return out


def classify(cells: list[tuple], min_trials: float | None = None, **bounds) -> Stability:
    """One configuration's stability from its cells' (cell_id, repeat, judged, seconds):
    two modes within any cell, or across the cells' medians where there are several."""
    min_trials = int(bound("unstable_min_trials") if min_trials is None else min_trials)
    found = []
    for cell_id, _, judged, seconds in cells:
        m = split_modes(judged, seconds, min_per_mode=min_trials, where=f"cell {cell_id}",
                        **bounds)
        if m is not None:
            found.append(m)
    medians = [(np.nanmedian(j), np.nanmedian(s)) for _, _, j, s in cells
               if np.isfinite(j).any() and np.isfinite(s).any()]
    if len(medians) >= 2:
        m = split_modes([a for a, _ in medians], [b for _, b in medians], min_per_mode=1,
                        where="repeats", unit="repeats", **bounds)
        if m is not None:
            found.append(m)
    return Stability(found, len(cells), len({r for _, r, _, _ in cells}))


def run_stability(trials: pd.DataFrame, columns=keys.CONFIG, **bounds) -> dict:
    """config key (over `columns`) -> Stability, for every configuration with ok trials."""
    ok = trials[trials["status"] == "ok"] if "status" in trials else trials
    if not len(ok):
        return {}
    rel = relative_times(ok)
    return {keys.config_key(dict(zip(columns, key))): classify(cell_values(grp, rel), **bounds)
            for key, grp in ok.groupby(list(columns), sort=False, dropna=False)}
