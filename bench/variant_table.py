"""The SparkTrials variants by name: what each changes, how reports label it, their order.

Vocabulary only, with no hyperopt or Spark in it, so the grid, the analysis and the report
can name and sort variants without importing what applies them (bench.variants does).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .algorithms import suggests_several
from .errors import BenchError

#: The shortened poll of the fastpoll variant (fmin's loop and the dispatcher's loop).
FAST_POLL_S = 0.02


@dataclass(frozen=True)
class Variant:
    name: str
    queue: bool
    reuse: bool
    fastpoll: bool
    description: str

    @property
    def modifies_hyperopt(self) -> bool:
        """True when hyperopt's own behaviour is changed (not just a public argument)."""
        return self.reuse or self.fastpoll


#: Every variant, in the order reports list them.
VARIANTS: dict[str, Variant] = {v.name: v for v in (
    Variant("stock", False, False, False, "hyperopt as installed"),
    Variant("queue", True, False, False, "max_queue_len = parallelism (public fmin knob)"),
    Variant("reuse", False, True, False,
            "task function drains its input so Spark reuses the Python worker"),
    Variant("fastpoll", False, False, True,
            f"fmin poll and dispatcher sleep shortened from 1 s to {FAST_POLL_S:g} s"),
    Variant("tuned", True, True, True, "queue + reuse + fastpoll"),
)}
DEFAULT_VARIANT = "stock"


def get(name) -> Variant:
    """The variant of that name (a Variant passes through: TunedSparkTrials builds its own)."""
    if isinstance(name, Variant):
        return name
    if name not in VARIANTS:
        raise BenchError(f"variant {name!r}: unknown (allowed: {', '.join(VARIANTS)})")
    return VARIANTS[name]


def tuned(reuse_workers: bool = True) -> Variant:
    """The tuned variant, or (reuse_workers=False) the same without shared Python workers:
    queue + fastpoll, every trial in a fresh worker as with stock SparkTrials."""
    if reuse_workers:
        return VARIANTS["tuned"]
    return dataclasses.replace(VARIANTS["tuned"], reuse=False,
                               description="queue + fastpoll (a fresh Python worker per trial)")


def shares_workers(mode: str, variant=None) -> bool:
    """Whether a cell's trials share Python processes, so that module globals, RNG state,
    leaked memory and threads, and thread pools sized by one trial carry over to the next:
    serial (the driver), pool (persistent workers), and spark cells of a reuse variant."""
    if mode != "spark":
        return True
    return bool(variant) and get(variant).reuse


def queue_len(variant: str | None, requested: int, parallelism: int, algo=None) -> int:
    """max_queue_len a cell passes to fmin: the queue variants fill the queue to parallelism,
    for an algorithm that takes several points per call (when `algo` is given)."""
    if variant and get(variant).queue and (algo is None or suggests_several(algo)):
        return max(int(requested or 1), int(parallelism))
    return int(requested or 1)


def label(variant: str | None) -> str:
    """How reports name a variant: '' for stock, else the name and what kind of change it is."""
    if not variant or variant == DEFAULT_VARIANT:
        return ""
    v = get(variant) if variant in VARIANTS else None
    if v is None:
        return f"{variant} (modified hyperopt)"
    return f"{variant} (modified hyperopt)" if v.modifies_hyperopt else f"{variant} (public knob)"
