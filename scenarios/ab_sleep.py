"""A/B check on a sleep objective: serial and SparkTrials p=2 cells of a 2 s sleep.

Run both sides in one run with `python -m bench run scenarios/ab_sleep.py --ab
current,current` (the same code on both sides) or `--ab current,scenarios/ab_sleep_slower.py`
(side B's objective 25% longer), then `python -m bench compare RESULTS_FOLDER`. The sleep
keeps no core busy, so a busier machine moves only SparkTrials' and hyperopt's own overhead;
a +25% objective is about +20% of a spark cell's wall, above fmin's 1 s loop ticks. Ten
repeats: enough pairs for the paired rank test (7 at least) when a few are left out for
differing load.
"""

SCENARIO = {
    "name": "ab_sleep",
    "description": "2 s sleep objective, serial and SparkTrials p=2, for A/B runs.",
    "workloads": ["sleep"],
    "sleep": {"seconds": 2.0, "threads": 0},
    "max_evals": 2,
    "modes": ["serial", "spark"],
    "parallelism": [2],
    "max_queue_len": ["parallelism"],
    "n_jobs": [None],
    "repeats": 10,
    "algo": "rand",
    "seed": 0,
    "profiles": {"quick": {}, "full": {"max_evals": 4, "repeats": 16}},
}
