"""Report section "The cure": SparkTrials variants, the process pool and the ideal.

Shown when a run has variant or pool cells: one chart of wall ÷ ideal per trial length (a
line per variant, pool and serial; y = 1 is the ideal), and a table of the per-trial cost
each variant removes. Variants other than stock and queue MODIFY hyperopt; the section
says so above its numbers.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..analysis.cure import cell_ideals, variant_savings, wall_over_ideal
from ..analysis.frames import RunData
from ..variant_table import FAST_POLL_S, VARIANTS
from ..variant_table import label as variant_label
from ..versions import hyperopt_version
from .charts import NoData, _panels, _save
from .markdown import fmt_int, fmt_num, fmt_pct, fmt_s, table

FILENAME = "wall_over_ideal.png"
_COLORS = {"serial": "#333333", "pool": "#8c564b", "stock": "#d62728", "queue": "#ff7f0e",
           "reuse": "#2ca02c", "fastpoll": "#9467bd", "tuned": "#1f77b4"}


def applies(run: RunData) -> bool:
    cells = run.cells
    if len(cells) == 0:
        return False
    return bool((cells["mode"] == "pool").any()
                or (cells["variant_label"].isin([v for v in VARIANTS if v != "stock"])).any())


def plot_wall_over_ideal(lines: pd.DataFrame, path: Path) -> Path:
    """One panel per parallelism: x = trial length, y = wall ÷ ideal, a line per variant."""
    lines = lines[lines["parallelism"].notna() | (lines["mode"] == "serial")]
    if len(lines) == 0:
        raise NoData("no finished cells")
    pars = sorted(int(p) for p in lines["parallelism"].dropna().unique())
    fig, axes = _panels(max(1, len(pars)), width=7.5, height=4.6, ncols=2)
    serial = lines[lines["mode"] == "serial"]
    for ax, par in zip(axes, pars):
        part = pd.concat([lines[lines["parallelism"] == par], serial])
        names = [n for n in ["serial", "pool", *VARIANTS] if n in set(part["line"])]
        for name in names:
            pts = part[part["line"] == name].sort_values("trial_s")
            label = name if name in ("serial", "pool") else \
                f"SparkTrials {name}" + (" (modified hyperopt)" if VARIANTS[name].modifies_hyperopt
                                         else "")
            ax.plot(pts["trial_s"], pts["wall_over_ideal"], marker="o", label=label,
                    color=_COLORS.get(name), linestyle="--" if name in ("serial", "pool") else "-")
        ax.axhline(1.0, color="black", linewidth=1, label="ideal (Σ objective ÷ slots)")
        _axes(ax, sorted(part["trial_s"].unique()))
        ax.set_xlabel("trial length: median objective time, s")
        ax.set_ylabel("fmin wall ÷ ideal wall")
        ax.set_title(f"parallelism {par}")
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("How close each variant gets to the ideal, per trial length")
    handles = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=2,
               fontsize=8, frameon=False)
    return _save(fig, path)


def _axes(ax, lengths: list[float]) -> None:
    """x: the trial lengths measured (log when they span 3x or more), labelled plainly, a
    label too close to its neighbour left out; y: log, labelled 1, 2, 5, 10."""
    if lengths[-1] / lengths[0] >= 3:
        ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(lengths, [f"{t:.2g}" for t in lengths])
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def section(run: RunData, out_dir: Path) -> list[str]:
    """Markdown lines of the section (and its chart written into out_dir); [] if no variant
    or pool cells ran."""
    if not applies(run):
        (Path(out_dir) / FILENAME).unlink(missing_ok=True)
        return []
    per_cell = cell_ideals(run.trials, run.cells)
    lines_df = wall_over_ideal(per_cell)
    savings = variant_savings(per_cell)
    modified = [v for v in VARIANTS.values() if v.modifies_hyperopt
                and v.name in set(run.cells["variant_label"])]
    lines = ["## The cure: SparkTrials variants, process pool and ideal", ""]
    if modified:
        lines += [f"> **Modified hyperopt.** Cells labelled *(modified hyperopt)* — "
                  f"{', '.join(v.name for v in modified)} — ran SparkTrials with hyperopt "
                  f"{_run_hyperopt(run)} patched for that cell only (bench.variants); they show "
                  "what the fix would give, not what installed hyperopt does.", ""]
    lines += ["Variants: " + "; ".join(f"**{v.name}**: {v.description}"
                                        + (" (modified hyperopt)" if v.modifies_hyperopt else "")
                                        for v in VARIANTS.values()) + ". "
              "**pool**: the same points in a local pool of min(parallelism, cores) persistent "
              "worker processes with OMP_NUM_THREADS = task cpus (the practical ideal on one "
              "machine). **Ideal** = Σ objective time ÷ min(parallelism, task slots).", ""]
    lines += _prewarm_lines(run)
    shared = (run.manifest.get("grid") or {}).get("points") == "shared"
    lines += ["Every mode evaluated the same pre-drawn points in the same order (points: shared)."
              if shared else "Points were chosen by the search algorithm in each cell "
              "(points: search), so cells did not evaluate the same points.", ""]
    try:
        plot_wall_over_ideal(lines_df, Path(out_dir) / FILENAME)
        lines += [f"![wall ÷ ideal per trial length]({FILENAME})", ""]
    except NoData as why:
        lines += [f"*Chart skipped: {why}.*", ""]
    rows = [[r["workload"], fmt_s(r["trial_s"]), fmt_int(r["parallelism"]),
             r["line"] + (" (modified hyperopt)" if r["line"] in VARIANTS
                          and VARIANTS[r["line"]].modifies_hyperopt else ""), r["setting"],
             r["cells"], fmt_s(r["wall_s"]), fmt_s(r["ideal_s"]), fmt_num(r["wall_over_ideal"])]
            for r in lines_df.to_dict("records")]
    lines += ["### Wall ÷ ideal", "", table(
        ["workload", "trial length, s", "parallelism", "line", "setting", "cells",
         "wall, s (median)",
         "ideal, s", "wall ÷ ideal"], rows), ""]
    if len(savings):
        rows = [[r["workload"], r["parallelism"], variant_label(r["variant"]) or r["variant"],
                 fmt_s(r["dispatch_delay_s"]), fmt_s(r["dispatch_to_start_s"]),
                 fmt_s(r["return_s"]), fmt_s(r["fixed_s"]), fmt_s(r["tail_s"]),
                 fmt_s(r["fixed_removed_s"]), fmt_s(r["wall_s"]), fmt_s(r["wall_saved_s"]),
                 fmt_pct(r["share_of_saving"])]
                for r in savings.to_dict("records")]
        lines += ["### Per-trial cost each variant removes", "",
                  "Medians per trial from the latency split: dispatch delay (a slot was free → "
                  "trial dispatched; time spent waiting for a busy slot is not a cost), "
                  "dispatch → objective start (Spark job, Python worker start, imports), return "
                  "(objective end → result recorded); fixed = their sum; tail = fmin return − "
                  "last objective end (per cell). *Removed* = stock's fixed cost minus the "
                  "variant's; *share of saving* = (stock wall − variant wall) ÷ (stock wall − "
                  f"tuned wall). fastpoll polls every {FAST_POLL_S:g} s.", "",
                  table(["workload", "parallelism", "variant", "dispatch delay, s",
                         "dispatch → start, s", "return, s", "fixed per trial, s",
                         "tail, s", "fixed removed vs stock, s", "wall, s",
                         "wall saved vs stock, s", "share of saving"], rows), ""]
    return lines


def _prewarm_lines(run: RunData) -> list[str]:
    """How the reuse cells' workers were started: before the clock (like the pool's), or
    cold in older runs, where the first wave of trials paid the interpreter start."""
    cells = run.cells
    reuse = cells[cells["variant_label"].isin([v.name for v in VARIANTS.values() if v.reuse])]
    if len(reuse) == 0:
        return []
    warmed = reuse.get("workers_prewarmed", pd.Series(dtype=float)).dropna()
    if len(warmed) == 0:
        return ["Reuse cells of this run started their Python workers inside the timed "
                "window: their first wave of trials paid the interpreter start and imports.", ""]
    seconds = reuse.loc[warmed.index, "prewarm_s"]
    return [f"Reuse cells ({len(warmed)}) started their Python workers before the clock, as "
            f"the pool does: median {warmed.median():g} workers in {fmt_s(seconds.median())} s, "
            "not counted in their wall time. In a notebook, the first fmin with "
            "TunedSparkTrials pays that once unless `trials.prewarm(objective)` is called "
            "first.", ""]


def _run_hyperopt(run: RunData) -> str:
    env = run.manifest.get("environment") or {}
    for key in ("packages", "versions"):
        v = (env.get(key) or {}).get("hyperopt") if isinstance(env.get(key), dict) else None
        if v:
            return str(v)
    return hyperopt_version()
