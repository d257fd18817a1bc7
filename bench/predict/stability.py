"""Whether a configuration's repeats agree well enough for one median to judge a model by.

A configuration whose repeats land far apart (the spin-wait collapse hits one fmin call and
spares the next: 12 s and 19 s for the same settings) has no single wall a prediction can be
right about; such configurations are judged by whether their measured median falls inside
the predicted interval, not by the error of one median.
"""
from __future__ import annotations

import numpy as np

#: Repeats of one configuration whose slowest is more than this many times its fastest.
UNSTABLE_RATIO = 1.5
STABLE, UNSTABLE, SINGLE = "stable", "unstable", "single"


def classify(walls) -> str:
    """'unstable' when the repeats' slowest wall exceeds UNSTABLE_RATIO x the fastest,
    'single' with fewer than two finite walls (nothing to tell), else 'stable'."""
    w = np.asarray(walls, float)
    w = w[np.isfinite(w) & (w > 0)]
    if len(w) < 2:
        return SINGLE
    return UNSTABLE if w.max() > UNSTABLE_RATIO * w.min() else STABLE
