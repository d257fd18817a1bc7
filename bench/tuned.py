"""TunedSparkTrials: SparkTrials with every measured fixed cost removed, for notebooks.

    from bench.tuned import TunedSparkTrials
    trials = TunedSparkTrials(parallelism=4)          # same constructor as SparkTrials
    best = fmin(objective, space, algo=tpe.suggest, max_evals=64, trials=trials)

This is a MODIFICATION of hyperopt's behaviour for the duration of each fmin call (see
bench.variants, variant "tuned"):

- max_queue_len is raised to the parallelism when the algorithm takes several points per
  call (tpe, rand, atpe, mix of those; see bench.algorithms) — never for anneal.suggest,
  which takes one. The public knob alone: ``fmin(..., max_queue_len=parallelism)`` with
  stock SparkTrials;
- with ``reuse_workers=True`` (default) each trial's Spark task drains its input so PySpark
  reuses the Python worker (no fresh interpreter and imports per trial; needs
  ``spark.python.worker.reuse=true``, the default). Trials then share a process: module
  globals, RNG state, leaked memory and threads, thread pools sized by an earlier trial carry
  over, and a crash takes the worker. ``reuse_workers=False`` keeps stock's fresh worker per
  trial;
- fmin's result poll and the dispatcher's sleep go from 1 s to 0.02 s (FAST_POLL_S), in the
  threads of this fmin only.

Results, trial documents and cancellation behave as with SparkTrials. The patch is undone
when fmin returns or raises. The installed hyperopt's code is checked first: on a shape it
does not know (a vendor build, a build without sources) it warns and runs stock SparkTrials
(``trials.tuned`` is False, ``trials.fallback_reason`` says why), or raises BenchError with
``strict=True``. Tested with hyperopt 0.2.7 and 0.3.0 on PySpark 3.4, 3.5 and 4.

Importing this module needs hyperopt and pyspark only. The task function is shipped by
value, so executors need hyperopt (as for SparkTrials) but not this package.
"""
from __future__ import annotations

import logging
import warnings

from .errors import BenchError
from .variants import (FAST_POLL_S, TESTED_HYPEROPT_VERSIONS, VARIANTS, session_problem,
                       shape_message, shape_problems, tuned, variant_spark_trials_class)

log = logging.getLogger(__name__)


class TunedFallbackWarning(RuntimeWarning):
    """TunedSparkTrials runs stock SparkTrials (or without worker reuse) and says why."""


def _make():
    base = variant_spark_trials_class()

    class TunedSparkTrials(base):
        """SparkTrials with queue = parallelism (for algorithms that take several points),
        Python worker reuse and 0.02 s polling (a modification of hyperopt; see bench.tuned).

        ``reuse_workers=False``: every trial in a fresh Python worker, as stock does.
        ``strict=True``: raise BenchError instead of warning and running stock SparkTrials
        when the installed hyperopt's code is not the shape the patch knows.
        """

        def __init__(self, parallelism=None, timeout=None, loss_threshold=None,
                     spark_session=None, *, reuse_workers: bool = True, strict: bool = False,
                     **kwargs):
            self.strict = bool(strict)
            self.fallback_reason = None
            wanted = tuned(reuse_workers)
            problems = [] if self.strict else shape_problems(wanted)
            if problems:
                self._fall_back(shape_message(wanted, problems) + " Running stock SparkTrials.",
                                stacklevel=3)
                wanted = VARIANTS["stock"]
            super().__init__(parallelism=parallelism, timeout=timeout,
                             loss_threshold=loss_threshold, spark_session=spark_session,
                             variant=wanted, **kwargs)

        def _check_session(self) -> None:
            problem = session_problem(self.variant, self._spark)
            if problem is None:
                return
            if self.strict:
                raise BenchError(problem)
            self._fall_back(problem + "; running without worker reuse.", stacklevel=5)
            self.variant = tuned(reuse_workers=False)

        def _fall_back(self, reason: str, stacklevel: int) -> None:
            """Warn (pointing at the caller's line) and keep the reason on the object."""
            self.fallback_reason = reason
            log.warning("TunedSparkTrials: %s", reason)
            warnings.warn(f"TunedSparkTrials: {reason}", TunedFallbackWarning,
                          stacklevel=stacklevel)

        @property
        def tuned(self) -> bool:
            """False when this object runs stock SparkTrials (see fallback_reason)."""
            return self.variant.fastpoll

        @property
        def reuse_workers(self) -> bool:
            """Whether trials share Python workers (see the module docstring for what that
            shares between trials)."""
            return self.variant.reuse

    return TunedSparkTrials


def __getattr__(name):  # built on first use, so importing bench needs no pyspark
    if name == "TunedSparkTrials":
        cls = _make()
        globals()["TunedSparkTrials"] = cls
        return cls
    raise AttributeError(name)


__all__ = ["TunedSparkTrials", "TunedFallbackWarning", "TESTED_HYPEROPT_VERSIONS",
           "FAST_POLL_S"]
