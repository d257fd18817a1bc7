"""How a cell of each mode runs: one small executor object per mode (serial, spark, pool).

The runner asks the cell's mode for its trials object, what to set up around the timed
window, how to evaluate, and what to record; everything that differs between modes lives
here, so the runner holds no `mode == ...` branches.
"""
from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from typing import Optional

from . import cellspawn, pool, shipping, spark_session, variants
from .errors import BenchError
from .model import MODES


@dataclass
class Placement:
    """Where a cell's trials run, set up before its clock starts and torn down after."""

    slots: Optional[int] = None         # task slots (spark) or pool workers
    job_group: Optional[str] = None     # Spark job group the cell's trials run under
    pool: Optional[pool.WarmPool] = None
    prewarmed: Optional[variants.Prewarmed] = None  # workers started before the clock


@contextlib.contextmanager
def under_job_group(spark, cell_id: str):
    """A spark cell's trials placed under its job group (its cell id): SparkTrials adopts
    the thread's job group, so the event log joins every trial's task to its cell and Ctrl-C
    cancels them together. Used for scenario cells and bench.observe's calls alike."""
    slots = spark_session.task_slots(spark)
    context = spark.sparkContext
    context.setLocalProperty("spark.jobGroup.id", cell_id)
    try:
        yield Placement(slots=slots, job_group=cell_id)
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)


def closure_bytes(fn, space) -> Optional[int]:
    """Bytes of what SparkTrials pickles for every trial (objective + space); None when they
    cannot be pickled here."""
    try:
        return len(shipping.pickled(fn, space))
    except Exception:
        return None


class Mode:
    """A mode's executor. Subclasses override what differs from running fmin in place."""

    name = ""
    uses_spark = False   # its cells need a Spark session (and are warmed up on it)

    def check(self, cells: list, where: str) -> None:
        """Refuse, before anything runs, cells this mode cannot run as asked."""

    def in_child(self, cell) -> bool:
        """Whether the cell must run in a fresh process (bench.cellspawn)."""
        return False

    def trials(self, cell, spark):
        raise NotImplementedError

    @contextlib.contextmanager
    def placed(self, cell, fn, spark):
        yield Placement()

    def evaluate(self, placement: Placement, fmin_call, algo, space, trials, clock,
                 timeout=None) -> None:
        """Run the cell's trials: fmin by default (fmin_call runs it with the cell's settings,
        `timeout` included)."""
        fmin_call()

    def closure_bytes(self, fn, space) -> Optional[int]:
        return None

    def parallelism_effective(self, trials) -> Optional[int]:
        return None


class SerialMode(Mode):
    """hyperopt.Trials in the driver; a cell with its own thread environment runs in a
    fresh process (an OpenMP runtime reads its environment once, when it loads)."""

    name = "serial"

    def in_child(self, cell) -> bool:
        return bool(cell.thread_env_set) and not cellspawn.in_child()

    def trials(self, cell, spark):
        from hyperopt import Trials

        return Trials()


class SparkMode(Mode):
    """SparkTrials (or one of its variants) on the given session, under the cell's job group."""

    name = "spark"
    uses_spark = True

    def check(self, cells: list, where: str) -> None:
        for name in sorted({c.variant for c in cells if c.variant}):
            variants.check_shape(name)
        from hyperopt.spark import SparkTrials

        cap = SparkTrials.MAX_CONCURRENT_JOBS_ALLOWED
        over = sorted({c.parallelism for c in cells if c.parallelism and c.parallelism > cap})
        if over:
            raise BenchError(
                f"{where}: parallelism {over[-1]}: SparkTrials (hyperopt {_hyperopt_version()}) "
                f"runs at most {cap} trials at once and would silently run {cap}; use "
                f"parallelism <= {cap}")

    def trials(self, cell, spark):
        return variants.spark_trials(cell.variant or variants.DEFAULT_VARIANT,
                                     parallelism=cell.parallelism, spark_session=spark)

    @contextlib.contextmanager
    def placed(self, cell, fn, spark):
        """The cell's job group; for a reuse variant, its Python workers started first
        (outside the job group, before the clock), as the pool's are."""
        warm = None
        if cell.variant and variants.get(cell.variant).reuse:
            warm = variants.prewarm(spark, fn, cell.parallelism)
        with under_job_group(spark, cell.cell_id) as placed:
            yield dataclasses.replace(placed, prewarmed=warm)

    def closure_bytes(self, fn, space) -> Optional[int]:
        return closure_bytes(fn, space)

    def parallelism_effective(self, trials) -> Optional[int]:
        """What SparkTrials decided to run with (it caps the request in some versions)."""
        value = getattr(trials, "parallelism", None)
        return int(value) if value is not None else None


class PoolMode(Mode):
    """The same points in a warmed local process pool: the practical ideal."""

    name = "pool"

    def trials(self, cell, spark):
        return pool.PoolTrials()

    @contextlib.contextmanager
    def placed(self, cell, fn, spark):
        """A warmed pool with the executors' thread environment, started before the clock
        (its warm-up recorded as a reuse variant's is)."""
        omp = spark_session.task_cpus(spark) if spark is not None else 1
        with pool.WarmPool(fn, cell.parallelism, omp_threads=omp,
                           thread_env=cell.thread_env_set) as warm:
            yield Placement(slots=warm.workers, pool=warm,
                            prewarmed=variants.Prewarmed(pids=warm.pids, seconds=warm.warmup_s))

    def evaluate(self, placement: Placement, fmin_call, algo, space, trials, clock,
                 timeout=None) -> None:
        placement.pool.run(algo.points, space, trials, clock.suggested, timeout=timeout)


#: mode name (bench.model.MODES) -> its executor
EXECUTORS = {m.name: m for m in (SerialMode(), SparkMode(), PoolMode())}
assert tuple(EXECUTORS) == MODES, "every mode of the model has one executor"


def of(cell) -> Mode:
    """The executor of a cell's mode."""
    return EXECUTORS[cell.mode]


def check(cells: list, where: str) -> None:
    """Every mode's refusals for the cells about to run, before any runs."""
    for name, mode in EXECUTORS.items():
        mode.check([c for c in cells if c.mode == name], where)


def _hyperopt_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hyperopt")
    except PackageNotFoundError:
        return "?"
