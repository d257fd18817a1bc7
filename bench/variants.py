"""SparkTrials variants: each removes one measured cost, applied for one fmin call only.

- ``stock``: hyperopt as installed.
- ``queue``: ``max_queue_len = parallelism`` (a public fmin knob; hyperopt unmodified).
- ``reuse``: the task function drains its input iterator, so PySpark returns the Python
  worker to its pool (``spark.python.worker.reuse``) instead of starting a fresh interpreter
  and re-importing everything for every trial. **Modifies hyperopt's behaviour.**
- ``fastpoll``: fmin's result poll and the dispatcher's sleep shortened from 1 s to
  ``FAST_POLL_S``. **Modifies hyperopt's behaviour.**
- ``tuned``: all of the above. **Modifies hyperopt's behaviour.**

How they are applied (nothing here copies hyperopt code):

- reuse: while fmin runs, the SparkTrials object hands hyperopt a thin session proxy whose
  ``parallelize`` returns an RDD whose ``mapPartitions`` wraps hyperopt's task function in a
  generator that yields its results and then drains the input. Instance-level, no global.
- fastpoll: while a variant's fmin runs, ``hyperopt.fmin.time`` and ``hyperopt.spark.time``
  are replaced by a shim whose ``sleep`` is shortened only in threads that flagged
  themselves (the thread calling fmin, and the dispatcher thread of this fmin, flagged from
  its first ``_poll_new_tasks`` call through a ``_SparkFMinState`` subclass installed in
  ``hyperopt.spark`` for the call). Other threads, and other SparkTrials objects running at
  the same time, keep 1 s. Everything is put back when the last variant fmin returns or
  raises.

Before use, ``check_shape(variant)`` verifies that the installed hyperopt still has the code
these adapters rely on and raises BenchError naming the version otherwise: a variant that
silently fell back to stock would measure the wrong thing. (``bench.tuned.TunedSparkTrials``
outside the harness warns and runs stock instead, unless ``strict=True``.)

The queue is raised only for algorithms that take several new trial ids per call
(``suggests_several``): ``anneal.suggest`` unpacks exactly one and would raise.

This module imports hyperopt and pyspark lazily; the variant table itself is in
bench.variant_table, which the grid and the readers use.
"""
from __future__ import annotations

import contextlib
import inspect
import threading
import time as _time
from dataclasses import dataclass

from .errors import BenchError
from .versions import hyperopt_version

# The variant table (names, what each changes, labels, order) is vocabulary shared with the
# grid and the readers: bench.variant_table; re-exported here for this module's users.
from .variant_table import (DEFAULT_VARIANT, FAST_POLL_S, VARIANTS, Variant, get, label,  # noqa: F401
                            queue_len, shares_workers, tuned)

#: hyperopt releases whose code shape the adapters were checked against (and tested on).
TESTED_HYPEROPT_VERSIONS = ("0.2.7", "0.3.0")


def _modules():
    """The modules hyperopt.fmin and hyperopt.spark (the package attribute `hyperopt.fmin`
    is the fmin function, so `import hyperopt.fmin as m` would not give the module)."""
    import sys

    import hyperopt.spark  # noqa: F401  (imports hyperopt.fmin too)

    return sys.modules["hyperopt.fmin"], sys.modules["hyperopt.spark"]


# --- code-shape check -------------------------------------------------------------------
def _source(obj) -> str:
    """Source text of a hyperopt function (a seam the tests patch to simulate another shape)."""
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _unpatched(hfmin, hspark):
    """hyperopt's own time modules and _SparkFMinState, also while another thread's variant
    fmin has the shims installed (a second TunedSparkTrials may be created meanwhile)."""
    with _lock:
        if _active:
            return _saved["fmin_time"], _saved["spark_time"], _saved["state"]
        return hfmin.time, hspark.time, getattr(hspark, "_SparkFMinState", None)


def shape_problems(variant) -> list[str]:
    """What the installed hyperopt lacks for this variant; [] when the adapters apply."""
    v = get(variant)
    if not (v.reuse or v.fastpoll):
        return []
    hfmin, hspark = _modules()

    problems = []
    fmin_time, spark_time, state_cls = _unpatched(hfmin, hspark)
    trials_cls = getattr(hspark, "SparkTrials", None)
    if state_cls is None or trials_cls is None:
        return ["hyperopt.spark has no SparkTrials/_SparkFMinState"]
    if "_SparkFMinState(self._spark" not in "".join(_source(trials_cls.fmin).split()):
        problems.append("SparkTrials.fmin does not build _SparkFMinState from self._spark")
    if v.reuse:
        src = _source(state_cls._run_trial_async)
        if ".sparkContext.parallelize(" not in src or ".mapPartitions(" not in src:
            problems.append("trials are not launched as sparkContext.parallelize(...)"
                            ".mapPartitions(task)")
    if v.fastpoll:
        if fmin_time is not _time or spark_time is not _time:
            problems.append("hyperopt.fmin / hyperopt.spark do not sleep through the time module")
        if "time.sleep(self.poll_interval_secs)" not in _source(hfmin.FMinIter.run):
            problems.append("FMinIter.run does not poll with time.sleep(self.poll_interval_secs)")
        dispatcher = _source(state_cls.launch_dispatcher)
        if "time.sleep(1)" not in dispatcher or "self._poll_new_tasks()" not in dispatcher:
            problems.append("the dispatcher loop does not call _poll_new_tasks() and "
                            "time.sleep(1)")
    return problems


def shape_message(variant, problems: list[str]) -> str:
    """One line: which variant, which hyperopt, what its code lacks."""
    return (f"variant {get(variant).name!r}: installed hyperopt {hyperopt_version()} does not "
            f"have the code shape this variant patches ({'; '.join(problems)}); tested on "
            f"hyperopt {', '.join(TESTED_HYPEROPT_VERSIONS)}.")


def check_shape(variant) -> None:
    """Refuse a variant the installed hyperopt cannot carry (BenchError naming the version)."""
    problems = shape_problems(variant)
    if problems:
        raise BenchError(shape_message(variant, problems) + " Refusing rather than measuring "
                                                            "stock.")


def session_problem(variant, spark) -> str | None:
    """reuse needs PySpark's worker reuse switched on, or it silently measures stock."""
    if get(variant).reuse and spark is not None:
        conf = spark.sparkContext.getConf().get("spark.python.worker.reuse", "true")
        if str(conf).lower() != "true":
            return (f"variant {get(variant).name!r}: spark.python.worker.reuse={conf} in this "
                    "session, so draining the input cannot reuse workers")
    return None


def check_session(variant, spark) -> None:
    problem = session_problem(variant, spark)
    if problem:
        raise BenchError(problem)


# --- reuse: drain the task's input iterator ---------------------------------------------
def draining(task):
    """Wrap a mapPartitions function: yield its output, then consume the rest of the input.

    Defined inside a function so cloudpickle ships it by value: executors need no bench.
    """
    def drained(iterator):
        yield from task(iterator)
        for _ in iterator:
            pass
    return drained


class _DrainingContext:
    """SparkContext proxy: parallelize() gives RDDs whose mapPartitions drains its input."""

    def __init__(self, sc):
        self._sc = sc

    def parallelize(self, *args, **kwargs):
        rdd = self._sc.parallelize(*args, **kwargs)
        plain = rdd.mapPartitions
        rdd.mapPartitions = lambda f, *a, **kw: plain(draining(f), *a, **kw)
        return rdd

    def __getattr__(self, name):
        return getattr(self._sc, name)


class _DrainingSession:
    """SparkSession proxy handed to hyperopt for one fmin call (reuse variant)."""

    def __init__(self, spark):
        self._spark = spark
        self.sparkContext = _DrainingContext(spark.sparkContext)

    def __getattr__(self, name):
        return getattr(self._spark, name)


# --- reuse: workers started before the clock ----------------------------------------
#: How long each warm-up task keeps its worker busy, so the warm-up tasks overlap and each
#: starts a worker of its own (one worker serving them in turn would leave the rest cold).
PREWARM_HOLD_S = 0.3


@dataclass(frozen=True)
class Prewarmed:
    """Python workers started and returned to PySpark's idle pool before a cell's clock."""

    pids: tuple       # worker pid of each warm-up task
    seconds: float    # wall time of the warm-up job

    @property
    def workers(self) -> int:
        """Distinct workers started (fewer than tasks if one worker served two in turn)."""
        return len(set(self.pids))


def prewarm(spark, fn, parallelism: int) -> Prewarmed:
    """Start min(parallelism, task slots) Python workers (as many as the fmin call runs at
    once) and import in them what a trial imports (hyperopt's Spark module, and the
    objective's modules by unpickling `fn`), then return them to the idle pool: a reuse
    variant's first trials take them instead of starting interpreters, as the pool mode's
    workers are started before its clock. PySpark closes workers idle for a minute, so this
    belongs right before the fmin call it serves."""
    from .spark_session import task_slots

    t0 = _time.perf_counter()
    hold_s = PREWARM_HOLD_S

    def warm(iterator):
        import os
        import time

        import hyperopt.spark  # noqa: F401  (what every trial's task imports)

        # referencing fn makes the task carry it: unpickling the task imported fn's modules
        objective = fn  # noqa: F841
        time.sleep(hold_s)
        yield os.getpid()

    n = max(1, min(int(parallelism or 1), task_slots(spark)))
    pids = spark.sparkContext.parallelize(range(n), n).mapPartitions(draining(warm)).collect()
    return Prewarmed(pids=tuple(pids), seconds=_time.perf_counter() - t0)


# --- fastpoll: thread-scoped short sleeps -----------------------------------------------
_local = threading.local()


class _SleepShim:
    """Stands in for the time module inside hyperopt.fmin/hyperopt.spark while a variant
    runs: sleep() is shortened in flagged threads only; everything else is time itself."""

    def sleep(self, seconds):
        short = getattr(_local, "poll_s", None)
        _time.sleep(seconds if short is None else min(seconds, short))

    def __getattr__(self, name):
        return getattr(_time, name)


_lock = threading.Lock()
_active = 0
_saved: dict = {}


def _fast_state_class(base):
    class _FastPollState(base):
        """The dispatcher flags its own thread before its first sleep (fastpoll only)."""

        def _poll_new_tasks(self, *args, **kwargs):
            poll = getattr(self.trials, "_bench_poll_s", None)
            if poll is not None:
                _local.poll_s = poll
            return super()._poll_new_tasks(*args, **kwargs)
    return _FastPollState


@contextlib.contextmanager
def _fastpoll_installed():
    """Install the shims (reference-counted across threads); always put the originals back."""
    global _active
    hfmin, hspark = _modules()

    with _lock:
        if _active == 0:
            _saved.update(fmin_time=hfmin.time, spark_time=hspark.time,
                          state=hspark._SparkFMinState)
            shim = _SleepShim()
            hfmin.time = shim
            hspark.time = shim
            hspark._SparkFMinState = _fast_state_class(_saved["state"])
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                hfmin.time = _saved.pop("fmin_time")
                hspark.time = _saved.pop("spark_time")
                hspark._SparkFMinState = _saved.pop("state")


def patched() -> bool:
    """True while any variant's patch is installed (tests check it is gone afterwards)."""
    hfmin, hspark = _modules()

    return (hfmin.time is not _time or hspark.time is not _time
            or hspark._SparkFMinState.__name__ != "_SparkFMinState")


# --- the SparkTrials adapter -----------------------------------------------------------
def _spark_trials_base():
    from hyperopt.spark import SparkTrials

    return SparkTrials


def _make_variant_class():
    SparkTrials = _spark_trials_base()

    class VariantSparkTrials(SparkTrials):
        """SparkTrials with one variant applied to each fmin call made with it.

        Same constructor as SparkTrials plus keyword-only ``variant`` (a name, or a Variant).
        """

        def __init__(self, *args, variant=DEFAULT_VARIANT, **kwargs):
            self.variant = get(variant)
            self.max_queue_len_used = None  # what the last fmin passed to hyperopt
            check_shape(self.variant)
            super().__init__(*args, **kwargs)
            self._check_session()

        def _check_session(self) -> None:
            check_session(self.variant, self._spark)

        def queue_len_for(self, algo, max_queue_len) -> int:
            """The max_queue_len fmin runs with: raised to the parallelism for a queue variant
            when the algorithm takes several points per call, else as asked."""
            return queue_len(self.variant, max_queue_len, self.parallelism, algo)

        def prewarm(self, fn=None) -> Prewarmed:
            """Before the first fmin of a reuse variant: start min(parallelism, task slots)
            Python workers with hyperopt (and `fn`'s modules) imported, so the first wave of
            trials reuses them. Without it that wave pays the interpreter start and imports
            once; later fmin calls within a minute find the workers idle anyway."""
            if not self.variant.reuse:
                return Prewarmed(pids=(), seconds=0.0)
            return prewarm(self._spark, fn, self.parallelism)

        def fmin(self, fn, space, algo, max_evals, timeout, loss_threshold, max_queue_len,
                 *args, **kwargs):
            v = self.variant
            max_queue_len = self.max_queue_len_used = self.queue_len_for(algo, max_queue_len)
            with contextlib.ExitStack() as stack:
                if v.fastpoll:
                    stack.enter_context(_fastpoll_installed())
                    self._bench_poll_s = FAST_POLL_S
                    previous = getattr(_local, "poll_s", None)
                    _local.poll_s = FAST_POLL_S          # this thread runs fmin's loop
                    stack.callback(setattr, _local, "poll_s", previous)
                    stack.callback(setattr, self, "_bench_poll_s", None)
                if v.reuse:
                    real = self._spark
                    self._spark = _DrainingSession(real)
                    stack.callback(setattr, self, "_spark", real)
                return super().fmin(fn, space, algo, max_evals, timeout, loss_threshold,
                                    max_queue_len, *args, **kwargs)

    return VariantSparkTrials


_classes: dict = {}


def variant_spark_trials_class():
    """The SparkTrials subclass (built on first use, so importing bench needs no pyspark)."""
    if "variant" not in _classes:
        _classes["variant"] = _make_variant_class()
    return _classes["variant"]


def spark_trials(variant: str, **kwargs):
    """A SparkTrials for one cell: plain SparkTrials for stock and queue (queue is only the
    fmin argument), the adapter for the variants that change hyperopt's behaviour."""
    if not get(variant).modifies_hyperopt:
        from hyperopt.spark import SparkTrials

        return SparkTrials(**kwargs)
    return variant_spark_trials_class()(variant=variant, **kwargs)
