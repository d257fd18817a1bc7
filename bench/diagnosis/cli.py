"""`python -m bench diagnose RESULTS [--json]`: findings for people, or JSON for machines.

Text output per finding: severity and id, the one-line summary, the evidence as aligned
`label (unit)  value  key` rows (the key as `--json` names it), and the fix. Severity is
coloured (and the key dimmed) only on a terminal, never when NO_COLOR is set, so piped or
pasted output stays plain. `--json` prints {"format": 2, "findings": [...]}.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap

from ..errors import BenchError
from ..storage import _clean
from . import THRESHOLDS, diagnose
from .evidence import aligned
from .finding import Finding
from .severities import RAISED, SEVERITY

#: the version of `diagnose --json`'s output: 1 was a bare list of findings, 2 is
#: {"format": 2, "findings": [...]} with ids from bench.diagnosis.ids
JSON_FORMAT = 2

_COLOURS = {"high": "\033[1;31m", "medium": "\033[1;33m", "low": "\033[1;36m"}
_RESET = "\033[0m"


def add_parser(sub):
    p = sub.add_parser("diagnose", help="explain a run's speedups: findings with evidence")
    p.add_argument("results", help="results folder, e.g. results/<run-id>")
    p.add_argument("--json", action="store_true", help="print findings as JSON")
    p.add_argument("--thresholds", action="store_true", help="print the rules' thresholds too")
    return p


def use_colour(stream=None) -> bool:
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ


def finding_text(f: Finding, colour: bool = False, width: int = 100) -> list[str]:
    """One finding as text lines (no trailing blank line)."""
    severity = f.severity.upper()
    if colour:
        severity = f"{_COLOURS.get(f.severity, '')}{severity}{_RESET}"
    wrap = textwrap.TextWrapper(width=max(width, 40), initial_indent="  ",
                                subsequent_indent="  ", break_on_hyphens=False)
    lines = [f"{severity}  {f.id}"] + wrap.wrap(f.summary)
    if f.support:
        lines.append("  rests on: " + support_text(f.support))
    rows = f.evidence_rows()
    if rows:
        lines += ["  evidence:"] + aligned(rows, indent="    ", dim=colour)
    if f.recommendation:
        fix = textwrap.TextWrapper(width=max(width, 40), initial_indent="  fix: ",
                                   subsequent_indent="       ", break_on_hyphens=False)
        lines += fix.wrap(f.recommendation)
    return lines


def support_text(support: dict) -> str:
    """'2 cells in repeats 0, 1, 2; held in 3 of 3' (or 'judged over the repeats together')."""
    reps = support.get("repeats") or []
    text = (f"{support.get('cells', 0)} cell(s) in repeat(s) "
            + (", ".join(str(r) for r in reps) or "—"))
    held = support.get("held_in")
    if held is None:
        return text + "; judged over the repeats together"
    return text + f"; held in {len(held)} of {len(reps)}"


def findings_text(findings: list[Finding], colour: bool = False, width: int = 100) -> str:
    if not findings:
        return "no findings: no rule fired on this run's measurements\n"
    counts = {s: sum(f.severity == s for f in findings) for s in ("high", "medium", "low")}
    head = f"{len(findings)} finding(s): " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    blocks = [head] + ["\n".join(finding_text(f, colour, width)) for f in findings]
    return "\n\n".join(blocks) + "\n"


def findings_json(findings: list[Finding]) -> dict:
    """The `--json` document: its format version and the findings as dicts."""
    return {"format": JSON_FORMAT, "findings": [f.to_dict() for f in findings]}


def read_findings_json(data) -> list[dict]:
    """The findings of a `diagnose --json` document of either format (1: a bare list; 2:
    {"format": 2, "findings": [...]}). A newer or unknown shape is an error naming it."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and data.get("format") == JSON_FORMAT \
            and isinstance(data.get("findings"), list):
        return data["findings"]
    shape = f"format {data.get('format')!r}" if isinstance(data, dict) else type(data).__name__
    raise BenchError(f"diagnose --json: unknown document ({shape}); this version reads "
                     f"formats 1 and {JSON_FORMAT}")


def run(args) -> int:
    findings = diagnose(args.results)
    if args.json:
        # NaN (a part not measured) is written as null: JSON has no NaN
        print(json.dumps(_clean(findings_json(findings)), indent=2, default=str))
        return 0
    width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    sys.stdout.write(findings_text(findings, colour=use_colour(), width=width))
    if args.thresholds:
        print()
        sys.stdout.write(thresholds_text())
    return 0


def thresholds_text() -> str:
    """Every number the rules compare against, and every rule's severity, with the reasons."""
    lines = [f"threshold {name} = {value}: {why}" for name, (value, why) in THRESHOLDS.items()]
    for rule, (level, why) in SEVERITY.items():
        raised = RAISED.get(rule)
        lines.append(f"severity {rule} = {level}: {why}"
                     + (f"; {raised[0]} when {raised[1]}" if raised else ""))
    return "\n".join(lines) + "\n"
