"""The sizing rule: which shape to buy, and where more slots stop paying.

- recommended: the smallest shape (fewest executor cores, then cheapest per trial) whose
  predicted wall is within 10% of the best predicted wall;
- knee: the parallelism (trials that can run at once: min(parallelism, task slots)) beyond
  which the next step up buys less than 5% of wall time.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .predict import Prediction

WITHIN_BEST = 0.10
KNEE_GAIN = 0.05


@dataclass(frozen=True)
class Recommendation:
    best: Prediction
    recommended: Prediction
    knee_parallelism: Optional[int]      # None: every step still buys >= 5%
    knee: Optional[Prediction]

    def to_dict(self) -> dict:
        return {"best": self.best.to_dict(), "recommended": self.recommended.to_dict(),
                "knee_parallelism": self.knee_parallelism,
                "knee": self.knee.to_dict() if self.knee else None,
                "rule": (f"smallest shape within {WITHIN_BEST:.0%} of the best wall; knee = "
                         f"the parallelism beyond which more slots buy < {KNEE_GAIN:.0%}")}

    def sentence(self) -> str:
        r, b = self.recommended, self.best
        text = (f"{r.key.text()}: take {r.shape.name()} "
                f"({r.shape.total_cores} cores): {r.wall_s:.0f} s predicted, "
                f"{r.core_s_per_trial:.1f} core-s per trial "
                f"(best {b.wall_s:.0f} s on {b.shape.name()})")
        if self.knee_parallelism is None:
            return text + "; every larger shape tried still buys >= 5%"
        return text + (f"; beyond parallelism {self.knee_parallelism} more slots buy < "
                       f"{KNEE_GAIN:.0%}")


def usable(pred: Prediction) -> int:
    return min(pred.shape.p, pred.shape.slots)


def recommend(preds: list[Prediction]) -> Recommendation:
    """The rule above over the predictions of one objective (any set of shapes)."""
    if not preds:
        raise ValueError("no predictions to recommend from")
    best = min(preds, key=lambda p: p.wall_s)
    near = [p for p in preds if p.wall_s <= best.wall_s * (1 + WITHIN_BEST)]
    rec = min(near, key=lambda p: (p.shape.total_cores, p.core_s_per_trial, p.shape.slots,
                                   p.shape.p))
    # best wall at each level of usable parallelism, then the first step that buys < 5%
    levels: dict[int, Prediction] = {}
    for p in preds:
        u = usable(p)
        if u not in levels or p.wall_s < levels[u].wall_s:
            levels[u] = p
    order = sorted(levels)
    knee = None
    for lo, hi in zip(order, order[1:]):
        w_lo, w_hi = levels[lo].wall_s, levels[hi].wall_s
        if w_lo <= 0 or (w_lo - w_hi) / w_lo < KNEE_GAIN:
            knee = lo
            break
    return Recommendation(best=best, recommended=rec, knee_parallelism=knee,
                          knee=levels[knee] if knee is not None else None)
