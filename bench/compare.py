"""`python -m bench compare BASE NEW`: did tuning get slower between two runs, and why?

Configurations are matched by their settings (workload, mode, driver condition, parallelism,
queue length, n_jobs, max_evals, cluster shape), never by cell-id strings. For each one the
verdict follows asv's rule: a change counts only when the bootstrap interval of the wall-time
ratio excludes 1 *and* the change exceeds the threshold. The per-trial objective time and
SparkTrials' fixed overhead on both sides say which of the two moved.

Everything here is a pure function of two loaded runs, except `compare_folders` (reads the
folders) and the command-line layer at the bottom.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field

import pandas as pd

from . import keys
from .analysis import GROUP_COLS, RunData, group_walls, latency_split, load_run, thread_usage
from .analysis.completeness import completeness
from .analysis.stats import Estimate, bootstrap_median_ratio, bootstrap_paired_median_ratio, median
from .analysis.measures import fixed_costs
from .errors import BenchError
from .keys import varying_settings
from .formats import fmt_s, fmt_x_ci, is_missing
from .markdown_blocks import table

SLOWER, FASTER = "slower", "faster"
SAME = "no significant change"
INDICATIVE = "indicative only"
NOT_COMPARABLE = "not comparable"

#: With one repeat per side there is no measure of noise, so a single pair only fails a
#: gate beyond this ratio (or below its inverse). Why 2x: two draws from the same
#: distribution with +-20% repeat-to-repeat spread (what the sleep calibration shows on a
#: shared 2-core machine) can already be 1.2 / 0.8 = 1.5x apart; doubling is beyond that.
INDICATIVE_BOUND = 2.0

#: Default threshold: pytest-benchmark's usual gate.
DEFAULT_THRESHOLD = "median:10%"

EXIT_OK, EXIT_REGRESSION = 0, 1


# --- threshold grammar ------------------------------------------------------------------

@dataclass(frozen=True)
class Threshold:
    """'median:10%' (relative) or 'median:0.5' (absolute seconds), as pytest-benchmark's
    --benchmark-compare-fail reads them. Only the median is supported: the intervals are
    intervals of the median wall time."""

    stat: str
    value: float
    relative: bool

    def exceeded(self, base: float, new: float) -> bool:
        change = abs(new - base)
        limit = self.value * abs(base) if self.relative else self.value
        return change > limit

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
        raise BenchError(f"--threshold {text!r}: only 'median' is supported (compare's "
                         "intervals are intervals of the median wall time)")
    value = float(m.group("num"))
    if m.group("pct"):
        return Threshold(stat, value / 100.0, True)
    return Threshold(stat, value, False)


# --- per-configuration measurements of one run ------------------------------------------

#: A configuration's settings in GROUP_COLS order, as plain values (bench.keys).
config_key = keys.config_key


def _planned_key(cell: dict) -> tuple:
    """The configuration key of a planned cell from the manifest, labelled by the analysis'
    own rule (frames._add_settings), so planned and finished cells key alike."""
    from .analysis.frames import _add_settings

    return config_key(_add_settings(pd.DataFrame([cell])).iloc[0])


@dataclass
class Side:
    """One run's measurements of one configuration."""

    walls: dict = field(default_factory=dict)   # repeat -> fmin wall (usable cells)
    wall_median_s: float = float("nan")
    cells_failed: int = 0
    cells_missing: int = 0
    trials_failed: int = 0
    trials: int = 0
    objective_s: float = float("nan")           # median per trial
    fixed_s: float = float("nan")               # median SparkTrials fixed cost per trial
    model_threads: str = ""                     # threads the model really used (values seen)
    omp_num_threads: str = ""                   # OMP_NUM_THREADS the trials saw

    @property
    def n(self) -> int:
        return len(self.walls)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["walls"] = {str(k): v for k, v in self.walls.items()}
        out["n"] = self.n
        return out


def _group(frame: pd.DataFrame):
    return frame.groupby(GROUP_COLS, dropna=False, sort=False)


def run_sides(run: RunData) -> dict[tuple, Side]:
    """Every configuration of a run with its walls, per-trial split and failures, built from
    the analysis layer (group_walls, latency_split) and the diagnosis' fixed-cost measure."""
    cells, trials = run.cells, run.trials
    sides: dict[tuple, Side] = {}
    for row in group_walls(cells).to_dict("records"):
        sides[config_key(row)] = Side(wall_median_s=float(row["wall_median_s"]),
                                      cells_failed=int(row["cells_failed"]))
    for key, grp in _group(cells):
        side = sides.setdefault(config_key(dict(zip(GROUP_COLS, key))), Side())
        usable = grp[~grp["failed"] & grp["wall_s"].notna()]
        side.walls = {int(r): float(w) for r, w in zip(usable["repeat"], usable["wall_s"])}
        side.trials_failed = int(pd.to_numeric(grp["trials_failed"]).fillna(0).sum())
    for row in latency_split(trials).to_dict("records"):
        side = sides.get(config_key(row))
        if side is not None:
            side.objective_s, side.trials = row["median_objective_s"], int(row["trials"])
    for row in thread_usage(trials).to_dict("records"):
        side = sides.get(config_key(row))
        if side is not None:
            side.model_threads = row["model_threads_effective"]
            side.omp_num_threads = row["omp_num_threads"]
    ok = trials[trials["status"] == "ok"]
    if len(ok):
        for key, grp in _group(fixed_costs(ok, cells, run.spark_tasks)):
            side = sides.get(config_key(dict(zip(GROUP_COLS, key))))
            if side is not None:
                side.fixed_s = median(grp["fixed_s"])
    done = completeness(run.manifest, cells, trials, run.bad_lines, run.orphan_trials)
    for planned in done.missing_cells:
        sides.setdefault(_planned_key(planned), Side()).cells_missing += 1
    return sides


# --- the comparison ----------------------------------------------------------------------

@dataclass
class Row:
    """One configuration present in both runs."""

    settings: dict
    label: str
    base: Side
    new: Side
    ratio: Estimate
    paired: bool
    verdict: str
    reason: str
    cause: str | None          # 'objective', 'overhead', 'other' or None
    attribution: str

    @property
    def regression(self) -> bool:
        return self.verdict == SLOWER

    @property
    def cause_text(self) -> str:
        """The attribution's part that names the cause (the whole text for 'other')."""
        if self.cause in ("objective", "overhead"):
            key = "objective" if self.cause == "objective" else "SparkTrials overhead"
            return next((p for p in self.attribution.split("; ") if p.startswith(key)),
                        self.attribution)
        return self.attribution or "—"

    def to_dict(self) -> dict:
        return {"settings": self.settings, "label": self.label,
                "base": self.base.to_dict(), "new": self.new.to_dict(),
                "ratio": _json_num(self.ratio.value), "ratio_low": _json_num(self.ratio.low),
                "ratio_high": _json_num(self.ratio.high), "ratio_interval": self.ratio.kind,
                "ratio_n": self.ratio.n, "paired": self.paired,
                "verdict": self.verdict, "regression": self.regression, "reason": self.reason,
                "cause": self.cause, "attribution": self.attribution}


def _json_num(x):
    return None if is_missing(x) or (isinstance(x, float) and not math.isfinite(x)) else x


def wall_ratio(base: Side, new: Side) -> tuple[Estimate, bool]:
    """new / base median wall with a bootstrap interval; paired by repeat when both runs
    have exactly the same repeat indices."""
    if base.n and new.n and sorted(base.walls) == sorted(new.walls):
        reps = sorted(base.walls)
        return bootstrap_paired_median_ratio([new.walls[r] for r in reps],
                                             [base.walls[r] for r in reps]), True
    return bootstrap_median_ratio(list(new.walls.values()), list(base.walls.values())), False


def _not_comparable_reason(base: Side, new: Side) -> str | None:
    problems = []
    for name, side in (("base", base), ("new", new)):
        if side.n == 0:
            problems.append(f"{name}: no finished cell")
        if side.cells_failed:
            problems.append(f"{name}: {side.cells_failed} failed cell(s)")
        if side.cells_missing:
            problems.append(f"{name}: {side.cells_missing} planned cell(s) not run")
        if side.trials_failed:
            problems.append(f"{name}: {side.trials_failed} failed trial(s)")
    return "; ".join(problems) or None


def verdict(ratio: Estimate, base: Side, new: Side, threshold: Threshold) -> tuple[str, str]:
    """(verdict, reason) by asv's rule; one repeat per side is indicative only unless the
    change is beyond INDICATIVE_BOUND."""
    problem = _not_comparable_reason(base, new)
    if problem:
        return NOT_COMPARABLE, problem
    b, n = float(pd.Series(list(base.walls.values())).median()), \
        float(pd.Series(list(new.walls.values())).median())
    exceeds = threshold.exceeded(b, n)
    direction = SLOWER if ratio.value > 1 else FASTER
    if min(base.n, new.n) < 2:
        beyond = ratio.value >= INDICATIVE_BOUND or ratio.value <= 1 / INDICATIVE_BOUND
        if beyond and exceeds:
            return direction, (f"one repeat per side, but beyond the {INDICATIVE_BOUND:g}x "
                               "bound for single runs")
        return INDICATIVE, (f"one repeat per side: no interval; fails only beyond "
                            f"{INDICATIVE_BOUND:g}x (run repeats >= 2, 5 recommended)")
    excludes_one = ratio.low > 1 or ratio.high < 1
    if excludes_one and exceeds:
        return direction, f"interval excludes 1 and change exceeds {threshold}"
    if not excludes_one:
        return SAME, "interval includes 1"
    return SAME, f"interval excludes 1 but change within {threshold}"


def attribute(base: Side, new: Side, wall_ratio_value: float) -> tuple[str | None, str]:
    """Which per-trial part moved with the wall time: the objective's own time or
    SparkTrials' fixed cost per trial (dispatch wait with a free slot + worker start and
    imports + return). The part with the larger change in the wall's direction is the cause."""
    parts = []
    d_obj = new.objective_s - base.objective_s
    d_fix = new.fixed_s - base.fixed_s
    if math.isfinite(d_obj) and base.objective_s > 0:
        parts.append(("objective", d_obj, f"objective {new.objective_s / base.objective_s:.2f}x "
                      f"({fmt_s(base.objective_s)} -> {fmt_s(new.objective_s)} s/trial)"))
    if math.isfinite(d_fix):
        parts.append(("overhead", d_fix, f"SparkTrials overhead {d_fix:+.2f} s per trial "
                      f"({fmt_s(base.fixed_s)} -> {fmt_s(new.fixed_s)} s)"))
    if not parts or not math.isfinite(wall_ratio_value):
        return None, ""
    sign = 1 if wall_ratio_value >= 1 else -1
    moving = [p for p in parts if p[1] * sign > 0]
    ordered = sorted(parts, key=lambda p: -abs(p[1]))
    text = "; ".join(p[2] for p in ordered)
    if not moving:
        return "other", text + "; neither part moved with the wall time (search or queueing)"
    cause = max(moving, key=lambda p: abs(p[1]))
    return cause[0], text


@dataclass
class Comparison:
    base: RunData
    new: RunData
    threshold: Threshold
    rows: list
    only_base: list          # labels of configurations present in BASE only
    only_new: list
    environment: list        # [(fact, base value, new value)] that differ

    @property
    def regressions(self) -> list:
        return [r for r in self.rows if r.regression]

    @property
    def exit_code(self) -> int:
        return EXIT_REGRESSION if self.regressions else EXIT_OK

    def counts(self) -> dict:
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out


def compare_runs(base: RunData, new: RunData, threshold: Threshold | str = DEFAULT_THRESHOLD
                 ) -> Comparison:
    """Pure: two loaded runs -> the comparison (rows sorted like the report's settings)."""
    if isinstance(threshold, str):
        threshold = parse_threshold(threshold)
    sides_b, sides_n = run_sides(base), run_sides(new)
    show = varying_settings(base.cells, new.cells) if len(base.cells) and len(new.cells) \
        else set()

    def label(key: tuple) -> str:  # every axis, thread environment included: one label each
        s = dict(zip(GROUP_COLS, key))
        return f"{s['workload']} {keys.label_of(s, show)}"

    def order(key: tuple):  # every axis, thread environment included: no ties, one order
        s = dict(zip(GROUP_COLS, key))
        return (str(s["workload"]), keys.sort_key_of(s))

    common = sorted(set(sides_b) & set(sides_n), key=order)
    rows = []
    for key in common:
        b, n = sides_b[key], sides_n[key]
        ratio, paired = wall_ratio(b, n)
        v, reason = verdict(ratio, b, n, threshold)
        cause, why = attribute(b, n, ratio.value)
        rows.append(Row(dict(zip(GROUP_COLS, key)), label(key), b, n, ratio, paired, v, reason,
                        cause, why))
    return Comparison(
        base=base, new=new, threshold=threshold, rows=rows,
        only_base=[label(k) for k in sorted(set(sides_b) - set(sides_n), key=order)],
        only_new=[label(k) for k in sorted(set(sides_n) - set(sides_b), key=order)],
        environment=environment_differences(base.manifest, new.manifest))


def compare_folders(base, new, threshold: Threshold | str = DEFAULT_THRESHOLD) -> Comparison:
    b, n = load_run(base), load_run(new)  # schema versions checked (and upgraded) on read
    result = compare_runs(b, n, threshold)
    if not result.rows:
        raise BenchError(f"{base} and {new}: no configuration in common (base has "
                         f"{len(result.only_base)}, new has {len(result.only_new)}); compare "
                         "runs of the same scenario")
    return result


# --- environment differences -------------------------------------------------------------

#: Spark settings that differ between any two sessions and say nothing about the setup.
_VOLATILE_CONF = ("spark.app.id", "spark.app.startTime", "spark.app.submitTime",
                  "spark.driver.port", "spark.eventLog.dir", "spark.sql.warehouse.dir",
                  "spark.executor.id", "spark.app.initial.")
#: Environment facts that change from run to run on the same setup (shown apart).
_VOLATILE_ENV = ("load_average",)


def environment_facts(manifest: dict) -> dict:
    """The facts of a run's setup that can explain a change, as dotted keys -> text."""
    from .markdown_blocks import flatten

    env = {k: v for k, v in (manifest.get("environment") or {}).items()
           if k not in _VOLATILE_ENV}
    facts = {f"environment.{k}": v for k, v in flatten(env)}
    spark = dict(manifest.get("spark") or {})
    conf = spark.pop("conf", {}) or {}
    spark.pop("app_id", None)
    facts.update({f"spark.{k}": v for k, v in flatten(spark)})
    facts.update({f"spark.conf.{k}": v for k, v in conf.items()
                  if not k.startswith(_VOLATILE_CONF)})
    scn = manifest.get("scenario") or {}
    facts["scenario.name"] = scn.get("name")
    facts["scenario.sha256"] = (scn.get("sha256") or "")[:12] or None
    facts["profile"] = manifest.get("profile")
    facts["requested.conf"] = (manifest.get("requested") or {}).get("conf")
    return {k: v for k, v in facts.items()}


def environment_differences(base: dict, new: dict) -> list[tuple[str, object, object]]:
    """(fact, base, new) for every fact that differs, packages first."""
    a, b = environment_facts(base), environment_facts(new)
    keys = sorted(set(a) | set(b), key=lambda k: (not k.startswith("environment.packages"),
                                                  not k.startswith("environment.stack"), k))
    return [(k, a.get(k), b.get(k)) for k in keys
            if json.dumps(a.get(k), sort_keys=True, default=str)
            != json.dumps(b.get(k), sort_keys=True, default=str)]


# --- output ---------------------------------------------------------------------------------

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
    from .storage import dumps

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


# --- command line ---------------------------------------------------------------------------

def add_parser(sub):
    p = sub.add_parser(
        "compare", help="compare two runs: slower / faster / no significant change, and why",
        description="Match configurations of two runs by their settings and say, for each, "
                    "whether fmin got slower (interval of the wall-time ratio excludes 1 and "
                    "the change exceeds the threshold). Exit 0: no regression, 1: regression, "
                    "2: bad input.")
    p.add_argument("base", help="baseline results folder")
    p.add_argument("new", help="candidate results folder")
    p.add_argument("--threshold", default=DEFAULT_THRESHOLD,
                   help="smallest change that counts: 10%%, median:10%% or median:SECONDS "
                        "(default %(default)s)")
    p.add_argument("--format", default="text", choices=sorted(FORMATS))
    return p


def run(args) -> int:
    threshold = parse_threshold(args.threshold)
    result = compare_folders(args.base, args.new, threshold)
    print(FORMATS[args.format](result))
    return result.exit_code
