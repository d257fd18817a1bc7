"""The cluster-shape grammar, in one place: 'NxC' is N workers (executors) of C cores each,
and a label 'NxC/tcK' adds spark.task.cpus = K (left out when K is 1).

Pure text rules, so scenario validation, the analysis and the model use them without
importing the process manager that starts clusters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .errors import BenchError

_SHAPE = re.compile(r"\s*(\d+)\s*[xX]\s*(\d+)\s*")
_LABEL = re.compile(r"(\d+)x(\d+)(?:/tc(\d+))?")


def parse_shape(text: str) -> tuple[int, int]:
    """'NxC' -> (workers, cores per worker), e.g. parse_shape('2x1') == (2, 1)."""
    m = _SHAPE.fullmatch(str(text))
    if not m:
        raise BenchError(f"cluster shape {text!r}: expected WORKERSxCORES, e.g. 2x1")
    workers, cores = int(m.group(1)), int(m.group(2))
    if workers < 1 or cores < 1:
        raise BenchError(f"cluster shape {text!r}: workers and cores must both be at least 1")
    return workers, cores


def shape_label(workers: int, cores: int, task_cpus: int = 1) -> str:
    """'2x1', or '1x2/tc2' when a task takes more than one cpu."""
    shape = f"{workers}x{cores}"
    return shape if task_cpus == 1 else f"{shape}/tc{task_cpus}"


def parse_label(label: str) -> tuple[int, int, int] | None:
    """(workers, cores per worker, task cpus) of a shape label, or None (e.g. '' or
    'local': not a standalone cluster)."""
    m = _LABEL.fullmatch(label or "")
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)


@dataclass(frozen=True)
class ClusterShape:
    """A standalone cluster shape as a run declared it (bench.model.Manifest.shapes)."""

    label: str
    workers: Optional[int] = None
    cores: Optional[int] = None       # per worker
    task_cpus: Optional[int] = None
