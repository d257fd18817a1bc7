"""Report section "The cure": SparkTrials variants, the process pool and the ideal.

Shown when a run has variant or pool cells: one chart of time ÷ ideal per trial length (a
line per variant, pool and serial, over each workload's current setup and its variant, queue
and pool fixes; y = 1 is the ideal), a table of time ÷ ideal per configuration, and one of
the per-trial cost each variant removes. Time = warm-up before the clock + fmin wall. Variants other than stock and queue MODIFY hyperopt; the section
says so above its numbers.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..analysis.cure import cell_ideals, variant_savings, wall_over_ideal
from ..analysis.frames import RunData
from ..analysis.setup import fix_of, setup_of
from ..model import NATIVE
from ..variant_table import FAST_POLL_S, VARIANTS, shares_workers
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


def setup_family(lines: pd.DataFrame, run: RunData) -> pd.DataFrame:
    """The rows the chart compares: per workload its current setup (serial native and spark)
    and the fixes of it that change the variant, the queue or the mode (bench.analysis.setup),
    so each line joins configurations alike but for the trial length."""
    keep = []
    for row in lines.to_dict("records"):
        setup = setup_of(run.manifest, run.cells, row["workload"])
        fix = fix_of(row, setup)
        if fix is not None:
            keep.append(fix.axis in ("variant_label", "max_queue_len", "mode"))
        else:
            keep.append(setup.is_setup(row) and row["condition"] == NATIVE)
    return lines[keep]


def plot_wall_over_ideal(lines: pd.DataFrame, path: Path) -> Path:
    """One panel per parallelism: x = trial length, y = (warm-up + wall) ÷ ideal, a line per
    variant."""
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
        ax.set_ylabel("(warm-up + fmin wall) ÷ ideal wall")
        ax.set_title(f"parallelism {par}")
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle("How close each variant gets to the ideal, per trial length "
                 "(the current setup and its variant, queue and pool fixes)")
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
    lines += shared_workers_lines(run.cells)
    shared = run.manifest.points_shared
    lines += ["Every mode evaluated the same pre-drawn points in the same order (points: shared)."
              if shared else "Points were chosen by the search algorithm in each cell "
              "(points: search), so cells did not evaluate the same points.", ""]
    try:
        plot_wall_over_ideal(setup_family(lines_df, run), Path(out_dir) / FILENAME)
        lines += [f"![wall ÷ ideal per trial length]({FILENAME})", ""]
    except NoData as why:
        lines += [f"*Chart skipped: {why}.*", ""]
    rows = [[r["workload"], fmt_s(r["trial_s"]), fmt_int(r["parallelism"]),
             r["line"] + (" (modified hyperopt)" if r["line"] in VARIANTS
                          and VARIANTS[r["line"]].modifies_hyperopt else ""), r["setting"],
             r["cells"], fmt_s(r["paid_s"]), fmt_s(r["wall_s"]), fmt_s(r["ideal_s"]),
             fmt_num(r["wall_over_ideal"])]
            for r in lines_df.to_dict("records")]
    lines += ["### Time ÷ ideal", "",
              "One row per configuration (medians over its repeats). Time = warm-up before "
              "the clock + fmin wall: what the first fmin of a session pays; the wall alone is "
              "the time with the workers already running.", "", table(
                  ["workload", "trial length, s", "parallelism", "line", "configuration",
                   "cells", "warm-up + wall, s", "wall alone (workers already running), s",
                   "ideal, s", "(warm-up + wall) ÷ ideal"], rows), ""]
    if len(savings):
        rows = [[r["workload"], r["parallelism"], variant_label(r["variant"]) or r["variant"],
                 r["setting"], fmt_s(r["dispatch_delay_s"]), fmt_s(r["dispatch_to_start_s"]),
                 fmt_s(r["return_s"]), fmt_s(r["fixed_s"]), fmt_s(r["tail_s"]),
                 fmt_s(r["fixed_removed_s"]), fmt_s(r["paid_s"]), fmt_s(r["wall_saved_s"]),
                 fmt_pct(r["share_of_saving"])]
                for r in savings.to_dict("records")]
        lines += ["### Per-trial cost each variant removes", "",
                  "Medians per trial from the latency split: dispatch delay (a slot was free → "
                  "trial dispatched; time spent waiting for a busy slot is not a cost), "
                  "dispatch → objective start (Spark job, Python worker start, imports), return "
                  "(objective end → result recorded); fixed = their sum; tail = fmin return − "
                  "last objective end (per cell). Each variant is compared with the stock "
                  "configuration that differs from it in the variant alone: *removed* = its "
                  "fixed cost minus the variant's; *saved* = its time minus the variant's (time = "
                  "warm-up + wall); *share of saving* = (stock time − variant time) ÷ (stock "
                  f"time − tuned time). fastpoll polls every {FAST_POLL_S:g} s.", "",
                  table(["workload", "parallelism", "variant", "configuration",
                         "dispatch delay, s", "dispatch → start, s", "return, s",
                         "fixed per trial, s", "tail, s", "fixed removed vs stock, s",
                         "warm-up + wall, s", "saved vs stock, s", "share of saving"], rows),
                  ""]
    return lines


def _prewarm_lines(run: RunData) -> list[str]:
    """How the reuse and pool cells' workers were started: before the clock (their warm-up
    counted in the times below), or cold in older runs, where the first wave of trials paid
    the interpreter start."""
    cells = run.cells
    reuse = cells[cells["variant_label"].isin([v.name for v in VARIANTS.values() if v.reuse])]
    pool = cells[cells["mode"] == "pool"]
    out = []
    if len(reuse):
        warmed = reuse["workers_prewarmed"].dropna()
        if len(warmed) == 0:
            out += ["Reuse cells of this run started their Python workers inside the timed "
                    "window: their first wave of trials paid the interpreter start and imports.",
                    ""]
        else:
            seconds = reuse.loc[warmed.index, "prewarm_s"]
            out += [f"Reuse cells ({len(warmed)}) started their Python workers before the "
                    f"clock: median {warmed.median():g} workers in {fmt_s(seconds.median())} "
                    "s, counted below (warm-up + wall) as the first fmin of a session pays it "
                    "(with TunedSparkTrials in a notebook: once, or again after the workers "
                    "sat idle past PySpark's idle timeout; `trials.prewarm(objective)` moves it "
                    "before fmin but does not remove it).", ""]
    if len(pool):
        timed = pool["prewarm_s"].dropna()
        out += [f"Pool cells ({len(pool)}) started and warmed their workers before the clock"
                + (f": median {fmt_s(timed.median())} s, counted below." if len(timed) else
                   "; this run did not record how long, so their times below leave it out."),
                ""]
    return out


def shared_workers_lines(cells: pd.DataFrame) -> list[str]:
    """Which cells ran their trials in Python processes shared from trial to trial (the
    record's shared_workers; older records: what their mode and variant imply)."""
    if len(cells) == 0:
        return []
    implied = [shares_workers(m, v if v in VARIANTS else None)
               for m, v in zip(cells["mode"], cells["variant_label"])]
    recorded = cells["shared_workers"] if "shared_workers" in cells else [None] * len(cells)
    shared = [i if pd.isna(r) else bool(r) for r, i in zip(recorded, implied)]
    cells = cells.assign(_shared=shared)
    spark, pool = cells[cells["mode"] == "spark"], cells[cells["mode"] == "pool"]
    together = spark[spark["_shared"]]
    if len(together) == 0 and len(pool) == 0:
        return []

    def by_variant(part):
        counts = part["variant_label"].value_counts()
        return ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))

    parts = []
    if len(together):
        parts.append(f"{len(together)} spark cells ({by_variant(together)})")
    if len(pool):
        parts.append(f"{len(pool)} pool cells")
    alone = spark[~spark["_shared"]]
    text = (f"**Shared workers.** {' and '.join(parts)} ran their trials in Python processes "
            "shared from trial to trial: module globals, RNG state, leaked memory and threads, "
            "and thread pools sized by an earlier trial carried over to later ones, and a "
            "crash would have taken the worker with it.")
    if len(alone):
        text += (f" The other {len(alone)} spark cells ({by_variant(alone)}) gave every trial "
                 "a fresh Python worker, as stock SparkTrials does.")
    return [text + " Serial cells run every trial in the driver's process.", ""]


def _run_hyperopt(run: RunData) -> str:
    return run.manifest.package_version("hyperopt") or hyperopt_version()
