"""Overhead: where each SparkTrials cost stops mattering, and what removing it gives.

The deterministic sleep workload at several trial lengths (the sleep length is a grid axis:
one workload per length, 'sleep_0.2s'), each length run serially, in a local process pool
(the practical ideal) and under SparkTrials as installed ('stock') and with each measured
cost removed: 'queue' (max_queue_len = parallelism, a public knob), and — MODIFIED
hyperopt, applied for the cell only — 'reuse' (Python worker reuse), 'fastpoll' (20 ms
polling instead of 1 s) and 'tuned' (all three). Every mode evaluates the same pre-drawn
points. The report's "cure" section plots wall ÷ ideal per trial length for each line and
tabulates the per-trial cost each variant removes.
"""

SCENARIO = {
    "name": "overhead",
    "description": "Sleep trials of 0.05-5 s: stock SparkTrials, each variant (queue; reuse, "
                   "fastpoll, tuned = modified hyperopt), process pool, serial and the ideal.",
    "workloads": ["sleep"],
    "sleep": {"seconds": [0.05, 0.2, 1, 5], "threads": 0},
    "max_evals": 16,
    "modes": ["serial", "spark", "pool"],
    "parallelism": [1, 2],
    "max_queue_len": [1],
    "variants": ["stock", "queue", "reuse", "fastpoll", "tuned"],
    "points": "shared",
    "n_jobs": [None],
    "repeats": 1,
    "algo": "rand",
    "seed": 0,
    "profiles": {
        # a few minutes on 2 cores: the three shorter lengths at parallelism 2
        "quick": {"sleep": {"seconds": [0.05, 0.2, 1]}, "parallelism": [2], "max_evals": 8},
        "full": {"repeats": 3},
    },
}
