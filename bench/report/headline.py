"""The answer first: per workload, the measured speedup against the ideal, the top cause with
its numbers, and the fix with its measured effect — all generated from the analysis, the
findings and the run's what-ifs (no hand-written conclusions).

`headlines(...)` builds the structured lines once; `headline_markdown` (the report's first
section) and `headline_text` (what `run --report` and `report` print) render them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

import pandas as pd

from ..analysis import Analysis, RunData
from ..model import NATIVE
from ..diagnosis import RULES
from ..diagnosis.finding import SEVERITIES, Finding
from ..formats import fmt_num, fmt_s, fmt_x
from .markdown import EMULATED_LABEL
from .whatif import PHRASES, what_if_for

SECTION_TITLE = "Headline"
#: rule names in the order the diagnosis lists its rules (most fundamental first)
_RULE_ORDER = [r.__name__.replace("_", "-") for r in RULES]


@dataclass
class WorkloadHeadline:
    workload: str
    speedup: str                       # measured speedup per parallelism vs the ideal
    why: str = ""                      # the top cause with its numbers
    fix: str = ""                      # the change and its measured effect (or what to add)
    finding_id: Optional[str] = None   # the finding the cause comes from
    emulated_why: str = ""             # an emulated driver's top cause, and its fix
    more: int = 0                      # further findings about this workload
    extra: list[str] = field(default_factory=list)


# --- speedup ------------------------------------------------------------------------------
def _speedup_range(grp: pd.DataFrame) -> str:
    values = grp["speedup"].dropna()
    lo, hi = values.min(), values.max()
    if fmt_x(lo) == fmt_x(hi):
        return fmt_x(lo)
    return f"{fmt_x(lo).rstrip('×')}–{fmt_x(hi)}"


def speedup_phrase(sp: pd.DataFrame) -> str:
    """'0.22× at parallelism 1 (ideal 1×), 0.31–0.41× at parallelism 2 (ideal 2×, 2
    configurations)' for one workload and one serial condition."""
    parts = []
    for p, grp in sp.dropna(subset=["speedup"]).groupby("parallelism", sort=True):
        n = len(grp)
        ideal = grp["ideal"].min()
        parts.append(f"{_speedup_range(grp)} at p={int(p)} "
                     f"(ideal {fmt_num(ideal, 0)}×{f', {n} configurations' if n > 1 else ''})")
    return ", ".join(parts)


def speedup_lines(speedups: pd.DataFrame, workload: str) -> tuple[str, str]:
    """(native line, emulated line) of one workload's speedups against serial Trials."""
    sp = speedups[(speedups["workload"] == workload)] if len(speedups) else speedups
    if not len(sp) or sp["speedup"].dropna().empty:
        return ("no speedup yet: it needs finished serial and spark cells with the same "
                "settings"), ""
    native = sp[~sp["serial_emulated"].astype(bool)]
    conditions = list(dict.fromkeys(native["serial_condition"])) if len(native) else []
    against = NATIVE if NATIVE in conditions else (conditions[0] if conditions else None)
    main = ""
    if against is not None:
        main = (f"SparkTrials vs serial Trials [{against}]: "
                + speedup_phrase(native[native["serial_condition"] == against]))
    emulated = []
    for cond, grp in sp[sp["serial_emulated"].astype(bool)].groupby("serial_condition", sort=True):
        emulated.append(f"SparkTrials vs serial Trials [{cond}] {EMULATED_LABEL}: "
                        + speedup_phrase(grp))
    if not main:
        return "; ".join(emulated), ""
    return main, "; ".join(emulated)


# --- cause --------------------------------------------------------------------------------
def finding_workload(finding: Finding, workloads: list[str]) -> Optional[str]:
    """The workload a finding is about (Finding.workload) if it is one of this run's, or None
    for a finding about the whole run."""
    return finding.workload if finding.workload in workloads else None


def _is_emulated(finding: Finding) -> bool:
    ev = finding.evidence if isinstance(finding.evidence, dict) else {}
    return bool(ev.get("emulated"))


def rank(findings: list[Finding], workload: str, workloads: list[str]) -> list[Finding]:
    """Findings that concern a workload, the one to headline first: most severe, then native
    before emulated, then about this workload before about the whole run, then rule order."""
    mine = [f for f in findings if finding_workload(f, workloads) in (workload, None)]

    def key(f: Finding):
        return (SEVERITIES.index(f.severity) if f.severity in SEVERITIES else len(SEVERITIES),
                _is_emulated(f), finding_workload(f, workloads) is None,
                _RULE_ORDER.index(f.rule) if f.rule in _RULE_ORDER else len(_RULE_ORDER), f.id)
    return sorted(mine, key=key)


def cause_phrase(finding: Finding, findings: list[Finding], workload: str) -> str:
    """The finding's cause in one line with its numbers; the fixed cost is split into parts."""
    ev = finding.evidence if isinstance(finding.evidence, dict) else {}
    if finding.rule == "fixed-overhead" and "fixed_s_per_trial" in ev:
        fresh = any(f.rule == "fresh-worker-per-trial" for f in findings)
        parts = [(ev.get("startup_s"), "starting the trial" + (
                     " in a fresh Python worker (with imports)" if fresh else
                     " on an executor (Spark job, worker, imports)")),
                 (ev.get("dispatch_delay_s"), "in hyperopt's 1-second loops"),
                 (ev.get("return_s"), "returning the result")]
        parts = [f"{fmt_s(v)} s {what}" for v, what in parts
                 if isinstance(v, (int, float)) and v == v and v >= 0.005]
        text = (f"each spark trial pays {fmt_s(ev['fixed_s_per_trial'])} s of fixed cost "
                f"against a {fmt_s(ev.get('objective_s'))} s objective")
        if parts:
            text += ": " + ", ".join(parts)
        return text
    summary = re.sub(r"\s*\[emulated: [^\]]+\]", "", finding.summary)  # labelled_cause does
    return re.sub(rf"^{re.escape(workload)}(:\s*|\s+)", "", summary).lstrip()


def labelled_cause(finding: Finding, findings: list[Finding], workload: str) -> str:
    """cause_phrase, labelled with its condition when it describes an emulated driver."""
    text = cause_phrase(finding, findings, workload)
    if _is_emulated(finding):
        text = f"[{finding.evidence.get('condition', '?')}] {EMULATED_LABEL}: {text}"
    return text


def fix_phrase(finding: Finding, effects: dict[str, list[dict]], workload: str) -> str:
    """The change that fixes the finding and its measured effect in this run, or what cells
    to add to measure it."""
    what_if = what_if_for(finding.rule)
    if what_if is None:
        first = re.split(r"(?<=[.;:])\s", finding.recommendation or "", maxsplit=1)[0]
        return f"{first.rstrip('.;:')} — not measured in this run" if first else ""
    rows = [r for r in effects.get(what_if.key) or [] if r["workload"] == workload]
    if not rows:
        return (f"{what_if.change} — not measured in this run: add {what_if.add_cells} "
                "to measure it")
    row = _pick_row(what_if.key, rows, finding)
    text = f"{what_if.change} — measured: {PHRASES[what_if.key](row)}"
    if len(rows) > 1 and what_if.key == "queue":
        top = [r["effect"] for r in rows if r["parallelism"] == row["parallelism"]]
        if len(top) > 1:
            text += f" (median of {len(top)} configurations, {fmt_x(min(top)).rstrip('×')}–" \
                    f"{fmt_x(max(top))})"
    return text


def _pick_row(key: str, rows: list[dict], finding: Finding) -> dict:
    """The what-if row that speaks to this finding: for the queue, the median effect at the
    highest parallelism; for threads, the condition and n_jobs the finding names."""
    if key == "queue":
        top = max(r["parallelism"] for r in rows)
        at_top = sorted((r for r in rows if r["parallelism"] == top), key=lambda r: r["effect"])
        return at_top[(len(at_top) - 1) // 2]
    ev = finding.evidence if isinstance(finding.evidence, dict) else {}
    cond, n_jobs = ev.get("condition"), ev.get("n_jobs")
    for match in (lambda r: r["condition"] == cond and r["from_n_jobs"] == n_jobs,
                  lambda r: r["condition"] == cond, lambda r: r["condition"] == NATIVE):
        hit = [r for r in rows if match(r)]
        if hit:
            return max(hit, key=lambda r: r["gap_before"])
    return rows[0]


# --- assembly -----------------------------------------------------------------------------
def _serial_conditions(analysis: Analysis, workload: str) -> set[str]:
    """Conditions the workload's serial cells ran under (an emulated finding about another
    workload's driver does not belong in this one's headline)."""
    cells = analysis.cells
    serial = cells[(cells["workload"] == workload) & (cells["mode"] == "serial")]
    return set(serial["condition"])


def headlines(run: RunData, analysis: Analysis, findings: Optional[list[Finding]],
              effects: dict[str, list[dict]]) -> list[WorkloadHeadline]:
    """One headline per workload that has finished cells."""
    workloads = sorted(set(analysis.cells["workload"])) if len(analysis.cells) else []
    out = []
    for workload in workloads:
        main, emulated = speedup_lines(analysis.speedups, workload)
        head = WorkloadHeadline(workload, main)
        if emulated:
            head.extra.append(emulated)
        if findings is None:
            head.why = "no diagnosis was run (python -m bench diagnose explains the numbers)"
        else:
            ranked = rank(findings, workload, workloads)
            if not ranked:
                head.why = "no diagnosis rule fired for this workload"
            else:
                top = ranked[0]
                head.finding_id = top.id
                head.why = labelled_cause(top, findings, workload)
                head.fix = fix_phrase(top, effects, workload)
                head.more = len(ranked) - 1
                conditions = _serial_conditions(analysis, workload)
                emulated_top = next((f for f in ranked[1:] if _is_emulated(f)
                                     and f.evidence.get("condition") in conditions
                                     and f.severity == top.severity), None)
                if emulated_top is not None and not _is_emulated(top):
                    head.emulated_why = (labelled_cause(emulated_top, findings, workload)
                                         + "; fix: " + fix_phrase(emulated_top, effects,
                                                                  workload))
        out.append(head)
    return out


def headline_text(heads: list[WorkloadHeadline], title: str = "") -> list[str]:
    """Terminal lines: per workload its speedup, why and fix (≤ 4 lines a workload)."""
    lines = [title] if title else []
    width = max((len(h.workload) for h in heads), default=0)
    pad = " " * (width + 2)
    for h in heads:
        lines.append(f"{h.workload:<{width}}  {h.speedup}"
                     + "".join(f"; {x.replace('SparkTrials ', '', 1)}" for x in h.extra))
        if h.why:
            lines.append(f"{pad}why: {h.why}")
        if h.fix:
            lines.append(f"{pad}fix: {h.fix}")
        if h.emulated_why:
            lines.append(f"{pad}why: {h.emulated_why}")
    return lines


def headline_markdown(heads: list[WorkloadHeadline]) -> list[str]:
    lines = [f"## {SECTION_TITLE}", ""]
    if not heads:
        return lines + ["No cell has finished yet.", ""]
    for h in heads:
        lines += [f"**{h.workload}** — {h.speedup}." + "".join(f" {x}." for x in h.extra)]
        lines.append("")
        if h.why:
            lines.append(f"- **Why:** {h.why}"
                         + (f" (finding `{h.finding_id}`)" if h.finding_id else "") + ".")
        if h.fix:
            lines.append(f"- **Fix:** {h.fix}.")
        if h.emulated_why:
            lines.append(f"- **Why:** {h.emulated_why}.")
        if h.more:
            lines.append(f"- {h.more} more finding(s) below.")
        lines.append("")
    return lines
