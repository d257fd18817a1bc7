"""An A/B run compared with itself: side A is the base, side B the candidate, and every twin
is paired by the block (repeat) both ran in, the case where "paired" is true. A pair whose
two cells saw clearly different load from other processes (LOAD_GAP_CORES apart) is left out
of the verdict and counted; with too few pairs left the verdict says it could not judge."""
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
    dropped: tuple       # repeats whose twins' load differed by LOAD_GAP_CORES or more
    unknown: int         # pairs without a load figure on either side (kept)

    def note(self) -> str:
        parts = []
        if self.dropped:
            blocks = ", ".join(map(str, self.dropped))
            parts.append(f"{len(self.dropped)} of {len(self.kept) + len(self.dropped)} pairs "
                         f"left out: their twins' load from other processes differed by "
                         f">= {LOAD_GAP_CORES:g} cores (blocks {blocks})")
        if self.unknown:
            parts.append(f"load not recorded for {self.unknown} pair(s)")
        return "; ".join(parts)


def load_check(a: Side, b: Side, bound: float = LOAD_GAP_CORES) -> LoadCheck:
    """Pure: which shared blocks to keep, from each twin's load_external_cores."""
    kept, dropped, unknown = [], [], 0
    for rep in sorted(set(a.walls) & set(b.walls)):
        x, y = a.loads.get(rep), b.loads.get(rep)
        if x is None or y is None or not (math.isfinite(x) and math.isfinite(y)):
            unknown += 1
            kept.append(rep)
        elif abs(x - y) >= bound:
            dropped.append(rep)
        else:
            kept.append(rep)
    return LoadCheck(tuple(kept), tuple(dropped), unknown)


def _keep(side: Side, repeats) -> Side:
    return replace(side, walls={r: side.walls[r] for r in repeats})


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
        check = checks[key] = load_check(sides_a[key], sides_b[key])
        sides_a[key], sides_b[key] = _keep(sides_a[key], check.kept), _keep(sides_b[key],
                                                                            check.kept)
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
