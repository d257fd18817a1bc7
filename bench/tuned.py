"""TunedSparkTrials: SparkTrials with every measured fixed cost removed, for notebooks.

    from bench.tuned import TunedSparkTrials
    trials = TunedSparkTrials(parallelism=4)          # same constructor as SparkTrials
    best = fmin(objective, space, algo=tpe.suggest, max_evals=64, trials=trials)

This is a MODIFICATION of hyperopt's behaviour for the duration of each fmin call (see
bench.variants, variant "tuned"):

- max_queue_len is raised to the parallelism when you left it at its default of 1 (the
  public knob: pass ``max_queue_len=parallelism`` to fmin with stock SparkTrials to get
  this part alone);
- each trial's Spark task drains its input so PySpark reuses the Python worker (no fresh
  interpreter and imports per trial; needs ``spark.python.worker.reuse=true``, the default);
- fmin's result poll and the dispatcher's sleep go from 1 s to 0.02 s (FAST_POLL_S).

Results, trial documents and cancellation behave as with SparkTrials. The patch is undone
when fmin returns or raises. The installed hyperopt is checked first: an unknown code shape
raises BenchError instead of silently running stock SparkTrials. Tested with hyperopt
0.2.7 and 0.3.0 (see TESTED_HYPEROPT_VERSIONS) on PySpark 4.

The task function is shipped by value, so executors need hyperopt (as for SparkTrials) but
not this package.
"""
from __future__ import annotations

from .variants import FAST_POLL_S, TESTED_HYPEROPT_VERSIONS, variant_spark_trials_class


def _make():
    base = variant_spark_trials_class()

    class TunedSparkTrials(base):
        """SparkTrials with queue = parallelism, Python worker reuse and 0.02 s polling
        (a modification of hyperopt; see bench.tuned)."""

        def __init__(self, parallelism=None, timeout=None, loss_threshold=None,
                     spark_session=None, **kwargs):
            super().__init__(parallelism=parallelism, timeout=timeout,
                             loss_threshold=loss_threshold, spark_session=spark_session,
                             variant="tuned", **kwargs)

    return TunedSparkTrials


def __getattr__(name):  # built on first use, so importing bench needs no pyspark
    if name == "TunedSparkTrials":
        cls = _make()
        globals()["TunedSparkTrials"] = cls
        return cls
    raise AttributeError(name)


__all__ = ["TunedSparkTrials", "TESTED_HYPEROPT_VERSIONS", "FAST_POLL_S"]
