"""How a finding's evidence reads: `label (unit)  value  key` rows instead of a raw dict.

Each evidence key's unit and label are declared once (units.py): the label is what a person
reads ("fixed cost per trial"), the machine key (`fixed_s_per_trial`, as in `--json`) stays
beside it. Values stay numbers until shown here: seconds with `fmt_s` under "(s)", a ratio
as `N×`, a share as a percentage, bytes in MB, cores, slots and threads as counts of those.
A mapping (a dict value of a declared unit) becomes one row per entry
(`break_even_objective_s[2]`, "break-even objective length [2]"), a record one row per
member (`serial.objective_s`, "serial: objective time per trial"). The terminal
(`diagnose`) and the report both show these rows, so a number reads the same everywhere.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import NamedTuple

from ..formats import fmt_num, fmt_pct, fmt_s, fmt_x, is_missing
from .units import UNITS, declared

def _plain(number: float, value) -> str:
    """A whole number as an integer, else two decimals."""
    if isinstance(value, Integral) or (math.isfinite(number) and number == int(number)
                                        and abs(number) < 1e15):
        return str(int(number))
    return fmt_num(number)


def format_value(value, unit: str) -> str:
    """The text of one evidence value in its declared unit (its unit is shown beside the
    label, so the value carries only what says itself: ×, %, words)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, str) or value is None:
        return value if value not in (None, "") else "—"
    if not isinstance(value, Real) or is_missing(value):
        return "—" if is_missing(value) else str(value)
    number = float(value)
    if unit == "seconds":
        return fmt_s(number)
    if unit == "ratio":
        return fmt_x(number)
    if unit == "share":
        return fmt_pct(number)
    if unit == "bytes":
        return f"{number / 1e6:.1f}"
    if unit == "loss":
        return f"{number:.4g}"
    return _plain(number, value)


class EvidenceRow(NamedTuple):
    """One shown evidence value: the machine key, the label people read, the formatted
    value and the unit's symbol ('' where the value says it: ×, %, words)."""

    key: str
    label: str
    value: str
    unit: str

    def heading(self) -> str:
        """'fixed cost per trial (s)': the label with its unit."""
        return f"{self.label} ({self.unit})" if self.unit else self.label


def _child(parent: str, key: str) -> str:
    return f"{parent}.{key}" if key.isidentifier() else f"{parent}[{key}]"


def _symbol(unit) -> str:
    """The unit written beside a label: s, MB, cores, slots, threads; none for the rest."""
    return UNITS[unit].symbol if isinstance(unit, str) and unit in UNITS else ""


def _rows(key: str, label: str, value, unit) -> list[EvidenceRow]:
    if isinstance(unit, dict):  # a record: each member has its own unit and label
        if not isinstance(value, dict):
            return [EvidenceRow(key, label, format_value(value, "text"), "")]
        rows = []
        for member, v in value.items():
            m_unit, m_label = declared(member, unit, key)
            rows += _rows(_child(key, str(member)), f"{label}: {m_label}", v, m_unit)
        return rows
    if isinstance(value, dict):  # a mapping: every entry in the key's unit
        return [row for entry, v in value.items()
                for row in _rows(_child(key, str(entry)), f"{label} [{entry}]", v, unit)]
    return [EvidenceRow(key, label, format_value(value, unit), _symbol(unit))]


def evidence_rows(evidence) -> list[EvidenceRow]:
    """An EvidenceRow for every value in a finding's evidence, mappings and records
    flattened. Raises units.UndeclaredEvidence for a key with no declared unit."""
    if not isinstance(evidence, dict):
        return [] if evidence in (None, "") else [
            EvidenceRow("evidence", "evidence", str(evidence), "")]
    rows = []
    for key, value in evidence.items():
        unit, label = declared(key)
        rows += _rows(str(key), label, value, unit)
    return rows


def aligned(rows: list[EvidenceRow], indent: str = "", dim: bool = False) -> list[str]:
    """Rows as text lines: 'label (unit)' left-aligned, values right-aligned, then the
    machine key (dimmed on a colour terminal)."""
    if not rows:
        return []
    name_w = max(len(r.heading()) for r in rows)
    value_w = max(len(r.value) for r in rows)
    key = ("\033[2m{}\033[0m" if dim else "{}").format
    return [f"{indent}{r.heading():<{name_w}}  {r.value:>{value_w}}  {key(r.key)}"
            for r in rows]
