"""An A/B run compared with itself: side A is the base, side B the candidate, and every twin
is paired by the block (repeat) both ran in, the case where "paired" is true. A pair whose
two cells saw clearly different load from other processes (LOAD_GAP_CORES apart, as the
cells could feel it: load_gap) is left out of the verdict and counted; with too few pairs
left the verdict says it could not judge."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..analysis import RunData, load_run
from ..analysis.ranks import can_judge
from ..analysis.sides import side_of
from ..errors import BenchError
from ..keys import CONFIG
from .comparison import Comparison, compare_runs
from .pairing import Side, run_sides
from .threshold import DEFAULT_THRESHOLD, Threshold
from .verdicts import INDICATIVE, LOAD_GAP_CORES


@dataclass(frozen=True)
class LoadCheck:
    """How the pairs of one configuration stood on load."""

    kept: tuple          # repeats whose twins saw comparable load (or unknown load)
    dropped: tuple       # repeats whose twins' load_gap was LOAD_GAP_CORES or more
    unknown: int         # pairs without a load figure on either side (kept)
    ticked: bool = True  # the gap counted whole (SparkTrials' loops), else by CPU share

    def note(self) -> str:
        parts = []
        if self.dropped:
            blocks = ", ".join(map(str, self.dropped))
            felt = "" if self.ticked else ", times the share of their time on a core,"
            parts.append(f"{len(self.dropped)} of {len(self.kept) + len(self.dropped)} pairs "
                         f"left out: their twins' load from other processes differed{felt} by "
                         f">= {LOAD_GAP_CORES:g} cores (blocks {blocks})")
        if self.unknown:
            parts.append(f"load not recorded for {self.unknown} pair(s)")
        return "; ".join(parts)


def load_gap(external_a: float, external_b: float, own_a: float | None,
             own_b: float | None, ticked: bool) -> float:
    """The load difference between two twins as the cells could feel it, in cores.

    Processor sharing (the model bench.predict.simulate runs on): another process's load
    stretches only the part of a cell's time its threads spend on a core, so a cell that
    kept `own` cores busy feels at most min(1, own) of the difference (a sleeping objective
    feels almost none of it). Walls that move in whole ticks of SparkTrials' 1 s loops
    (`ticked`) feel all of it: a few milliseconds' scheduling delay can move a trial's end
    past a tick, whatever the cell's own CPU share. Own use unknown: all of it."""
    gap = abs(external_a - external_b)
    if ticked or own_a is None or own_b is None:
        return gap
    return gap * min(1.0, max(own_a, own_b))


def load_check(a: Side, b: Side, bound: float = LOAD_GAP_CORES) -> LoadCheck:
    """Pure: which shared blocks to keep, from each twin's load_external_cores (and, for
    walls without SparkTrials' ticks, the cores its own tree kept busy): load_gap."""
    kept, dropped, unknown = [], [], 0
    ticked = a.ticked or b.ticked
    for rep in sorted(set(a.walls) & set(b.walls)):
        x, y = a.loads.get(rep), b.loads.get(rep)
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            unknown += 1
            kept.append(rep)
        elif load_gap(x, y, a.own_cores.get(rep), b.own_cores.get(rep), ticked) >= bound:
            dropped.append(rep)
        else:
            kept.append(rep)
    return LoadCheck(tuple(kept), tuple(dropped), unknown, ticked)


def _keep(side: Side, walls, ideals) -> Side:
    return replace(side, walls={r: side.walls[r] for r in walls},
                   ideals={r: side.ideals[r] for r in ideals if r in side.ideals})


def compare_ab(run: RunData, threshold: Threshold | str = DEFAULT_THRESHOLD, *,
               allow_incomparable: bool = False, fail_on_unstable: bool = False) -> Comparison:
    """Pure: an A/B run -> A (base) against B (new), paired by block, load-discounted."""
    if not run.manifest.ab_sides:
        raise BenchError(f"{run.path}: not an A/B run (run it with --ab A,B); to compare two "
                         "runs give both folders")
    base, new = side_of(run, "A"), side_of(run, "B")
    sides_a, sides_b = run_sides(base), run_sides(new)
    checks = {}
    for key in set(sides_a) & set(sides_b):
        a, b = sides_a[key], sides_b[key]
        check = checks[key] = load_check(a, b)
        # the ideal walls are measured inside the trials: no ticks, whatever the mode
        inside = load_check(replace(a, walls=a.ideals, ticked=False),
                            replace(b, walls=b.ideals, ticked=False))
        sides_a[key], sides_b[key] = (_keep(a, check.kept, inside.kept),
                                      _keep(b, check.kept, inside.kept))
    result = compare_runs(base, new, threshold, paired=True, sides=(sides_a, sides_b),
                          allow_incomparable=allow_incomparable,
                          fail_on_unstable=fail_on_unstable)
    for row in result.rows:
        check = checks[tuple(row.settings[c] for c in CONFIG)]
        row.load_note = check.note()
        if check.dropped and row.verdict == INDICATIVE and not can_judge(
                len(check.kept), paired=True):
            row.reason = (f"could not judge: {len(check.kept)} pair(s) of comparable load left, "
                          f"too few for the rank test ({row.reason})")
    return result


def compare_ab_folder(path, threshold: Threshold | str = DEFAULT_THRESHOLD, **kwargs
                      ) -> Comparison:
    return compare_ab(load_run(path), threshold, **kwargs)
