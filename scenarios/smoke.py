"""Smoke scenario: the whole pipeline in well under a minute (used by the tests)."""

SCENARIO = {
    "name": "smoke",
    "description": "Tiny grid over sleep and RandomForest in both modes: checks the machinery.",
    "workloads": ["sleep", "rf"],
    "data": {"rows": 400, "features": 8},
    "sleep": {"seconds": 0.2, "threads": 1},
    "max_evals": 4,
    "modes": ["serial", "spark"],
    "parallelism": [2],
    "max_queue_len": ["parallelism"],
    "n_jobs": [None],
    "repeats": 1,
    "algo": "tpe",
    # timing comparison: every mode evaluates the same pre-drawn points in the same order, so
    # a difference in time is the mode's, not the search path's ("search" lets the algo pick)
    "points": "shared",
    "seed": 0,
    "profiles": {
        "quick": {},
        "full": {"parallelism": [1, 2], "max_queue_len": [1, "parallelism"], "repeats": 2},
    },
}
