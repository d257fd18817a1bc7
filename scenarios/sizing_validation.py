"""Sizing validation: repeated runs that `bench predict --validate` can check itself on.

`predict --validate` calibrates its model on some repeats and predicts a held-out repeat's
configuration (out of sample: with shared points, each repeat draws its own parameter sets
from seed + repeat, so the held-out repeat's objective times were never seen). A 30% bound
needs more than one repeat per configuration: three here, each configuration at two
concurrency levels on a one-executor, two-core standalone cluster (parallelism 1: one trial
at a time; parallelism 2: two trials sharing the executor's cores).

The workloads are the spin-wait class (LightGBM with 2 OpenMP threads per trial and the
default wait policy: at parallelism 2, 2 x 2 threads on 2 cores, busy-waiting threads
collapse the objective), the same model with 1 thread per trial (demand = cores, no
collapse) and a random forest (one thread). About 4 minutes on a quiet 2-core machine,
11 on a busy one.
"""

SCENARIO = {
    "name": "sizing_validation",
    "description": "LightGBM (2 and 1 threads) and RF at parallelism 1 and 2 on a 1x2 "
                   "standalone cluster, 3 repeats, shared points: predict --validate's data.",
    "workloads": [
        {"name": "lgbm", "n_jobs": [2, 1], "data": {"rows": 3750, "features": 20}},
        {"name": "rf", "n_jobs": [None], "data": {"rows": 1000, "features": 20}},
    ],
    "clusters": ["1x2"],
    "max_evals": 6,
    "modes": ["serial", "spark"],
    "parallelism": [1, 2],
    "max_queue_len": ["parallelism"],
    "points": "shared",
    "repeats": 3,
    "algo": "rand",
    "seed": 11,
    "profiles": {
        "quick": {},
        "full": {"max_evals": 12},
    },
}
