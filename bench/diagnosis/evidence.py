"""How a finding's evidence reads: `name  value unit` rows instead of a raw dict.

The unit comes from the evidence key's name, the rules' own vocabulary: `_s` is seconds,
`share` a fraction shown as a percentage, `ratio`/`speedup`/`slowdown` a ratio (×),
`cores`, `slots` and `threads` counts of those. Nested dicts become one row per entry
(`serial.objective_s`, `break_even_objective_s[2]`), taking the unit from the entry's name or,
when it has none, from the dict's. The terminal (`diagnose`) and the report both show these
rows, so a number reads the same everywhere.
"""
from __future__ import annotations

import math
import re
from numbers import Integral, Real

from ..formats import fmt_num, fmt_pct, fmt_s, fmt_x, is_missing

#: (pattern on a key name, kind), first match wins.
_KINDS: list[tuple[re.Pattern, str]] = [
    (re.compile(r"ratio|speedup|slowdown|unevenness"), "ratio"),
    (re.compile(r"share"), "share"),
    (re.compile(r"(^|_)s$|_s_|seconds"), "seconds"),
    (re.compile(r"bytes"), "bytes"),
    (re.compile(r"cores"), "cores"),
    (re.compile(r"slots"), "slots"),
    (re.compile(r"threads|thread_demand"), "threads"),
    (re.compile(r"loss"), "loss"),
]


def unit_kind(name: str) -> str | None:
    """The kind of quantity an evidence key names, or None for a plain value."""
    for pattern, kind in _KINDS:
        if pattern.search(str(name).lower()):
            return kind
    return None


def format_value(value, kind: str | None) -> tuple[str, str]:
    """(value text, unit) for one evidence value of the given kind."""
    if isinstance(value, bool):
        return ("yes" if value else "no"), ""
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value) or "—", ""
    if isinstance(value, str) or value is None:
        return (value if value not in (None, "") else "—"), ""
    if not isinstance(value, Real) or is_missing(value):
        return ("—" if is_missing(value) else str(value)), ""
    number = float(value)
    if kind == "seconds":
        return fmt_s(number), "s"
    if kind == "ratio":
        return fmt_x(number), ""
    if kind == "share":
        return fmt_pct(number), ""
    if kind == "bytes":
        return f"{number / 1e6:.1f}", "MB"
    if kind == "loss":
        return f"{number:.4g}", ""
    unit = kind if kind in ("cores", "slots", "threads") else ""
    if isinstance(value, Integral) or (math.isfinite(number) and number == int(number)
                                        and abs(number) < 1e15):
        return str(int(number)), unit
    return fmt_num(number), unit


def evidence_rows(evidence, parent: str = "", parent_kind: str | None = None
                  ) -> list[tuple[str, str, str]]:
    """[(name, value, unit)] for every value in a finding's evidence, nested dicts flattened."""
    if not isinstance(evidence, dict):
        return [] if evidence in (None, "") else [("evidence", str(evidence), "")]
    rows = []
    for key, value in evidence.items():
        key = str(key)
        name = (f"{parent}.{key}" if key.isidentifier() else f"{parent}[{key}]") if parent else key
        kind = unit_kind(key) if not key.isdigit() else None
        kind = kind or parent_kind
        if isinstance(value, dict):
            rows += evidence_rows(value, name, kind)
        else:
            rows.append((name, *format_value(value, kind)))
    return rows


def aligned(rows: list[tuple[str, str, str]], indent: str = "") -> list[str]:
    """Rows as text lines: names left-aligned, values right-aligned, then the unit."""
    if not rows:
        return []
    name_w = max(len(r[0]) for r in rows)
    value_w = max(len(r[1]) for r in rows)
    return [f"{indent}{name:<{name_w}}  {value:>{value_w}}{(' ' + unit) if unit else ''}"
            .rstrip() for name, value, unit in rows]
