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
    --benchmark-compare-fail reads them. Only the median is supported: compare applies it to
    the median change over every new/base pair of walls (the rank test's own estimate)."""

    stat: str
    value: float
    relative: bool

    def exceeded(self, base: float, new: float) -> bool:
        change = abs(new - base)
        limit = self.value * abs(base) if self.relative else self.value
        return change > limit

    def exceeded_by(self, ratio: float, shift_s: float) -> bool:
        """The same limit on an estimated change: a ratio new/base (relative thresholds) or
        a shift in seconds (absolute ones)."""
        return abs(ratio - 1.0) > self.value if self.relative else abs(shift_s) > self.value

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
        raise BenchError(f"--threshold {text!r}: only 'median' is supported (compare judges "
                         "the median change over every pair of walls)")
    value = float(m.group("num"))
    if m.group("pct"):
        return Threshold(stat, value / 100.0, True)
    return Threshold(stat, value, False)
