"""The SparkTrials variants by name: what each changes, how reports label it, their order.

Vocabulary only, with no hyperopt or Spark in it, so the grid, the analysis and the report
can name and sort variants without importing what applies them (bench.variants does).
"""
from __future__ import annotations

from dataclasses import dataclass

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


def get(name: str) -> Variant:
    if name not in VARIANTS:
        raise BenchError(f"variant {name!r}: unknown (allowed: {', '.join(VARIANTS)})")
    return VARIANTS[name]


def queue_len(variant: str | None, requested: int, parallelism: int) -> int:
    """max_queue_len a cell passes to fmin: the queue variants fill the queue to parallelism."""
    if variant and get(variant).queue:
        return max(int(requested), int(parallelism))
    return int(requested)


def label(variant: str | None) -> str:
    """How reports name a variant: '' for stock, else the name and what kind of change it is."""
    if not variant or variant == DEFAULT_VARIANT:
        return ""
    v = get(variant) if variant in VARIANTS else None
    if v is None:
        return f"{variant} (modified hyperopt)"
    return f"{variant} (modified hyperopt)" if v.modifies_hyperopt else f"{variant} (public knob)"
