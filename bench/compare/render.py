"""A comparison as text (terminal), Markdown (a pull-request comment) or JSON (machines)."""
from __future__ import annotations

import json

from ..analysis import RunData
from ..formats import fmt_s, fmt_x_ci
from ..markdown_blocks import table
from .comparison import Comparison
from .pairing import Side
from .verdicts import FASTER, INDICATIVE_BOUND, SLOWER


def _wall_text(side: Side) -> str:
    return f"{fmt_s(side.wall_median_s)} s (n={side.n})" if side.n else "—"


def _pair_text(base: float, new: float) -> str:
    return f"{fmt_s(base)} -> {fmt_s(new)}"


_HEADERS = ["configuration", "base wall", "new wall", "new/base (interval, n)", "objective s/trial",
            "overhead s/trial", "model threads", "verdict", "why"]


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
        rows.append([r.label, _wall_text(r.base), _wall_text(r.new), ratio,
                     _pair_text(r.base.objective_s, r.new.objective_s),
                     _pair_text(r.base.fixed_s, r.new.fixed_s),
                     _threads_text(r.base, r.new), r.verdict, why])
    return rows


def _summary(result: Comparison) -> str:
    counts = ", ".join(f"{v} {k}" for k, v in result.counts().items())
    gate = ("REGRESSION" if result.regressions else "no regression")
    return f"{gate}: {counts} (threshold {result.threshold}; exit {result.exit_code})"


def _run_line(name: str, run: RunData) -> str:
    m = run.manifest
    env = m.get("environment") or {}
    load = env.get("load_average")
    load_text = f", load {load[0]:.2f}" if isinstance(load, list) and load else ""
    stack = env.get("stack") or {}
    stack_text = f", stack {stack.get('name')}" if isinstance(stack, dict) and stack else ""
    return (f"{name}: {run.path} ({(m.get('scenario') or {}).get('name')}, "
            f"{m.get('created')}{stack_text}{load_text})")


def format_text(result: Comparison) -> str:
    out = [_run_line("base", result.base), _run_line("new ", result.new), ""]
    out += _environment_lines(result, markdown=False)
    out += _aligned(_HEADERS, _table_rows(result))
    out += _missing_lines(result, markdown=False)
    out += ["", _summary(result)]
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
    icon = "❌" if result.regressions else "✅"
    out = [f"### {icon} sparktrials-bench compare", "",
           f"- {_run_line('base', b)}", f"- {_run_line('new', n)}", f"- {_summary(result)}", ""]
    out += _environment_lines(result, markdown=True)
    out += [table(_HEADERS, _table_rows(result))]
    out += _missing_lines(result, markdown=True)
    return "\n".join(out) + "\n"


def format_json(result: Comparison) -> str:
    """JSON for machines; NaN (no measurement) is written as null."""
    from ..storage import dumps

    return json.dumps(json.loads(dumps({
        "base": str(result.base.path), "new": str(result.new.path),
        "threshold": str(result.threshold), "indicative_bound": INDICATIVE_BOUND,
        "exit_code": result.exit_code, "counts": result.counts(),
        "environment_differences": [{"fact": k, "base": a, "new": b}
                                    for k, a, b in result.environment],
        "only_base": result.only_base, "only_new": result.only_new,
        "configurations": [r.to_dict() for r in result.rows],
    })), indent=2)


FORMATS = {"text": format_text, "markdown": format_markdown, "json": format_json}
