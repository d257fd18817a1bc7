"""How a finding's evidence reads: `name  value unit` rows instead of a raw dict.

Each evidence key's unit is declared once (units.py); values stay numbers until shown here:
seconds with `fmt_s` and `s`, a ratio as `N×`, a share as a percentage, bytes in MB, cores,
slots and threads as counts of those. A mapping (a dict value of a declared unit) becomes one
row per entry (`break_even_objective_s[2]`), a record one row per member
(`serial.objective_s`). The terminal (`diagnose`) and the report both show these rows, so a
number reads the same everywhere.
"""
from __future__ import annotations

import math
from numbers import Integral, Real

from ..formats import fmt_num, fmt_pct, fmt_s, fmt_x, is_missing
from .units import UNITS, unit_of

#: units whose name is written after a count of them
_COUNTED = ("cores", "slots", "threads")


def _plain(number: float, value, unit: str) -> tuple[str, str]:
    """A whole number as an integer, else two decimals; the unit's symbol after it."""
    symbol = UNITS[unit].symbol if unit in _COUNTED else ""
    if isinstance(value, Integral) or (math.isfinite(number) and number == int(number)
                                        and abs(number) < 1e15):
        return str(int(number)), symbol
    return fmt_num(number), symbol


def format_value(value, unit: str) -> tuple[str, str]:
    """(value text, unit text) for one evidence value in its declared unit."""
    if isinstance(value, bool):
        return ("yes" if value else "no"), ""
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value) or "—", ""
    if isinstance(value, str) or value is None:
        return (value if value not in (None, "") else "—"), ""
    if not isinstance(value, Real) or is_missing(value):
        return ("—" if is_missing(value) else str(value)), ""
    number = float(value)
    if unit == "seconds":
        return fmt_s(number), UNITS[unit].symbol
    if unit == "ratio":
        return fmt_x(number), ""
    if unit == "share":
        return fmt_pct(number), ""
    if unit == "bytes":
        return f"{number / 1e6:.1f}", UNITS[unit].symbol
    if unit == "loss":
        return f"{number:.4g}", ""
    return _plain(number, value, unit)


def _child(parent: str, key: str) -> str:
    return f"{parent}.{key}" if key.isidentifier() else f"{parent}[{key}]"


def _rows(name: str, value, unit) -> list[tuple[str, str, str]]:
    if isinstance(unit, dict):  # a record: each member has its own unit
        if not isinstance(value, dict):
            return [(name, *format_value(value, "text"))]
        return [row for member, v in value.items()
                for row in _rows(_child(name, str(member)), v, unit_of(member, unit, name))]
    if isinstance(value, dict):  # a mapping: every entry in the key's unit
        return [row for key, v in value.items() for row in _rows(_child(name, str(key)), v, unit)]
    return [(name, *format_value(value, unit))]


def evidence_rows(evidence) -> list[tuple[str, str, str]]:
    """[(name, value, unit)] for every value in a finding's evidence, mappings and records
    flattened. Raises units.UndeclaredEvidence for a key with no declared unit."""
    if not isinstance(evidence, dict):
        return [] if evidence in (None, "") else [("evidence", str(evidence), "")]
    return [row for key, value in evidence.items() for row in _rows(str(key), value, unit_of(key))]


def aligned(rows: list[tuple[str, str, str]], indent: str = "") -> list[str]:
    """Rows as text lines: names left-aligned, values right-aligned, then the unit."""
    if not rows:
        return []
    name_w = max(len(r[0]) for r in rows)
    value_w = max(len(r[1]) for r in rows)
    return [f"{indent}{name:<{name_w}}  {value:>{value_w}}{(' ' + unit) if unit else ''}"
            .rstrip() for name, value, unit in rows]
