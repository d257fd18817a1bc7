"""Side B of an A/B check: scenarios/ab_sleep.py (which says how to run both sides and why
its numbers are what they are) with the objective 25% longer (2.5 s)."""

import copy

from ab_sleep import SCENARIO as SIDE_A  # the scenario next to this file

SCENARIO = copy.deepcopy(SIDE_A)
SCENARIO["sleep"] = {**SIDE_A["sleep"], "seconds": 2.5}
SCENARIO["description"] = "Side B of the A/B check: ab_sleep with a 25% longer objective (2.5 s)."
