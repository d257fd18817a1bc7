"""A/B check on a sleep objective: serial and SparkTrials p=2 cells of a 2 s sleep.

Run both sides in one run with `python -m bench run scenarios/ab_sleep.py --ab
current,current` (the same code on both sides) or `--ab current,scenarios/ab_sleep_slower.py`
(side B's objective 25% longer), then `python -m bench compare RESULTS_FOLDER`. The sleep
keeps no core busy, so a busier machine moves only SparkTrials' and hyperopt's own overhead.
Four evaluations: a spark cell runs two rounds of two trials, so a +25% objective adds 1 s to
its ideal wall (objective time ÷ slots: 4 s -> 5 s), which stock SparkTrials' overhead
dilutes to about +10% of the wall (with two evaluations the +0.5 s fell inside a 1 s loop
tick); compare judges the ideal wall too where the wall's noise hides the change. Ten
repeats: enough pairs for the paired rank test (7 at least) when a few are left out for
differing load.
"""

SCENARIO = {
    "name": "ab_sleep",
    "description": "2 s sleep objective, serial and SparkTrials p=2, for A/B runs.",
    "workloads": ["sleep"],
    "sleep": {"seconds": 2.0, "threads": 0},
    "max_evals": 4,
    "modes": ["serial", "spark"],
    "parallelism": [2],
    "max_queue_len": ["parallelism"],
    "n_jobs": [None],
    "repeats": 10,
    "algo": "rand",
    "seed": 0,
    "profiles": {"quick": {}, "full": {"max_evals": 8, "repeats": 16}},
}
