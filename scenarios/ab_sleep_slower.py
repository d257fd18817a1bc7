"""Side B of an A/B check: scenarios/ab_sleep.py with the objective 25% longer (2.5 s).

Run both sides in one run with `python -m bench run scenarios/ab_sleep.py --ab
current,current` (the same code on both sides) or `--ab current,scenarios/ab_sleep_slower.py`
(side B's objective 25% longer), then `python -m bench compare RESULTS_FOLDER`. The sleep
keeps no core busy, so a busier machine moves only SparkTrials' and hyperopt's own overhead.
Four evaluations: a spark cell runs two rounds of two trials, so a +25% objective adds 1 s to
its wall (about +15%), one of fmin's 1 s loop ticks (with two evaluations the +0.5 s fell
inside a tick and was not seen). Ten
repeats: enough pairs for the paired rank test (7 at least) when a few are left out for
differing load.
"""

import copy

from ab_sleep import SCENARIO as SIDE_A  # the scenario next to this file

SCENARIO = copy.deepcopy(SIDE_A)
SCENARIO["sleep"] = {**SIDE_A["sleep"], "seconds": 2.5}
SCENARIO["description"] = "Side B of the A/B check: ab_sleep with a 25% longer objective (2.5 s)."
