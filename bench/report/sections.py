"""The report's Markdown sections, each a pure function of the manifest and analysis tables."""
from __future__ import annotations

from collections import Counter
from typing import Optional

import pandas as pd

from .. import keys
from ..analysis import Analysis
from ..analysis.latency import spark_part_docs
from ..analysis.quality import search_not_comparable
from ..model import NATIVE, Manifest
from ..diagnosis.finding import Finding
from ..diagnosis.units import UndeclaredEvidence
from ..errors import BenchError
from .markdown import (EMULATED_LABEL, flatten, fmt_bytes, fmt_ci, fmt_int, fmt_num, fmt_pct, fmt_s, fmt_value,
                       fmt_x_ci, is_missing, key_value_table, table)


# --- what was run, on what ----------------------------------------------------------------
#: (title, anchor) of the report's main sections, for the contents line
CONTENTS = [("headline", "headline"), ("findings", "findings"),
            ("what-ifs", "what-the-recommended-changes-did-measured"), ("charts", "charts"),
            ("summary", "summary-per-workload"),
            ("speedup detail", "speedup-against-every-serial-condition"),
            ("latency", "per-trial-latency-split"), ("concurrency", "achieved-concurrency"),
            ("threads", "cores-and-threads-per-trial"), ("placement", "where-trials-ran"),
            ("search quality", "search-quality"), ("what was run", "appendix-what-was-run"),
            ("machine and Spark", "appendix-machine-and-spark")]


def _known(value):
    return "?" if value is None else value


def header(manifest: Manifest, analysis: Analysis) -> list[str]:
    c = analysis.completeness
    m = manifest
    lines = [f"# SparkTrials benchmark report: `{_known(m.run_id)}`", "",
             f"Scenario **{_known(m.scenario_name)}**, profile **{_known(m.profile)}**, "
             f"created {_known(m.created)}, run status **{c.status}**: "
             f"{c.finished} of {c.planned} planned cells finished.", ""]
    if c.partial:
        lines += ["> **This run is incomplete** — see [Missing data](#missing-data) for what "
                  "the numbers below do not include.", ""]
    lines += ["Contents: " + " · ".join(f"[{title}](#{anchor})" for title, anchor in CONTENTS),
              ""]
    return lines


def what_was_run(manifest: Manifest, analysis: Analysis) -> list[str]:
    m = manifest
    cells = analysis.cells
    repeats = (cells.groupby(["workload", "setting"])["repeat"].nunique() if len(cells)
               else pd.Series(dtype=int))  # a label is one configuration within a workload
    lines = ["## Appendix: what was run", ""]
    if m.scenario_description:
        lines += [str(m.scenario_description).strip(), ""]
    lines += [key_value_table([
        ("scenario", m.scenario_name), ("scenario file", m.scenario_path),
        ("scenario sha256", (m.scenario_sha256 or "")[:16] or None),
        ("profile", m.profile),
        ("cells finished / planned",
         f"{analysis.completeness.finished} / {analysis.completeness.planned}"),
        ("repeats per configuration (finished)",
         f"{repeats.min()}–{repeats.max()}" if len(repeats) and repeats.min() != repeats.max()
         else (repeats.min() if len(repeats) else None)),
        ("command", " ".join(map(str, m.argv or [])) or None),
    ]), ""]
    if m.grid:
        pairs = [(k, _clip(v)) for k, v in flatten(m.grid)]
        lines += ["Resolved grid:", "", key_value_table(pairs, ("setting", "value")), ""]
    return lines


def conditions(manifest: Manifest, analysis: Analysis) -> list[str]:
    conds = manifest.condition_entries()
    used = set(analysis.cells["condition"]) if len(analysis.cells) else set()
    emulated = [name for name, (is_emulated, _) in conds.items() if is_emulated]
    lines = ["## Native and emulated results", ""]
    lines.append("Spark cells always run natively. " + (
        "Serial cells ran natively only." if not (emulated and used & set(emulated)) else
        "Serial cells under " + ", ".join(f"**{n}**" for n in emulated if n in used)
        + " ran on an **emulated** driver: their numbers, and any speedup computed against "
        "them, describe the emulation, not a real machine."))
    lines += ["", table(["condition", "native or emulated", "description", "cells finished"], [
        [name, "emulated" if is_emulated else "native", description or "—",
         int((analysis.cells["condition"] == name).sum()) if len(analysis.cells) else 0]
        for name, (is_emulated, description) in conds.items()]), ""]
    return lines


def environment(manifest: Manifest) -> list[str]:
    lines = ["## Appendix: machine and Spark", ""]
    if manifest.environment_facts():
        pairs = flatten(manifest.environment_facts(leave_out=("memory_bytes",)))
        if manifest.memory_bytes is not None:
            pairs.append(("memory", fmt_bytes(manifest.memory_bytes)))
        lines += [key_value_table(pairs, ("environment", "value")), ""]
    else:
        lines += ["The manifest records no environment.", ""]
    if manifest.session_facts():
        conf = manifest.session_conf
        spark = manifest.session_facts(leave_out=("conf",))
        lines += [key_value_table(list(spark.items()), ("spark", "value")), ""]
        if conf:
            lines += ['<details markdown="1"><summary>Spark configuration set by the run '
                      f"({len(conf)} keys)</summary>", "",
                      key_value_table([(k, _clip(v)) for k, v in sorted(conf.items())],
                                      ("key", "value")), "",
                      "</details>", ""]
    else:
        lines += ["The manifest records no Spark session (no spark cells started yet).", ""]
    return lines


def _clip(value, width: int = 160) -> str:
    text = fmt_value(value)
    return text if len(text) <= width else text[: width - 1] + "…"


# --- numbers ------------------------------------------------------------------------------
def emulated_conditions(manifest: Manifest) -> set[str]:
    return {name for name, (emulated, _) in manifest.condition_entries().items() if emulated}


def summary(analysis: Analysis, emulated: set[str] = frozenset()) -> list[str]:
    """Per workload: one row per configuration with its fmin wall time. Each other measure
    has one table of its own below (speedups, per-trial latency, cores and threads); this
    one does not repeat them."""
    walls = analysis.walls
    lines = ["## Summary per workload", ""]
    if len(walls) == 0:
        return lines + ["No cell has finished yet.", ""]
    lines += ["Wall = one fmin call, median over repeats. Intervals: with fewer than 5 "
              "repeats the min–max range of what was observed (labelled range; not a "
              "confidence interval), from 5 repeats a 95% bootstrap interval (CI); n = "
              "repeats behind it. Warm-up = seconds spent starting workers before the clock "
              "(a variant or the pool started them first); every speedup counts it with the "
              "wall. Speedups are in [Speedup against every serial condition]"
              "(#speedup-against-every-serial-condition), per-trial medians in [Per-trial "
              "latency split](#per-trial-latency-split), cores and threads in [Cores and "
              "threads per trial](#cores-and-threads-per-trial).", ""]
    warm = bool((walls["warmup_median_s"].fillna(1.0) > 0).any())  # NaN: pool, not recorded
    for workload, grp in walls.groupby("workload", sort=True):
        lines += [f"### {workload}", ""] + failed_modes_note(grp)
        rows = []
        for w in grp.sort_values("setting_order").to_dict("records"):
            rows.append([
                w["setting"] + (" " + EMULATED_LABEL if w["condition"] in emulated else ""),
                f"{w['cells']}" + (f" (+{w['cells_failed']} failed)"
                                   if w["cells_failed"] else "")
                + (f" (+{w['cells_incomplete']} incomplete: {w['trials_ok']} of "
                   f"{w['trials_asked']} trials ok)" if w.get("cells_incomplete") else ""),
                fmt_ci(w["wall_median_s"], w["wall_low_s"], w["wall_high_s"],
                       n=w["cells"], kind=w.get("wall_interval")),
            ] + ([fmt_s(w["warmup_median_s"])] if warm else []) + [
                f"{w['trials_ok']} of {w['trials_asked']}",
            ])
        lines += [table(["configuration", "cells", "fmin wall, s (interval, n)"]
                        + (["warm-up before the clock, s"] if warm else []) + ["trials ok"],
                        rows), ""]
    return lines


def failed_modes_note(walls: pd.DataFrame) -> list[str]:
    """A bold line for each mode of a workload in which no trial succeeded: its wall times
    are not speeds and no speedup is shown (see Failed trials for the errors)."""
    out = []
    for mode, grp in walls.groupby("mode", sort=True):
        if grp["trials_asked"].sum() and not grp["trials_ok"].sum():
            out += [f"**Every {mode} trial failed** — no wall time or speedup is reported "
                    "for it; the errors are listed under [Failed trials](#failed-trials).", ""]
    return out


def errors_section(analysis: Analysis, max_rows: int = 40) -> list[str]:
    """Distinct errors of failed trials per configuration, with counts."""
    errors = analysis.errors
    if errors is None or not len(errors):
        return []
    lines = ["## Failed trials", "",
             "Status `fail`: the objective raised or returned no usable loss (the message is "
             "the objective's own). Status `error`: the Spark task failed before or around the "
             "objective (the message is Spark's). Full tracebacks are in `trials.jsonl`.", ""]
    rows = [[r["workload"], r["setting"], r["status"], f"{r['trials']} of {r['of_trials']}",
             _clip(str(r["error"]), 300), r["first_tid"]]
            for r in errors.head(max_rows).to_dict("records")]
    lines += [table(["workload", "configuration", "status", "trials", "error",
                     "first trial (tid)"], rows), ""]
    if len(errors) > max_rows:
        lines += [f"({len(errors) - max_rows} more distinct errors in `trials.jsonl`.)", ""]
    return lines


def speedup_detail(analysis: Analysis) -> list[str]:
    sp = analysis.speedups
    lines = ["## Speedup against every serial condition", ""]
    if len(sp) == 0:
        return lines + ["No speedup yet: it needs finished serial and spark cells with the same "
                        "workload, n_jobs and max_evals.", ""]
    lines += ["Ideal = min(parallelism, task slots). Karp–Flatt serial fraction "
              "e = (1/S − 1/p)/(1 − 1/p) and efficiency S/p with p = the ideal (trials beyond the "
              "task slots queue, they add no processors): near 0 the work scales, "
              "a value that grows with p means overhead grows with parallelism, a negative "
              "value means a superlinear speedup (each spark trial ran faster than serial), "
              "a value above 1 means spark was slower than serial.",
              ""]
    rows = [[r["workload"], r["setting"], r["serial_setting"]
             + (" " + EMULATED_LABEL if r["serial_emulated"] else ""),
             fmt_s(r["serial_wall_s"]), fmt_s(r["spark_paid_s"]),
             fmt_x_ci(r["speedup"], r["speedup_low"], r["speedup_high"], r.get("speedup_n"),
                      r.get("speedup_interval")),
             fmt_num(r["ideal"], 0), fmt_num(r["efficiency"]), fmt_num(r["karp_flatt"]),
             f"{r['serial_cells']} / {r['spark_cells']}"]
            for r in sp.to_dict("records")]
    return lines + [table(["workload", "spark configuration", "serial configuration",
                           "serial wall, s", "spark warm-up + wall, s",
                           "speedup (interval, n)", "ideal",
                           "efficiency", "Karp–Flatt e", "cells serial / spark"], rows), ""]


def latency_detail(analysis: Analysis) -> list[str]:
    lat = analysis.latency
    lines = ["## Per-trial latency split", ""]
    if len(lat) == 0:
        return lines + ["No trials yet.", ""]
    lines += ["Medians per trial, and each part's share of the total latency "
              "(sum of the part ÷ sum of latencies over trials with all four parts).", ""]
    parts = ["wait_dispatch_s", "dispatch_to_start_s", "objective_s", "return_s"]
    rows = []
    for r in lat.to_dict("records"):
        rows.append([r["workload"], r["setting"], r["trials"]]
                    + [f"{fmt_s(r['median_' + p])} ({fmt_pct(r.get('share_' + p))})"
                       for p in parts]
                    + [fmt_s(r["median_total_s"]), fmt_pct(r["share_pre_objective"])])
    lines += [table(["workload", "configuration", "trials", "queue wait, s (share)",
                     "dispatch → start, s (share)", "objective, s (share)",
                     "return, s (share)", "total, s", "before objective"], rows), ""]
    return lines + spark_side(analysis)


def spark_side(analysis: Analysis) -> list[str]:
    sl = analysis.spark_latency
    if len(sl) == 0:
        return ["Spark-side split: no spark_tasks.jsonl records joined to trials, so "
                "dispatch → start is not split further.", ""]
    docs = spark_part_docs()
    cols = ["submit_s", "schedule_s", "scheduler_delay_s", "deserialize_s",
            "launch_to_start_s", "python_start_s", "result_serialize_s"]
    rows = [[r["workload"], r["setting"], r["trials_joined"]]
            + [fmt_s(r["median_" + c]) for c in cols] for r in sl.to_dict("records")]
    legend = "; ".join(f"*{c}*: {docs[c]}" for c in cols)
    return ["### Spark side of dispatch → start (medians, s)", "",
            table(["workload", "configuration", "trials joined"] + cols, rows), "",
            legend + ".", ""]


def concurrency_detail(analysis: Analysis) -> list[str]:
    conc = analysis.concurrency
    lines = ["## Achieved concurrency", ""]
    if len(conc) == 0:
        return lines + ["No trials yet.", ""]
    lines += ["Objectives running at once, time-weighted over the fmin call (median over "
              "repeats), and over the busy span from first objective start to last end.", ""]
    rows = [[r["workload"], r["setting"], r["requested"], fmt_num(r["mean_concurrency"]),
             fmt_num(r["busy_concurrency"]), fmt_int(r["max_concurrency"]),
             fmt_pct(r["mean_concurrency"] / r["requested"]) if r["requested"] else "—"]
            for r in conc.to_dict("records")]
    return lines + [table(["workload", "configuration", "requested", "mean over fmin",
                           "mean over busy span", "max", "mean ÷ requested"], rows), ""]


def threads_detail(analysis: Analysis) -> list[str]:
    thr = analysis.threads
    lines = ["## Cores and threads per trial", ""]
    if len(thr) == 0:
        return lines + ["No trials yet.", ""]
    rows = [[r["workload"], r["setting"], fmt_num(r["effective_cores_median"]),
             fmt_num(r["effective_cores_p90"]), fmt_num(r["peak_threads_median"], 0),
             r["omp_num_threads"], r["model_threads_requested"], r["model_threads_effective"]]
            for r in thr.to_dict("records")]
    return lines + [table(["workload", "configuration", "effective cores (median)",
                           "effective cores (p90)", "peak threads (median)",
                           "OMP_NUM_THREADS seen", "model threads requested",
                           "model threads used"], rows), ""]


def sizing_detail(analysis: Analysis) -> list[str]:
    sz = analysis.sizing
    if len(sz) == 0:
        return []
    rows = [[r["workload"], r["cluster_label"], r["total_cores"], fmt_int(r["task_slots"]),
             r["configuration"],
             r["cells"], fmt_num(r["wall_median_s"]), r["trials_ok"],
             fmt_num(r["core_s_per_trial"])] for r in sz.to_dict("records")]
    return ["## Cluster sizing", "",
            "Core-seconds per completed trial = fmin wall time × total executor cores ÷ "
            "trials completed (median over cells): what one trial costs on each shape.", "",
            table(["workload", "shape", "executor cores", "task slots", "configuration",
                   "cells", "wall, s (median)", "trials ok", "core·s per trial"], rows), ""]


def placement_detail(analysis: Analysis) -> list[str]:
    pl = analysis.placement
    lines = ["## Where trials ran", ""]
    if len(pl) == 0:
        return lines + ["No trials yet.", ""]
    shaped = bool((pl["cluster"] != "").any())
    rows = [[r["mode"], *([r["cluster"] or "—"] if shaped else []), r["worker"], r["host"],
             r["trials"], fmt_pct(r["share"]), r["distinct_pids"], fmt_num(r["trials_per_pid"])]
            for r in pl.to_dict("records")]
    lines += ["A worker is a Spark executor when the event log was joined, else the host. "
              "One trial per Python process (trials per pid ≈ 1) means every trial started a "
              "fresh worker. Rows pool the configurations of a mode and shape: "
              + ", ".join(keys.pooled(["mode", "cluster_label"])) + ".", "",
              table(["mode", *(["cluster shape"] if shaped else []), "worker", "host", "trials",
                     "share of mode" + (" on that shape" if shaped else ""), "distinct pids",
                     "trials per pid"], rows), ""]
    un = analysis.unevenness
    if len(un):
        rows = [[r["workload"], r["setting"], r["workers"], fmt_num(r["unevenness_median"]),
                 fmt_num(r["cv_median"])] for r in un.to_dict("records")]
        lines += ["Unevenness within a cell = max ÷ mean trials per worker (1.00 = even), "
                  "median over cells.", "",
                  table(["workload", "configuration", "workers", "unevenness", "CV"], rows), ""]
    return lines


def quality_detail(analysis: Analysis, manifest: Optional[Manifest] = None) -> list[str]:
    fin = analysis.final_loss
    lines = ["## Search quality", ""]
    if len(fin) == 0 or fin["final_best_loss_median"].isna().all():
        return lines + ["No trial returned a loss.", ""]
    for evals in sorted(fin["evals"].dropna().unique()):
        reason = search_not_comparable(manifest or Manifest(), evals)
        if reason:
            lines += [f"Not judged at {fmt_int(evals)} evaluations: {reason}.", ""]
    rows = [[r["workload"], r["setting"], fmt_int(r["evals"]), r["cells"],
             f"{r['final_best_loss_median']:.4g}" if not is_missing(
                 r["final_best_loss_median"]) else "—"] for r in fin.to_dict("records")]
    return lines + [table(["workload", "configuration", "evaluations", "cells",
                           "best loss at end (median)"], rows), ""]


# --- findings and gaps ---------------------------------------------------------------------
def validate_findings(findings) -> Optional[list[Finding]]:
    """Findings must be Finding objects with an id, a summary and evidence keys of declared
    units; say which one is wrong."""
    if findings is None:
        return None
    if not isinstance(findings, (list, tuple)):
        raise BenchError(f"findings: expected a list of Finding, got {type(findings).__name__}")
    for i, f in enumerate(findings):
        if not isinstance(f, Finding):
            raise BenchError(f"findings[{i}]: expected a Finding, got {type(f).__name__}")
        for key in ("id", "summary"):
            if not getattr(f, key):
                raise BenchError(f"findings[{i}]: missing '{key}'")
        try:
            f.units()
        except UndeclaredEvidence as e:
            raise BenchError(f"findings[{i}] ({f.id}): {e}") from None
    return list(findings)


def findings_section(findings: Optional[list[Finding]]) -> list[str]:
    """Each finding: severity and summary, its evidence as a table (label and unit, value,
    the machine key beside them), the fix."""
    lines = ["## Findings", ""]
    if findings is None:
        return lines + ["No diagnosis was run for this report. Run `python -m bench diagnose "
                        "<results folder>` to explain the numbers above.", ""]
    if not findings:
        return lines + ["The diagnosis ran and found nothing to report.", ""]
    for f in findings:
        severity = str(f.severity or "info").upper()
        lines += [f"### [{severity}] {f.id}: {f.summary}", ""]
        rows = f.evidence_rows()
        if rows:
            lines += [table(["evidence", "value", "key"],
                            [[r.heading(), r.value, f"`{r.key}`"] for r in rows]), ""]
        if f.recommendation:
            lines += [f"**Fix:** {f.recommendation}", ""]
    return lines


def missing_section(analysis: Analysis, max_listed: int = 20) -> list[str]:
    c = analysis.completeness
    if not c.partial:
        return []
    lines = ["## Missing data", ""]
    if c.status != "finished":
        lines.append(f"- Run status in the manifest: **{c.status}** (not finished).")
    if c.missing_cells:
        lines.append(f"- **{len(c.missing_cells)} of {c.planned} planned cells did not "
                     "finish** and are not in any number above:")
        summary = Counter((m.get("workload"), m.get("mode"), m.get("condition", NATIVE),
                           m.get("parallelism")) for m in c.missing_cells)
        for (wl, mode, cond, par), n in sorted(summary.items(), key=lambda kv: str(kv[0])):
            par_text = f", parallelism {par}" if mode == "spark" else ""
            lines.append(f"  - {wl} {mode}{par_text} [{cond}]: {n} cell(s)")
        ids = [m["cell_id"] for m in c.missing_cells]
        shown = ", ".join(f"`{i}`" for i in ids[:max_listed])
        more = f" and {len(ids) - max_listed} more" if len(ids) > max_listed else ""
        lines.append(f"  - cell ids: {shown}{more}")
    for name, bad in sorted(c.bad_lines.items()):
        shown = ", ".join(map(str, bad[:max_listed]))
        lines.append(f"- `{name}`: {len(bad)} unreadable line(s) skipped (line {shown}) — "
                     "typically the line being written when the run was killed.")
    if c.orphan_trials:
        lines.append(f"- {c.orphan_trials} trial line(s) belong to cells that never wrote their "
                     "cell line; they are left out.")
    for cell_id, got, expected in c.short_cells[:max_listed]:
        lines.append(f"- cell `{cell_id}` reports {expected} trials but {got} were recorded.")
    if c.incomplete_cells:
        lines.append(f"- {len(c.incomplete_cells)} cell(s) returned with fewer ok trials than "
                     "max_evals (failed trials or timeout) and are left out of wall time, "
                     "speedup and overhead numbers:")
        for cell_id, ok, asked in c.incomplete_cells[:max_listed]:
            lines.append(f"  - `{cell_id}`: {ok} of {asked} trials ok")
    if c.failed_cells:
        lines.append(f"- {len(c.failed_cells)} cell(s) finished with an fmin error and are "
                     "left out of wall-time statistics:")
        for cell_id, error in c.failed_cells[:max_listed]:
            lines.append(f"  - `{cell_id}`: {error.splitlines()[0] if error else '?'}")
    if c.unplanned_cells:
        lines.append(f"- {len(c.unplanned_cells)} finished cell(s) are not in the manifest's "
                     "plan (kept in the numbers).")
    return lines + [""]


def chart_block(title: str, filename: str | None, caption: str, skipped: str | None) -> list[str]:
    lines = [f"### {title}", ""]
    if skipped:
        return lines + [f"*Chart skipped: {skipped}.*", ""]
    lines += [caption or "", "", f"![{title}]({filename})", ""]
    return lines

