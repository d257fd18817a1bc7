"""The verdicts on one configuration (slower, faster, no significant change, indicative
only, unstable, not comparable) and the rule that gives them; also which per-trial part
(the objective or SparkTrials' fixed overhead) moved with the wall time, and whether the two
sides saw different load.

The rule (asv's, with an exact rank test): a change counts only when the rank interval of
the wall-time ratio new/base excludes 1 *and* the estimated change (the median over every
new/base pair of walls) exceeds the threshold. The interval is the Mann–Whitney one at
RANK_LEVEL (1% in each tail; Wilcoxon signed-rank for an A/B run's pairs). Where the walls
show no change (or are too few to judge), the same rule is applied to the objective's share
of them (each cell's ideal wall, measured inside the trials), whose change a spark cell's
1 s loop ticks and load-driven dispatch can hide (judge_objective says why it counts): for
two runs of unchanged code the chance of 'slower' is at most 1% for each of the two
tests, 2% per configuration, whatever the shape of the noise
(bench.analysis.ranks). With too few repeats for the test to ever reject (fewer than 5 per
side at that level) the verdict is indicative only."""
from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd

from ..analysis.ranks import can_judge, shift_seconds
from ..analysis.stability import Stability, classify, split_modes
from ..analysis.stats import Estimate
from ..formats import fmt_s
from .pairing import Side, ratio_of
from .threshold import Threshold

SLOWER, FASTER = "slower", "faster"
SAME = "no significant change"
INDICATIVE = "indicative only"
UNSTABLE = "unstable"
NOT_COMPARABLE = "not comparable"

#: With too few repeats for the rank test there is no measure of noise, so the gate fails
#: only beyond this ratio (or below its inverse). Why 2x: two draws from the same
#: distribution with +-20% repeat-to-repeat spread (what the sleep calibration shows on a
#: shared 2-core machine) can already be 1.2 / 0.8 = 1.5x apart; doubling is beyond that.
INDICATIVE_BOUND = 2.0

#: Two sides whose trials saw the machine's other processes keep this many more cores busy
#: saw clearly different load: half a core is what the diagnosis counts as a competing load
#: beside serial trials (contention_cores), so a change may be the machine's, not the code's.
LOAD_GAP_CORES = 0.5

#: Trials of one thread have no sibling thread to spin-wait for: no second regime to flip to.
_SINGLE_THREAD = 1


def not_comparable_reason(base: Side, new: Side) -> str | None:
    """Why a configuration's two sides cannot be compared, or None: a side with no complete
    cell, failed or unfinished cells, cells cut short, failed trials."""
    problems = []
    for name, side in (("base", base), ("new", new)):
        if side.n == 0:
            problems.append(f"{name}: no complete cell")
        if side.cells_failed:
            problems.append(f"{name}: {side.cells_failed} failed cell(s)")
        if side.cells_incomplete:
            problems.append(f"{name}: {side.cells_incomplete} incomplete cell(s) (fewer ok "
                            "trials than max_evals)")
        if side.cells_missing:
            problems.append(f"{name}: {side.cells_missing} planned cell(s) not run")
        if side.trials_failed:
            problems.append(f"{name}: {side.trials_failed} failed trial(s)")
    return "; ".join(problems) or None


def stability(base: Side, new: Side, paired: bool = False) -> Stability:
    """Two modes in either side's trials or repeats (analysis.stability); and, when there
    are too few repeats for the rank test, two modes between the runs' cells of a
    configuration whose trials run several threads (the spin-wait collapse flips between
    runs: one sample per side cannot tell that from a change)."""
    found = [replace(m, where=f"{name} {m.where}") for name, side in (("base", base), ("new", new))
             for m in classify(side.cells).modes]
    threads = max((s.threads for s in (base, new) if math.isfinite(s.threads)), default=0)
    if not found and not can_judge(base.n, new.n, paired) and threads > _SINGLE_THREAD:
        judged = [(pd.Series(j).median(), pd.Series(s).median())
                  for side in (base, new) for _, _, j, s in side.cells]
        m = split_modes([a for a, _ in judged], [b for _, b in judged], min_per_mode=1,
                        where="base and new runs", unit="cells")
        if m is not None:
            found.append(m)
    return Stability(found, len(base.cells) + len(new.cells))


def judge(base_walls, new_walls, threshold: Threshold,
          paired: bool = False) -> tuple[str, str, Estimate]:
    """(verdict, reason, ratio) from the walls alone: the rank interval at RANK_LEVEL must
    exclude 1 and the estimated change (the median over every new/base pair of walls, the
    ratio's value) exceed the threshold. Too few repeats for the test: indicative only,
    unless the change is beyond INDICATIVE_BOUND."""
    base_walls, new_walls = list(base_walls), list(new_walls)
    ratio = ratio_of(base_walls, new_walls, paired)
    exceeds = bool(base_walls and new_walls) and threshold.exceeded_by(
        ratio.value, shift_seconds(new_walls, base_walls))
    if not can_judge(len(base_walls), len(new_walls), paired):
        beyond = ratio.value >= INDICATIVE_BOUND or ratio.value <= 1 / INDICATIVE_BOUND
        if beyond and exceeds:
            return (SLOWER if ratio.value > 1 else FASTER), (
                f"too few repeats for the rank test, but beyond the {INDICATIVE_BOUND:g}x "
                "bound for single runs"), ratio
        return INDICATIVE, (f"too few repeats for the rank test (n={len(base_walls)}/"
                            f"{len(new_walls)}): fails only beyond {INDICATIVE_BOUND:g}x"), ratio
    if ratio.low > 1 or ratio.high < 1:
        if exceeds:
            return (SLOWER if ratio.low > 1 else FASTER), (
                f"interval excludes 1 and change exceeds {threshold}"), ratio
        return SAME, f"interval excludes 1 but change within {threshold}", ratio
    return SAME, "interval includes 1", ratio


def _values(base: Side, new: Side, paired: bool, what: str = "walls") -> tuple[list, list]:
    """Each side's values of `what` (walls, ideals: complete cells only, as run_sides keeps
    them); paired: one per block both sides ran, in block order."""
    b, n = getattr(base, what), getattr(new, what)
    if paired:
        reps = sorted(set(b) & set(n))
        return [b[r] for r in reps], [n[r] for r in reps]
    return list(b.values()), list(n.values())


def judge_objective(base: Side, new: Side, threshold: Threshold, paired: bool = False,
                    walls_alone: str = "") -> tuple[str, str] | None:
    """(verdict, reason) when the objective's own share of the wall moved beyond the
    threshold while the wall's noise hid it, else None.

    The share is each cell's ideal wall (its trials' objective time ÷ the slots they ran
    in): measured inside the trials, it carries none of SparkTrials' 1 s loop ticks or the
    load's effect on dispatch, which is what makes a spark cell's wall noisy. The change
    counts when the ideals' rank interval excludes 1 and their change exceeds the threshold:
    an objective that got slower is a regression even where stock SparkTrials' overhead
    dilutes it in the wall, because the cure (tuned, the pool) removes that overhead and
    leaves the user paying the objective's change in full. The reason gives the change it
    implies for this configuration's wall (the ideal's shift over the base's median wall)."""
    b_ideal, n_ideal = _values(base, new, paired, "ideals")
    b_wall = list(base.walls.values())
    if not can_judge(len(b_ideal), len(n_ideal), paired) or not b_wall:
        return None
    v, _, ideal = judge(b_ideal, n_ideal, threshold, paired)  # the one rule, on the ideals
    if v not in (SLOWER, FASTER):
        return None
    shift = (ideal.value - 1.0) * float(pd.Series(b_ideal).median())
    implied = 1.0 + shift / float(pd.Series(b_wall).median())
    return v, (
        f"the objective's share of the wall (ideal wall) moved {ideal.value:.3f}x "
        f"[{ideal.low:.3f}, {ideal.high:.3f}] (n={ideal.n}), beyond {threshold}; it implies "
        f"{implied:.2f}x on this configuration's wall, where SparkTrials' overhead dilutes it "
        f"(the walls alone: {walls_alone})")


def verdict(base: Side, new: Side, threshold: Threshold,
            paired: bool = False) -> tuple[str, str, Estimate, str | None]:
    """(verdict, reason, ratio, cause) for one configuration: not comparable first, then
    unstable (two modes: cannot judge at this n), then the rule on the walls (judge) and,
    where the walls show no change or are too few to judge, the same rule on the objective's
    share of them (judge_objective; cause 'objective' then, else None: attribute decides)."""
    b_walls, n_walls = _values(base, new, paired)
    v, reason, ratio = judge(b_walls, n_walls, threshold, paired)
    cause = None  # attribute() decides, unless the objective's share gave the verdict
    by_objective = (judge_objective(base, new, threshold, paired, reason)
                    if v in (SAME, INDICATIVE) else None)
    if by_objective:
        (v, reason), cause = by_objective, "objective"
    problem = not_comparable_reason(base, new)
    if problem:
        return NOT_COMPARABLE, problem, ratio, None
    modes = stability(base, new, paired)
    if modes.unstable:
        alone = f"; by the walls alone: {v}" if v in (SLOWER, FASTER) else ""
        return UNSTABLE, (f"unstable: cannot judge at n={base.n}/{new.n}: two modes, "
                          f"{modes.text()}{alone}"), ratio, None
    return v, reason, ratio, cause


def load_note(base: Side, new: Side) -> str:
    """'' unless the two sides saw clearly different load (LOAD_GAP_CORES)."""
    a, b = base.load_cores, new.load_cores
    if not (math.isfinite(a) and math.isfinite(b)) or abs(b - a) < LOAD_GAP_CORES:
        return ""
    return (f"the sides saw different load: other processes kept {a:.2f} -> {b:.2f} cores "
            "busy beside the trials; the change may be the machine's")


def attribute(base: Side, new: Side, wall_ratio_value: float,
              cause: str | None = None) -> tuple[str | None, str]:
    """Which per-trial part moved with the wall time: the objective's own time or
    SparkTrials' fixed cost per trial (dispatch wait with a free slot + worker start and
    imports + return). The part with the larger change in the wall's direction is the cause,
    unless the verdict already named it (`cause`: the objective's share gave it)."""
    parts = []
    d_obj = new.objective_s - base.objective_s
    d_fix = new.fixed_s - base.fixed_s
    if math.isfinite(d_obj) and base.objective_s > 0:
        parts.append(("objective", d_obj, f"objective {new.objective_s / base.objective_s:.2f}x "
                      f"({fmt_s(base.objective_s)} -> {fmt_s(new.objective_s)} s/trial)"))
    if math.isfinite(d_fix):
        parts.append(("overhead", d_fix, f"SparkTrials overhead {d_fix:+.2f} s per trial "
                      f"({fmt_s(base.fixed_s)} -> {fmt_s(new.fixed_s)} s)"))
    if not parts or not math.isfinite(wall_ratio_value):
        return None, ""
    sign = 1 if wall_ratio_value >= 1 else -1
    moving = [p for p in parts if p[1] * sign > 0]
    ordered = sorted(parts, key=lambda p: -abs(p[1]))
    text = "; ".join(p[2] for p in ordered)
    if cause:
        return cause, text
    if not moving:
        return "other", text + "; neither part moved with the wall time (search or queueing)"
    cause = max(moving, key=lambda p: abs(p[1]))
    return cause[0], text
