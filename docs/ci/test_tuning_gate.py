"""A team's tuning benchmark for the pytest-benchmark gate (docs/ci/regression-gate.sh).

The fixture comes with sparktrials-bench (pytest11 entry point): serial baseline once, then
`rounds` timed SparkTrials fmin calls; speedup vs serial, fixed overhead per trial and
objective time land in the saved benchmark's extra_info.
"""


def test_tuning_overhead(sparktrials_cell):
    sparktrials_cell(workload="rf", parallelism=2, max_evals=8)
