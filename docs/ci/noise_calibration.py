"""The calibration scenario (scenarios/calibration.py, quick profile) with 14 repeats (about
15 minutes on a busy 2-core machine): how much an unchanged configuration's fmin wall moves
from one repeat to the next on this machine. The regression gate's rule and repeats were chosen against this spread (and against
independent uniform +-20% noise); `python docs/ci/noise_model.py RESULTS` turns a run of it
into the noise model tests/test_gate_false_alarms.py draws from.

    python -m bench run docs/ci/noise_calibration.py --results-dir results/noise
"""

SCENARIO = {
    "name": "noise_calibration",
    "description": "Calibration sleep cells, 14 repeats: repeat-to-repeat spread of fmin walls.",
    "workloads": ["sleep"],
    "sleep": {"seconds": 0.3, "threads": 1},
    "max_evals": 4,
    "modes": ["serial", "spark"],
    "parallelism": [1, 2],
    "max_queue_len": ["parallelism"],
    "n_jobs": [1, 2],
    "repeats": 14,
    "algo": "rand",
    "points": "shared",
    "seed": 0,
    "profiles": {"quick": {}, "full": {}},
}
