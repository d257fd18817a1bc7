"""The diagnosis rules, in the order they run: each a pure function from a run's frames to
findings, kept in the module of its family.

Every rule reads measurements only (never the scenario's name); every number it compares
against is in THRESHOLDS (thresholds.py) with the reason for its value, and every severity
in SEVERITY (severities.py), so a reader can check why a finding fired or did not. The
order is the headline's tie-break between equally severe findings (most fundamental first).
"""
from __future__ import annotations

from typing import Callable

from ..analysis import Analysis, RunData
from .contention import driver_contention
from .finding import Finding
from .overhead import dispatch_starvation, fixed_overhead, fresh_worker_per_trial, large_closure
from .placement import parallelism_above_slots, uneven_placement
from .quality import search_quality
from .spin_wait import spin_wait_collapse
from .stability import unstable_configuration
from .thresholds import THRESHOLDS
from .threads import oversubscription, thread_mismatch
from .unexplained import unexplained

__all__ = ["AFTER_RULES", "RULES", "THRESHOLDS", "Finding"]

RULES: list[Callable[[RunData, Analysis], list[Finding]]] = [
    fixed_overhead, dispatch_starvation, thread_mismatch, oversubscription, spin_wait_collapse,
    unstable_configuration, parallelism_above_slots, fresh_worker_per_trial, large_closure, search_quality,
    uneven_placement, driver_contention,
]

#: Rules that read the other rules' findings; they run last, in this order.
AFTER_RULES: list[Callable[[RunData, Analysis, list[Finding]], list[Finding]]] = [unexplained]
