"""Shared points: every mode evaluates the same pre-drawn sequence of points, in order.

With ``"points": "shared"`` in a scenario, each cell's points are drawn up front from the
search space (hyperopt's random sampler, seeded with the scenario seed + repeat) and fed to
fmin through `Replay`, a hyperopt ``algo`` that hands them out in suggestion order. Serial
Trials, SparkTrials (any variant) and the process pool then time exactly the same work, so
a difference in wall time is the mode's, not the search's: TPE would otherwise choose
different (and differently expensive) points depending on the order results came back.

The search algorithm is not used while points are shared (no search quality to compare);
use the default ``"points": "search"`` when the search itself is the subject.
"""
from __future__ import annotations

import numpy as np

POINTS_OPTIONS = ("search", "shared")


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def draw(space, n: int, seed: int) -> list[dict]:
    """n points as hyperopt vals ({label: [value]} , [] for an inactive conditional label)."""
    from hyperopt import Trials, rand
    from hyperopt.base import Domain

    domain = Domain(lambda _: 0.0, space)
    docs = rand.suggest(list(range(n)), domain, Trials(), seed)
    return [{k: [_plain(x) for x in v] for k, v in d["misc"]["vals"].items()} for d in docs]


class Replay:
    """A hyperopt algo that returns the pre-drawn points one after another; none when used up
    (fmin then stops). One instance per fmin call."""

    suggests_several = True  # any number of new ids per call (bench.algorithms)

    def __init__(self, points: list[dict]):
        self.points = list(points)
        self.served = 0

    def __call__(self, new_ids, domain, trials, seed, *args, **kwargs):
        docs = []
        for tid in new_ids:
            if self.served >= len(self.points):
                break
            vals = self.points[self.served]
            self.served += 1
            misc = {"tid": tid, "cmd": domain.cmd, "workdir": domain.workdir,
                    "idxs": {k: ([tid] if v else []) for k, v in vals.items()},
                    "vals": {k: list(v) for k, v in vals.items()}}
            docs.extend(trials.new_trial_docs([tid], [None], [domain.new_result()], [misc]))
        return docs


def space_point(vals: dict) -> dict:
    """hyperopt vals flattened to {label: value} (what space_eval takes)."""
    return {k: v[0] for k, v in vals.items() if v}
