"""Pairing two runs: each configuration's measurements keyed by its settings (never by
cell-id strings), and the wall-time ratio of one configuration paired by repeat when both
runs ran the same repeats."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from .. import keys
from ..analysis import GROUP_COLS, RunData, group_walls, latency_split, thread_usage
from ..analysis.completeness import completeness
from ..analysis.measures import fixed_costs
from ..analysis.stats import Estimate, bootstrap_median_ratio, bootstrap_paired_median_ratio, median


#: A configuration's settings in GROUP_COLS order, as plain values (bench.keys).
config_key = keys.config_key


def _planned_key(cell: dict) -> tuple:
    """The configuration key of a planned cell from the manifest, labelled by the analysis'
    own rule (frames._add_settings), so planned and finished cells key alike."""
    from ..analysis.frames import _add_settings

    return config_key(_add_settings(pd.DataFrame([cell])).iloc[0])


@dataclass
class Side:
    """One run's measurements of one configuration."""

    walls: dict = field(default_factory=dict)   # repeat -> fmin wall (usable cells)
    wall_median_s: float = float("nan")
    cells_failed: int = 0
    cells_missing: int = 0
    trials_failed: int = 0
    trials: int = 0
    objective_s: float = float("nan")           # median per trial
    fixed_s: float = float("nan")               # median SparkTrials fixed cost per trial
    model_threads: str = ""                     # threads the model really used (values seen)
    omp_num_threads: str = ""                   # OMP_NUM_THREADS the trials saw

    @property
    def n(self) -> int:
        return len(self.walls)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["walls"] = {str(k): v for k, v in self.walls.items()}
        out["n"] = self.n
        return out


def _group(frame: pd.DataFrame):
    return frame.groupby(GROUP_COLS, dropna=False, sort=False)


def run_sides(run: RunData) -> dict[tuple, Side]:
    """Every configuration of a run with its walls, per-trial split and failures, built from
    the analysis layer (group_walls, latency_split) and the diagnosis' fixed-cost measure."""
    cells, trials = run.cells, run.trials
    sides: dict[tuple, Side] = {}
    for row in group_walls(cells).to_dict("records"):
        sides[config_key(row)] = Side(wall_median_s=float(row["wall_median_s"]),
                                      cells_failed=int(row["cells_failed"]))
    for key, grp in _group(cells):
        side = sides.setdefault(config_key(dict(zip(GROUP_COLS, key))), Side())
        usable = grp[~grp["failed"] & grp["wall_s"].notna()]
        side.walls = {int(r): float(w) for r, w in zip(usable["repeat"], usable["wall_s"])}
        side.trials_failed = int(pd.to_numeric(grp["trials_failed"]).fillna(0).sum())
    for row in latency_split(trials).to_dict("records"):
        side = sides.get(config_key(row))
        if side is not None:
            side.objective_s, side.trials = row["median_objective_s"], int(row["trials"])
    for row in thread_usage(trials).to_dict("records"):
        side = sides.get(config_key(row))
        if side is not None:
            side.model_threads = row["model_threads_effective"]
            side.omp_num_threads = row["omp_num_threads"]
    ok = trials[trials["status"] == "ok"]
    if len(ok):
        for key, grp in _group(fixed_costs(ok, cells, run.spark_tasks)):
            side = sides.get(config_key(dict(zip(GROUP_COLS, key))))
            if side is not None:
                side.fixed_s = median(grp["fixed_s"])
    done = completeness(run.manifest, cells, trials, run.bad_lines, run.orphan_trials)
    for planned in done.missing_cells:
        sides.setdefault(_planned_key(planned), Side()).cells_missing += 1
    return sides


def wall_ratio(base: Side, new: Side) -> tuple[Estimate, bool]:
    """new / base median wall with a bootstrap interval; paired by repeat when both runs
    have exactly the same repeat indices."""
    if base.n and new.n and sorted(base.walls) == sorted(new.walls):
        reps = sorted(base.walls)
        return bootstrap_paired_median_ratio([new.walls[r] for r in reps],
                                             [base.walls[r] for r in reps]), True
    return bootstrap_median_ratio(list(new.walls.values()), list(base.walls.values())), False
