"""Break-even: the objective length at which stock SparkTrials catches up with serial Trials.

Sleep trials of several lengths around the crossover (one workload per length), each run
serially and under stock SparkTrials at parallelism 2 on local Spark, every mode on the
same pre-drawn points. `bench predict RUN --validate` finds where the measured spark wall
crosses the serial one (interpolated between the two lengths that bracket it, per
parallelism, queue and evaluations) and compares the model's break-even with it: a
reference that does not move with where one run's trials happened to end between the
dispatcher's 1 s wake-ups, as a single-length estimate does. About 10-12 minutes on 2 cores
(the crossover moved from 1.5-2 s on a quiet machine to 3-8 s under heavy load here, so the
lengths reach 6 s).
"""

SCENARIO = {
    "name": "break_even",
    "description": "Sleep trials of 0.5-6 s, serial and stock SparkTrials p=2: the measured "
                   "crossover predict --validate checks the model's break-even against.",
    "workloads": ["sleep"],
    "sleep": {"seconds": [0.5, 1, 2, 3, 4.5, 6], "threads": 0},
    "max_evals": 8,
    "modes": ["serial", "spark"],
    "parallelism": [2],
    "max_queue_len": [1],
    "variants": ["stock"],
    "points": "shared",
    "n_jobs": [None],
    "repeats": 2,
    "algo": "rand",
    "seed": 3,
    "profiles": {
        "quick": {},
        "full": {"repeats": 5, "max_evals": 16},
    },
}
