"""Markdown building blocks: tables, safe cells, nested data as dotted keys, badge labels.

Beside bench.formats (how numbers read), so every command that prints Markdown (the report,
compare, predict) builds it the same way without importing another command's module.
"""
from __future__ import annotations

from .formats import fmt_value

#: Labels written after a configuration or a finding; report.html shows them as badges
#: (bench.report.html). One home for their text, so both renderings agree.
EMULATED_LABEL = "(emulated)"


def cell(text) -> str:
    """Make text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(headers: list[str], rows: list[list]) -> str:
    """A GitHub-flavoured Markdown table (numbers right-aligned by the caller's formatting)."""
    out = ["| " + " | ".join(cell(h) for h in headers) + " |",
           "| " + " | ".join("---" for _ in headers) + " |"]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(out)


def key_value_table(pairs: list[tuple[str, object]], headers=("key", "value")) -> str:
    return table(list(headers), [[f"`{k}`", fmt_value(v)] for k, v in pairs])


def flatten(data: dict, prefix: str = "") -> list[tuple[str, object]]:
    """Nested dicts as dotted keys, so a manifest section fits a two-column table."""
    out = []
    for key, value in (data or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out += flatten(value, name + ".")
        else:
            out.append((name, value))
    return out
