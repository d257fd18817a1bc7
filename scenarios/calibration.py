"""Calibration: the deterministic sleep workload with a known number of busy threads.

Use it to check the harness on a new machine or cluster: objective times should equal
`seconds`, effective cores should equal min(threads, cores), and anything above that per
trial is SparkTrials' own overhead. n_jobs is the number of busy threads (0 = as many as
OMP_NUM_THREADS says, like an OpenMP library's default).
"""

SCENARIO = {
    "name": "calibration",
    "description": "Sleep/busy-thread objective of known length: measures pure SparkTrials overhead.",
    "workloads": ["sleep"],
    "sleep": {"seconds": 0.3, "threads": 1},
    "max_evals": 4,
    "modes": ["serial", "spark"],
    "parallelism": [1, 2],
    "max_queue_len": ["parallelism"],
    "n_jobs": [1, 2],
    "repeats": 1,
    "algo": "rand",
    # timing comparison: every mode evaluates the same pre-drawn points in the same order, so
    # a difference in time is the mode's, not the search path's ("search" lets the algo pick)
    "points": "shared",
    "seed": 0,
    "profiles": {
        "quick": {},
        "full": {"n_jobs": [0, 1, 2], "max_evals": 16, "parallelism": [1, 2, 4],
                 "max_queue_len": [1, "parallelism"], "repeats": 3},
    },
}
