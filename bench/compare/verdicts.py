"""The verdicts on one configuration (slower, faster, no significant change, indicative
only, not comparable) and asv's rule that gives them: a change counts only when the bootstrap
interval of the wall-time ratio excludes 1 *and* the change exceeds the threshold. Also which
per-trial part (the objective or SparkTrials' fixed overhead) moved with the wall time."""
from __future__ import annotations

import math

import pandas as pd

from ..analysis.stats import Estimate
from ..formats import fmt_s
from .pairing import Side
from .threshold import Threshold

SLOWER, FASTER = "slower", "faster"
SAME = "no significant change"
INDICATIVE = "indicative only"
NOT_COMPARABLE = "not comparable"

#: With one repeat per side there is no measure of noise, so a single pair only fails a
#: gate beyond this ratio (or below its inverse). Why 2x: two draws from the same
#: distribution with +-20% repeat-to-repeat spread (what the sleep calibration shows on a
#: shared 2-core machine) can already be 1.2 / 0.8 = 1.5x apart; doubling is beyond that.
INDICATIVE_BOUND = 2.0


def _not_comparable_reason(base: Side, new: Side) -> str | None:
    problems = []
    for name, side in (("base", base), ("new", new)):
        if side.n == 0:
            problems.append(f"{name}: no finished cell")
        if side.cells_failed:
            problems.append(f"{name}: {side.cells_failed} failed cell(s)")
        if side.cells_missing:
            problems.append(f"{name}: {side.cells_missing} planned cell(s) not run")
        if side.trials_failed:
            problems.append(f"{name}: {side.trials_failed} failed trial(s)")
    return "; ".join(problems) or None


def verdict(ratio: Estimate, base: Side, new: Side, threshold: Threshold) -> tuple[str, str]:
    """(verdict, reason) by asv's rule; one repeat per side is indicative only unless the
    change is beyond INDICATIVE_BOUND."""
    problem = _not_comparable_reason(base, new)
    if problem:
        return NOT_COMPARABLE, problem
    b, n = float(pd.Series(list(base.walls.values())).median()), \
        float(pd.Series(list(new.walls.values())).median())
    exceeds = threshold.exceeded(b, n)
    direction = SLOWER if ratio.value > 1 else FASTER
    if min(base.n, new.n) < 2:
        beyond = ratio.value >= INDICATIVE_BOUND or ratio.value <= 1 / INDICATIVE_BOUND
        if beyond and exceeds:
            return direction, (f"one repeat per side, but beyond the {INDICATIVE_BOUND:g}x "
                               "bound for single runs")
        return INDICATIVE, (f"one repeat per side: no interval; fails only beyond "
                            f"{INDICATIVE_BOUND:g}x (run repeats >= 2, 5 recommended)")
    excludes_one = ratio.low > 1 or ratio.high < 1
    if excludes_one and exceeds:
        return direction, f"interval excludes 1 and change exceeds {threshold}"
    if not excludes_one:
        return SAME, "interval includes 1"
    return SAME, f"interval excludes 1 but change within {threshold}"


def attribute(base: Side, new: Side, wall_ratio_value: float) -> tuple[str | None, str]:
    """Which per-trial part moved with the wall time: the objective's own time or
    SparkTrials' fixed cost per trial (dispatch wait with a free slot + worker start and
    imports + return). The part with the larger change in the wall's direction is the cause."""
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
    if not moving:
        return "other", text + "; neither part moved with the wall time (search or queueing)"
    cause = max(moving, key=lambda p: abs(p[1]))
    return cause[0], text
