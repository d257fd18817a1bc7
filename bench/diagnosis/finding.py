"""A finding: what the measurements say, the numbers behind it, and what to change."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional

from .evidence import EvidenceRow, evidence_rows
from .severities import SEVERITIES
from .units import units_of

__all__ = ["SEVERITIES", "Finding"]


@dataclass(frozen=True)
class Finding:
    id: str              # stable across runs: rule plus what it is about
    rule: str
    severity: str        # high | medium | low
    summary: str         # one line, with the key numbers
    evidence: dict = field(default_factory=dict)   # measured numbers (units.py) from this run
    recommendation: str = ""
    #: configurations this finding explains: filters over the analysis' setting columns
    #: (workload, mode, condition, n_jobs_label, parallelism, cluster_label, env_label,
    #: setting), each optionally limited to one kind of gap ("gap": "wall" | "objective")
    covers: list = field(default_factory=list)
    #: the workload the finding is about; None when it is about the whole run
    workload: Optional[str] = None
    #: the configuration it is about: {axis: value} over the analysis' setting columns, the
    #: axes it pooled left out; None for a finding about the whole run
    configuration: Optional[dict] = None
    #: what it rests on (support.py): {"cells": n, "repeats": [r...], "held_in": [r...] or
    #: None where its rule judges the repeats together}; None before it is measured
    support: Optional[dict] = None

    def units(self) -> dict:
        """The declared unit of every evidence key (a record's: of every member)."""
        return units_of(self.evidence)

    def to_dict(self) -> dict:
        return {**asdict(self), "units": self.units()}

    def evidence_rows(self) -> list[EvidenceRow]:
        """The evidence as (key, label, value, unit) rows with formatted numbers."""
        return evidence_rows(self.evidence)
