"""Regression gate: the calibration objective with enough repeats for compare's interval.

Five repeats of serial and SparkTrials (parallelism 2, queue 2) on a sleep objective of
known length: `python -m bench compare` can then declare a change only when the bootstrap
interval over repeats excludes 1 and the change exceeds the threshold. Used by
docs/ci/regression-gate.sh.
"""

SCENARIO = {
    "name": "regression_gate",
    "description": "Sleep objective, serial and SparkTrials p=2, five repeats: a CI gate.",
    "workloads": ["sleep"],
    "sleep": {"seconds": 0.3, "threads": 1},
    "max_evals": 4,
    "modes": ["serial", "spark"],
    "parallelism": [2],
    "max_queue_len": ["parallelism"],
    "n_jobs": [1],
    "repeats": 5,
    "algo": "rand",
    "seed": 0,
    "profiles": {"quick": {}, "full": {"max_evals": 8}},
}
