"""The answer first: per workload, three questions in this order, each with its own number —

(a) what the user's current setup (every axis at its first value: stock SparkTrials,
    max_queue_len 1, the model's default n_jobs, the inherited thread environment) does
    against serial Trials at each parallelism, natively and against any emulated driver;
(b) what each fix did: one row per fix, each changing one axis of that setup, labelled by
    kind (public knob, modified hyperopt, pool, thread pinning, wait policy, ...), with
    its measured effect at each parallelism (warm-up before the clock counted);
(c) why: the top finding as a cause with its numbers, and its fix.

Never a range across configurations: every number compares two configurations
(bench.analysis.setup_effects). All of it is generated from the analysis, the findings and
the run's what-ifs. `headlines(...)` builds the structured lines once; `headline_markdown`
(the report's first section) and `headline_text` (what `run --report` and `report` print)
render them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from ..analysis import Analysis, RunData, analyze
from ..analysis.sides import side_of, sides_in
from ..analysis.whatif import what_if_effects
from ..analysis.setup import PARALLELISM, Setup
from ..analysis.setup_effects import FixEffect, FixRow, SetupEffects, VsSerial, setup_effects
from ..model import NATIVE
from ..diagnosis import RULES, diagnose_data
from ..diagnosis.finding import SEVERITIES, Finding
from ..formats import fmt_num, fmt_s, fmt_x
from .markdown import EMULATED_LABEL, table
from .whatif import PHRASES, faster, what_if_for

SECTION_TITLE = "Headline"
#: rule names in the order the diagnosis lists its rules (most fundamental first)
_RULE_ORDER = [r.__name__.replace("_", "-") for r in RULES]


@dataclass
class WorkloadHeadline:
    workload: str
    speedup: str                       # (a) the setup against native serial, per parallelism
    setup: str = ""                    # the user's current setup in words
    extra: list[str] = field(default_factory=list)   # (a) against emulated drivers, labelled
    fixes: list[tuple[str, str, str]] = field(default_factory=list)  # (b) (kind, fix, effect)
    missing: list[str] = field(default_factory=list)  # the setup's cells to add
    why: str = ""                      # (c) the top cause with its numbers
    fix: str = ""                      # the top cause's change and its measured effect
    finding_id: Optional[str] = None   # the finding the cause comes from
    emulated_why: str = ""             # an emulated driver's top cause, and its fix
    more: int = 0                      # further findings about this workload


# --- (a) the setup against serial ---------------------------------------------------------
def speedup_phrase(values: list[VsSerial]) -> str:
    """'0.036× at p=1 (ideal 1×, n=1), 0.10× at p=2 (ideal 2×, n=1)': one number per
    parallelism, each one configuration against one."""
    return ", ".join(f"{fmt_x(v.speedup)} at p={v.parallelism} (ideal {fmt_num(v.ideal, 0)}×, "
                     f"n={v.n})" for v in values)


def speedup_lines(effects: SetupEffects) -> tuple[str, list[str]]:
    """(native line, emulated lines): the setup's SparkTrials against the setup's serial
    Trials, per serial condition."""
    by_condition: dict = {}
    for v in effects.vs_serial:
        by_condition.setdefault((v.emulated, v.condition), []).append(v)
    native = by_condition.pop((False, NATIVE), None)
    main = f"vs serial Trials [{NATIVE}]: {speedup_phrase(native)}" if native else ""
    others = [f"vs serial Trials [{cond}]{' ' + EMULATED_LABEL if emulated else ''}: "
              f"{speedup_phrase(vals)}" for (emulated, cond), vals in by_condition.items()]
    if not main and not others:
        main = ("no speedup yet: it needs finished serial and SparkTrials cells of the "
                "current setup")
    return main, others


# --- (b) what each fix did ----------------------------------------------------------------
def _where(e: FixEffect) -> str:
    if e.mode == "serial":
        return ("serial" if e.condition == NATIVE else
                f"serial [{e.condition}]" + (f" {EMULATED_LABEL}" if e.emulated else ""))
    return f"p={e.parallelism}"


def effect_phrase(e: FixEffect) -> str:
    """'p=2 10.0 s → 3.16 s incl. 1.25 s warm-up (3.17× faster, 0.32× serial; 1.91 s with
    workers already running)'."""
    warm = e.after_warmup_s
    text = f"{_where(e)} {fmt_s(e.before_s)} s → {fmt_s(e.after_s)} s"
    if warm == warm and warm > 0:
        text += f" incl. {fmt_s(warm)} s warm-up"
    text += f" ({faster(e.effect)}"
    if e.vs_serial == e.vs_serial:
        text += f", {fmt_x(e.vs_serial)} serial"
    if warm == warm and warm > 0:
        text += f"; {fmt_s(e.after_wall_s)} s with workers already running"
    elif warm != warm:
        text += "; warm-up before the clock not recorded"
    return text + ")"


def fix_lines(rows: list[FixRow]) -> list[tuple[str, str, str]]:
    """(kind, fix, measured effect in each mode and parallelism) per fix."""
    return [(r.fix.kind, r.fix.text(), "; ".join(effect_phrase(e) for e in r.effects))
            for r in rows]


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


def fix_phrase(finding: Finding, effects: dict[str, list[dict]], workload: str,
               fixes: list[FixRow] = (), setup: Optional[Setup] = None) -> str:
    """The change that fixes the finding and its measured effect in this run (the setup
    against that one-axis fix, at the highest parallelism measured), that the setup already
    has it, or what cells to add to measure it."""
    what_if = what_if_for(finding.rule)
    if what_if is None:
        first = re.split(r"(?<=[.;:])\s", finding.recommendation or "", maxsplit=1)[0]
        return f"{first.rstrip('.;:')} — not measured in this run" if first else ""
    not_measured = (f"{what_if.change} — not measured in this run: add {what_if.add_cells} "
                    "to measure it")
    if what_if.key == "queue" and setup is not None and setup.max_queue_len == PARALLELISM:
        return f"{what_if.change} — already the current setup"
    if what_if.key == "queue":
        row = next((r for r in fixes if (r.fix.axis, r.fix.value) in (
            ("max_queue_len", "parallelism"), ("variant_label", "queue"))), None)
        spark = [e for e in row.effects if e.parallelism is not None] if row else []
        if not spark:
            return not_measured
        return f"{what_if.change} — measured: {effect_phrase(spark[-1])}"
    rows = [r for r in effects.get(what_if.key) or [] if r["workload"] == workload]
    row = _pick_row(rows, finding, fixes)
    if row is None:
        return not_measured
    return f"{what_if.change} — measured: {PHRASES[what_if.key](row)}"


def _pick_row(rows: list[dict], finding: Finding, fixes) -> Optional[dict]:
    """The pinned-threads row that speaks to this finding: the condition, n_jobs and thread
    environment the finding names (else the setup's), one pair of configurations."""
    ev = finding.evidence if isinstance(finding.evidence, dict) else {}
    cond, n_jobs = ev.get("condition", NATIVE), ev.get("n_jobs")
    env = ev.get("thread_env_set", "")
    for match in (lambda r: r["condition"] == cond and r["from_n_jobs"] == n_jobs
                  and r["env_label"] == env,
                  lambda r: r["condition"] == cond and r["env_label"] == env):
        hit = [r for r in rows if match(r)]
        if hit:
            return hit[0]
    return None


# --- assembly -----------------------------------------------------------------------------
def _serial_conditions(analysis: Analysis, workload: str) -> set[str]:
    """Conditions the workload's serial cells ran under (an emulated finding about another
    workload's driver does not belong in this one's headline)."""
    cells = analysis.cells
    serial = cells[(cells["workload"] == workload) & (cells["mode"] == "serial")]
    return set(serial["condition"])


def _cause(head: WorkloadHeadline, analysis: Analysis, findings: list[Finding],
           effects: dict, measured: SetupEffects) -> None:
    """(c): the top finding's cause and fix, and an emulated driver's, on the headline."""
    fixes, setup = measured.fixes, measured.setup
    workloads = sorted(set(analysis.cells["workload"]))
    ranked = rank(findings, head.workload, workloads)
    if not ranked:
        head.why = "no diagnosis rule fired for this workload"
        return
    top = ranked[0]
    head.finding_id = top.id
    head.why = labelled_cause(top, findings, head.workload)
    head.fix = fix_phrase(top, effects, head.workload, fixes, setup)
    head.more = len(ranked) - 1
    conditions = _serial_conditions(analysis, head.workload)
    emulated_top = next((f for f in ranked[1:] if _is_emulated(f)
                         and f.evidence.get("condition") in conditions
                         and f.severity == top.severity), None)
    if emulated_top is not None and not _is_emulated(top):
        head.emulated_why = (labelled_cause(emulated_top, findings, head.workload) + "; fix: "
                             + fix_phrase(emulated_top, effects, head.workload, fixes,
                                          setup))


def headlines(run: RunData, analysis: Analysis, findings: Optional[list[Finding]],
              effects: dict[str, list[dict]]) -> list[WorkloadHeadline]:
    """One headline per workload that has finished cells; in an A/B run one per workload and
    side ('sleep <A>'), each from that side's cells alone and diagnosed on them, so the two
    sides never share a line (compare RUN gives the verdict between them)."""
    sides = sides_in(run.cells)
    if sides:
        out = []
        for side in sides:
            one = side_of(run, side)
            one_analysis = analyze(one)
            one_findings = None if findings is None else diagnose_data(one, one_analysis)
            for head in headlines(one, one_analysis, one_findings,
                                  what_if_effects(one, one_analysis)):
                head.workload = f"{head.workload} <{side}>"
                out.append(head)
        return out
    workloads = sorted(set(analysis.cells["workload"])) if len(analysis.cells) else []
    out = []
    for workload in workloads:
        measured = setup_effects(run, analysis, workload)
        main, emulated = speedup_lines(measured)
        head = WorkloadHeadline(workload, main, setup=measured.setup.text(), extra=emulated,
                                fixes=fix_lines(measured.fixes), missing=measured.missing)
        if findings is None:
            head.why = "no diagnosis was run (python -m bench diagnose explains the numbers)"
        else:
            _cause(head, analysis, findings, effects, measured)
        out.append(head)
    return out


#: What a run without fix cells is told (axes it does not have give no fix rows).
NO_FIXES = ("none measured in this run: measure the setup with one thing changed beside it "
            "(a scenario: give an axis a second value — max_queue_len, variants, n_jobs, "
            "thread_env — or add the pool mode; each other value runs as a fix of the setup. "
            "Under bench.observe: call obs.fmin again with that one change, e.g. "
            "max_queue_len=2)")


def headline_text(heads: list[WorkloadHeadline], title: str = "") -> list[str]:
    """Terminal lines per workload: the setup against serial, one line per fix, why."""
    lines = [title] if title else []
    width = max((len(h.workload) for h in heads), default=0)
    pad = " " * (width + 2)
    for h in heads:
        lines.append(f"{h.workload:<{width}}  setup: {h.setup}" if h.setup else h.workload)
        lines += [f"{pad}{x}" for x in [h.speedup] + h.extra if x]
        lines += [f"{pad}add: {m}" for m in h.missing]
        if h.fixes:
            kind_w = max(len(k) for k, _, _ in h.fixes)
            lines += [f"{pad}fix  {kind:<{kind_w}}  {fix}: {effect}" for kind, fix, effect in h.fixes]
        elif h.setup:
            lines.append(f"{pad}fixes: {NO_FIXES}")
        if h.why:
            lines.append(f"{pad}why: {h.why}")
        if h.fix:
            lines.append(f"{pad}its fix: {h.fix}")
        if h.emulated_why:
            lines.append(f"{pad}why: {h.emulated_why}")
    return lines


def headline_markdown(heads: list[WorkloadHeadline]) -> list[str]:
    lines = [f"## {SECTION_TITLE}", ""]
    if not heads:
        return lines + ["No cell has finished yet.", ""]
    for h in heads:
        lines += [f"**{h.workload}** — current setup: {h.setup}." if h.setup
                  else f"**{h.workload}**", ""]
        lines += [f"- **Setup {x.split(':', 1)[0]}:**{x.split(':', 1)[1]}." if x.startswith("vs ")
                  else f"- {x}." for x in [h.speedup] + h.extra if x]
        lines += [f"- **Not measured:** {m}." for m in h.missing]
        if h.fixes:
            lines += ["- **What each fix did** (one axis changed from the setup; setup → with "
                      "the fix, in the same mode, parallelism and driver condition; a "
                      "variant or pool that starts its workers before the clock counts that "
                      "warm-up; *× serial*: the fix against the setup's serial Trials "
                      "[native]):", "", table(["kind", "fix", "measured"],
                                             [list(f) for f in h.fixes]), ""]
        elif h.setup:
            lines.append(f"- **Fixes:** {NO_FIXES}.")
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
