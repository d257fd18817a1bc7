"""Regression gate: the calibration objective with enough repeats for compare's rank test.

24 repeats of serial and SparkTrials (parallelism 2, queue 2) on a sleep objective of known
length: `python -m bench compare` declares a change only when the rank interval of the wall
ratio excludes 1 and the change exceeds the threshold. At 24 repeats per side an unchanged
configuration is called slower at most 1% of the time and a +25% wall change is detected at
least 90% of the time, under uniform +-20% noise and under every spread measured on the
calibration scenario (tests/test_gate_false_alarms.py; the README gives the numbers). Used
by docs/ci/regression-gate.sh.
"""

SCENARIO = {
    "name": "regression_gate",
    "description": "Sleep objective, serial and SparkTrials p=2, 24 repeats: a CI gate.",
    "workloads": ["sleep"],
    "sleep": {"seconds": 0.3, "threads": 1},
    "max_evals": 4,
    "modes": ["serial", "spark"],
    "parallelism": [2],
    "max_queue_len": ["parallelism"],
    "n_jobs": [1],
    "repeats": 24,
    "algo": "rand",
    "seed": 0,
    "profiles": {"quick": {}, "full": {"max_evals": 8}},
}
