"""The threshold language of `compare --threshold`: 'median:10%' (relative) or 'median:0.5'
(absolute seconds), as pytest-benchmark's --benchmark-compare-fail reads it; one parser."""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import BenchError

#: Default threshold: pytest-benchmark's usual gate.
DEFAULT_THRESHOLD = "median:10%"


@dataclass(frozen=True)
class Threshold:
    """'median:10%' (relative) or 'median:0.5' (absolute seconds), as pytest-benchmark's
    --benchmark-compare-fail reads them. Only the median is supported: the intervals are
    intervals of the median wall time."""

    stat: str
    value: float
    relative: bool

    def exceeded(self, base: float, new: float) -> bool:
        change = abs(new - base)
        limit = self.value * abs(base) if self.relative else self.value
        return change > limit

    def __str__(self) -> str:
        amount = f"{self.value * 100:g}%" if self.relative else f"{self.value:g} s"
        return f"{self.stat}:{amount}"


_THRESHOLD_RE = re.compile(r"^(?:(?P<stat>[a-z]+):)?(?P<num>\d+(?:\.\d+)?)(?P<pct>%)?$")


def parse_threshold(text: str) -> Threshold:
    """The one parser of the threshold language: '10%', 'median:10%', 'median:0.5'."""
    m = _THRESHOLD_RE.match(str(text).strip().lower())
    if not m:
        raise BenchError(f"--threshold {text!r}: expected PERCENT% or median:PERCENT% "
                         "(e.g. 10% or median:10%), or median:SECONDS")
    stat = m.group("stat") or "median"
    if stat != "median":
        raise BenchError(f"--threshold {text!r}: only 'median' is supported (compare's "
                         "intervals are intervals of the median wall time)")
    value = float(m.group("num"))
    if m.group("pct"):
        return Threshold(stat, value / 100.0, True)
    return Threshold(stat, value, False)
