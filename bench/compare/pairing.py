"""Pairing two runs: each configuration's measurements keyed by its settings (never by
cell-id strings), and the wall-time ratio of one configuration with the rank interval that
decides its verdict.

Paired only where the two sides really shared blocks: repeat r of one results folder and
repeat r of another ran minutes or days apart, on whatever the machine was doing then, so
two folders are always compared as independent samples. A run that interleaves both sides
cell by cell (an A/B run) is the paired case: it will pass `paired=True`."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from .. import keys
from ..analysis import GROUP_COLS, RunData, group_walls, latency_split, thread_usage
from ..analysis.completeness import completeness
from ..analysis.cores import other_busy_cores
from ..analysis.cure import cell_ideals
from ..analysis.measures import fixed_costs
from ..analysis.ranks import paired_ratio_interval, ratio_interval
from ..analysis.stability import cell_values, relative_times
from ..analysis.stats import Estimate, median
from ..analysis.walltime import usable_cells


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

    #: repeat -> warm-up + fmin wall, what the user pays (complete cells only)
    walls: dict = field(default_factory=dict)
    paid_median_s: float = float("nan")         # their median
    cells_failed: int = 0
    cells_incomplete: int = 0                   # fmin returned with fewer ok trials than asked
    cells_missing: int = 0
    trials_failed: int = 0
    trials: int = 0
    objective_s: float = float("nan")           # median per trial
    fixed_s: float = float("nan")               # median SparkTrials fixed cost per trial
    model_threads: str = ""                     # threads the model really used (values seen)
    omp_num_threads: str = ""                   # OMP_NUM_THREADS the trials saw
    threads: float = float("nan")               # median threads per trial (a number)
    load_cores: float = float("nan")            # cores other processes kept busy beside it
    #: repeat -> cores other processes kept busy during that cell (A/B runs record it)
    loads: dict = field(default_factory=dict)
    #: repeat -> cores the cell's own process tree kept busy (A/B runs record it)
    own_cores: dict = field(default_factory=dict)
    #: its walls move in whole ticks of SparkTrials' 1 s loops (spark mode)
    ticked: bool = False
    #: repeat -> the cell's ideal wall: its trials' objective time ÷ the slots they ran in
    #: (analysis.cure.cell_ideals), the objective's share of the wall without its overhead
    ideals: dict = field(default_factory=dict)
    #: per cell: (cell_id, repeat, judged times, seconds) of its ok trials (analysis.stability)
    cells: list = field(default_factory=list, repr=False)

    @property
    def n(self) -> int:
        return len(self.walls)

    def to_dict(self) -> dict:
        out = asdict(self)
        out.pop("cells")
        for name in ("loads", "own_cores"):  # recorded by A/B runs only
            if not out[name]:
                out.pop(name)
            else:
                out[name] = {str(k): v for k, v in getattr(self, name).items()}
        out["ideals"] = {str(k): v for k, v in self.ideals.items()}
        out["walls"] = {str(k): v for k, v in self.walls.items()}
        out["n"] = self.n
        return out


def _group(frame: pd.DataFrame):
    return frame.groupby(GROUP_COLS, dropna=False, sort=False)


def _add_trials(sides: dict, trials: pd.DataFrame) -> None:
    """Per-trial facts: objective split, threads, the load beside the trials, and each
    cell's trial times for the stability rule."""
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
    if not len(ok):
        return
    rel = relative_times(ok)
    for key, grp in _group(ok):
        side = sides.get(config_key(dict(zip(GROUP_COLS, key))))
        if side is not None:
            side.threads = median(grp["model_threads_effective"])
            side.load_cores = other_busy_cores(grp)
            side.cells = cell_values(grp, rel)


def run_sides(run: RunData) -> dict[tuple, Side]:
    """Every configuration of a run with its walls, per-trial split and failures, built from
    the analysis layer (group_walls, latency_split) and the diagnosis' fixed-cost measure.
    Only complete cells give walls: a cell cut short (timeout, failed trials) is no speed."""
    cells, trials = run.cells, run.trials
    sides: dict[tuple, Side] = {}
    ideals = cell_ideals(trials, cells).set_index("cell_id")["ideal_s"]
    for row in group_walls(cells).to_dict("records"):
        sides[config_key(row)] = Side(paid_median_s=float(row["paid_median_s"]),
                                      cells_failed=int(row["cells_failed"]),
                                      cells_incomplete=int(row["cells_incomplete"]))
    for key, grp in _group(cells):
        side = sides.setdefault(config_key(dict(zip(GROUP_COLS, key))), Side())
        usable = usable_cells(grp)
        # what the user pays: warm-up before the clock + wall (frames.warmup_and_paid)
        side.walls = {int(r): float(w) for r, w in zip(usable["repeat"], usable["paid_s"])}
        side.ideals = {int(r): float(ideals[c]) for r, c in zip(usable["repeat"],
                                                                 usable["cell_id"])
                       if c in ideals.index}
        side.ticked = bool((grp["mode"] == "spark").any())
        for name, column in (("loads", "load_external_cores"), ("own_cores", "load_own_cores")):
            if column in usable.columns:
                setattr(side, name, {int(r): float(x) for r, x in zip(
                    usable["repeat"], pd.to_numeric(usable[column], errors="coerce"))
                    if pd.notna(x)})
        side.trials_failed = int(pd.to_numeric(grp["trials_failed"]).fillna(0).sum())
    _add_trials(sides, trials)
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


def ratio_of(base_walls: list, new_walls: list, paired: bool = False) -> Estimate:
    """new / base median wall with the rank interval of the ratio: independent samples
    (Mann–Whitney) unless the two sides shared blocks (`paired`: the lists hold one wall
    per shared block, in the same order; Wilcoxon signed-rank)."""
    if paired:
        return paired_ratio_interval(new_walls, base_walls)
    return ratio_interval(new_walls, base_walls)


def wall_ratio(base: Side, new: Side, paired: bool = False) -> Estimate:
    """ratio_of two sides' walls; paired over the repeats both ran when they shared blocks."""
    if paired:
        reps = sorted(set(base.walls) & set(new.walls))
        return ratio_of([base.walls[r] for r in reps], [new.walls[r] for r in reps], True)
    return ratio_of(list(base.walls.values()), list(new.walls.values()))
