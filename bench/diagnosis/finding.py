"""A finding: what the measurements say, the numbers behind it, and what to change."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .evidence import evidence_rows

SEVERITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Finding:
    id: str              # stable across runs: rule plus what it is about
    rule: str
    severity: str        # high | medium | low
    summary: str         # one line, with the key numbers
    evidence: dict = field(default_factory=dict)   # measured numbers from this run
    recommendation: str = ""
    #: configurations this finding explains: filters over the analysis' setting columns
    #: (workload, mode, condition, n_jobs_label, parallelism, cluster_label, env_label,
    #: setting), each optionally limited to one kind of gap ("gap": "wall" | "objective")
    covers: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def evidence_rows(self) -> list[tuple[str, str, str]]:
        """The evidence as (name, value, unit) rows with formatted numbers."""
        return evidence_rows(self.evidence)
