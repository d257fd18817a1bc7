"""A comparison as text (terminal), Markdown (a pull-request comment) or JSON (machines)."""
from __future__ import annotations

import json

from ..analysis import RunData
from ..analysis.cores import other_busy_cores
from ..formats import fmt_num, fmt_s, fmt_x_ci
from ..markdown_blocks import table
from .comparison import Comparison
from .pairing import Side
from .verdicts import FASTER, INDICATIVE_BOUND, LOAD_GAP_CORES, SLOWER


def _wall_text(side: Side) -> str:
    return f"{fmt_s(side.paid_median_s)} s (n={side.n})" if side.n else "—"


def _pair_text(base: float, new: float) -> str:
    return f"{fmt_s(base)} -> {fmt_s(new)}"


_HEADERS = ["configuration", "base time", "new time", "new/base (interval, n)", "objective s/trial",
            "overhead s/trial", "model threads", "load (cores)", "verdict", "why"]


#: What the time columns count (frames.warmup_and_paid), said above every table.
TIME_NOTE = ("time = warm-up before the clock (workers a variant or the pool started first) "
             "+ fmin wall: what a user pays per call; median over complete cells")


def _threads_text(base: Side, new: Side) -> str:
    """Model threads used (OMP_NUM_THREADS seen), one side or 'base -> new' when they differ."""
    def one(side: Side) -> str:
        omp = side.omp_num_threads
        return f"{side.model_threads or '?'}" + (f" (omp {omp})" if omp and omp != "unset" else "")
    a, b = one(base), one(new)
    return a if a == b else f"{a} -> {b}"


def _table_rows(result: Comparison) -> list[list[str]]:
    rows = []
    for r in result.rows:
        ratio = fmt_x_ci(r.ratio.value, r.ratio.low, r.ratio.high, r.ratio.n, r.ratio.kind)
        why = r.reason
        if r.verdict in (SLOWER, FASTER):
            why = f"cause: {r.cause_text}" + (f" ({r.reason})" if "bound" in r.reason else "")
        if r.load_note:
            why += f"; {r.load_note}"
        rows.append([r.label, _wall_text(r.base), _wall_text(r.new), ratio,
                     _pair_text(r.base.objective_s, r.new.objective_s),
                     _pair_text(r.base.fixed_s, r.new.fixed_s),
                     _threads_text(r.base, r.new), _load_text(r.base, r.new), r.verdict, why])
    return rows


def _load_text(base: Side, new: Side) -> str:
    """Cores other processes kept busy beside the trials, base -> new ('!' when they differ
    by LOAD_GAP_CORES or more)."""
    mark = " !" if abs(new.load_cores - base.load_cores) >= LOAD_GAP_CORES else ""
    return f"{fmt_num(base.load_cores)} -> {fmt_num(new.load_cores)}{mark}"


#: what each exit code says, for the summary line
_GATE = {0: "no regression", 1: "REGRESSION", 3: "NOT COMPARABLE"}


def _summary(result: Comparison) -> str:
    counts = ", ".join(f"{v} {k}" for k, v in result.counts().items())
    only = len(result.only_base) + len(result.only_new)
    counts += f", {only} in one run only" if only else ""
    how = "paired by block" if result.paired else "independent runs"
    return (f"{_GATE.get(result.exit_code, '')}: {counts} (threshold {result.threshold}; "
            f"{how}; exit {result.exit_code})")


def _gate_lines(result: Comparison) -> list[str]:
    """What holds the gate beside the regressions: not comparable, unstable."""
    out = []
    if result.not_comparable:
        what = ("listed, not failing (--allow-incomparable)" if result.allow_incomparable
                else "exit 3 (--allow-incomparable to list them only)")
        out.append(f"Not comparable, {what}: " + ", ".join(result.not_comparable))
    if result.unstable:
        what = "exit 3 (--fail-on-unstable)" if result.fail_on_unstable else \
            "listed, not failing (--fail-on-unstable to fail)"
        out.append(f"Unstable, {what}: " + ", ".join(r.label for r in result.unstable))
    return out


def _run_line(name: str, run: RunData) -> str:
    m = run.manifest
    load = m.load_average
    load_text = f", load {load[0]:.2f}" if isinstance(load, list) and load else ""
    busy = other_busy_cores(run.trials) if len(run.trials) else float("nan")
    if busy == busy:
        load_text += f", other processes kept {busy:.2f} cores busy beside its trials"
    stack_text = f", stack {m.stack_name}" if m.stack_name is not None else ""
    if len(m.ab_sides) == 1:  # one side of an A/B run (bench.analysis.sides.side_of)
        (side, entry), = m.ab_sides.items()
        stack_text = f", side {side}: stack {entry.get('stack')}, {entry.get('scenario')}"
    return f"{name}: {run.path} ({m.scenario_name}, {m.created}{stack_text}{load_text})"


def format_text(result: Comparison) -> str:
    out = [_run_line("base", result.base), _run_line("new ", result.new), ""]
    out += _environment_lines(result, markdown=False)
    out += [TIME_NOTE, ""] + _aligned(_HEADERS, _table_rows(result))
    out += _missing_lines(result, markdown=False)
    gate = _gate_lines(result)
    out += ([""] + gate if gate else []) + ["", _summary(result)]
    return "\n".join(out)


def _aligned(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Plain-text table; the last column is left unpadded (it can be long)."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)] if rows else \
        [len(h) for h in headers]
    def line(vals):
        return "  ".join(str(v).ljust(w) for v, w in zip(vals[:-1], widths[:-1])) + \
            "  " + str(vals[-1])
    return [line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows]


def _environment_lines(result: Comparison, markdown: bool) -> list[str]:
    if not result.environment:
        return ["Environments: no difference in packages, Python, Java, cores, Spark master "
                "or settings.", ""]
    title = "Environment differences (possible causes):"
    rows = [[k, _short(a), _short(b)] for k, a, b in result.environment]
    if markdown:
        return [f"**{title}**", "", table(["", "base", "new"], rows), ""]
    return [title] + ["  " + line for line in _aligned(["fact", "base", "new"], rows)] + [""]


def _short(value, limit: int = 70) -> str:
    text = "—" if value is None else (json.dumps(value, sort_keys=True, default=str)
                                      if isinstance(value, (dict, list)) else str(value))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _missing_lines(result: Comparison, markdown: bool) -> list[str]:
    out = []
    for name, labels in (("base", result.only_base), ("new", result.only_new)):
        if labels:
            out += ["", f"Only in {name} (not compared): " + ", ".join(labels)]
    return out


def format_markdown(result: Comparison) -> str:
    """For a pull-request comment."""
    b, n = result.base, result.new
    icon = "❌" if result.exit_code else "✅"
    out = [f"### {icon} sparktrials-bench compare", "",
           f"- {_run_line('base', b)}", f"- {_run_line('new', n)}", f"- {_summary(result)}", ""]
    out += _environment_lines(result, markdown=True)
    out += [TIME_NOTE, "", table(_HEADERS, _table_rows(result))]
    out += _missing_lines(result, markdown=True)
    out += [line for g in _gate_lines(result) for line in ("", g)]
    return "\n".join(out) + "\n"


def format_json(result: Comparison) -> str:
    """JSON for machines; NaN (no measurement) is written as null."""
    from ..storage import dumps

    return json.dumps(json.loads(dumps({
        "base": str(result.base.path), "new": str(result.new.path),
        "threshold": str(result.threshold), "indicative_bound": INDICATIVE_BOUND,
        "exit_code": result.exit_code, "counts": result.counts(), "paired": result.paired,
        "not_comparable": result.not_comparable,
        "unstable": [r.label for r in result.unstable],
        "environment_differences": [{"fact": k, "base": a, "new": b}
                                    for k, a, b in result.environment],
        "only_base": result.only_base, "only_new": result.only_new,
        "configurations": [r.to_dict() for r in result.rows],
    })), indent=2)


FORMATS = {"text": format_text, "markdown": format_markdown, "json": format_json}
