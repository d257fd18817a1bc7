"""The speedup chart: one line per configuration family, x = parallelism, y = speedup over
serial Trials.

A family is every axis of a configuration but parallelism: stock SparkTrials with
max_queue_len 1, the same with max_queue_len = parallelism, tuned (modified hyperopt), the
process pool, each thread setting. One panel per workload and serial reference (the native
driver, each emulated one); the ideal min(parallelism, task slots) and "no speedup" drawn in
every panel. Families are ordered and coloured the same in every panel, the user's current
setup first (bench.report.chart_rows).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..variant_table import VARIANTS
from .chart_rows import changed_axes, setup_for, stack_labels
from .charts import NoData, _panels, _save
from .markdown import fmt_x

MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
#: Lines per panel at most, the current setup's and its fixes' first; the rest are in the
#: report's speedup table.
MAX_LINES = 8
VARIANT_TEXT = {"stock": "stock SparkTrials", "pool": "process pool"}


def _queue_rule(row: dict) -> str:
    """How the family sizes max_queue_len: '' when its variant or mode fixes it."""
    spec = VARIANTS.get(row["variant"])
    if row["variant"] == "pool" or (spec is not None and spec.queue):
        return ""
    q, p = int(row["max_queue_len"]), int(row["parallelism"])
    return "q=1" if q == 1 else "q=p" if q == p else f"q={q}"


def families(speedups: pd.DataFrame, walls: pd.DataFrame, setups: dict | None = None
             ) -> pd.DataFrame:
    """The speedup rows with `variant`, `queue_rule` and `family` (a readable label of every
    axis but parallelism; a thread setting is named where it differs from the workload's
    current setup, whose own setting the panel title gives). A p=1 point with
    max_queue_len 1 belongs to both the q=1 and the q=p line of its family, when the run
    has both."""
    kinds = walls.drop_duplicates(["workload", "setting"]).set_index(["workload", "setting"])
    idx = list(zip(speedups["workload"], speedups["setting"]))
    variant = [("pool" if kinds["mode"].get(k) == "pool" else kinds["variant_label"].get(k))
               or "stock" for k in idx]
    df = speedups.assign(variant=variant)
    df = df.assign(queue_rule=[_queue_rule(r) for r in df.to_dict("records")])
    qp = df[df["queue_rule"] == "q=p"]
    shared = df[(df["queue_rule"] == "q=1") & (df["parallelism"] == 1)]
    keys = ["workload", "variant", "n_jobs_label", "env_label", "cluster_label", "max_evals"]
    with_qp = set(map(tuple, qp[keys].to_numpy().tolist()))
    extra = shared[[tuple(r) in with_qp for r in shared[keys].to_numpy().tolist()]]
    df = pd.concat([df, extra.assign(queue_rule="q=p")], ignore_index=True)
    show = {c: df[c].nunique() > 1 for c in ("cluster_label", "max_evals")}
    return df.assign(family=[_family_label(r, setup_threads(setups, r["workload"]), show)
                             for r in df.to_dict("records")])


def setup_threads(setups: dict | None, workload: str) -> tuple[str, str]:
    """The current setup's n_jobs label and thread environment label for a workload."""
    setup = setup_for(setups, workload)
    return str(setup.n_jobs_label), setup.env_label


def _family_label(row: dict, setup: tuple[str, str], show: dict) -> str:
    v = row["variant"]
    spec = VARIANTS.get(v)
    parts = [VARIANT_TEXT.get(v) or (f"{v} (modified hyperopt)" if spec and spec.modifies_hyperopt
                                     else f"{v} (public knob)")]
    rule = row["queue_rule"]
    if rule:
        parts.append("max_queue_len=parallelism" if rule == "q=p" else
                     rule.replace("q=", "max_queue_len="))
    if str(row["n_jobs_label"]) != setup[0]:
        parts.append(f"n_jobs={row['n_jobs_label']}")
    if (row["env_label"] or "") != setup[1]:
        parts.append(row["env_label"] or "env as is")
    if show["cluster_label"]:
        parts.append(f"on {row['cluster_label'] or 'local session'}")
    if show["max_evals"]:
        parts.append(f"{int(row['max_evals'])} evals")
    return ", ".join(parts)


def family_order(df: pd.DataFrame, setups: dict | None) -> list[str]:
    """Families with the current setup's first, then those one axis away, then the rest."""
    def distance(row: dict) -> int:
        p = row["parallelism"]
        q = p if row["queue_rule"] == "q=p" else row["max_queue_len"]
        probe = {**row, "mode": "pool" if row["variant"] == "pool" else "spark",
                 "variant_label": "" if row["variant"] == "pool" else row["variant"],
                 "max_queue_len": q, "condition": None}
        return len(changed_axes(probe, setup_for(setups, row["workload"])))

    first = df.drop_duplicates("family")
    rank = {r["family"]: (distance(r), r["family"]) for r in first.to_dict("records")}
    return sorted(rank, key=rank.get)


def plot_speedup(speedups: pd.DataFrame, walls: pd.DataFrame, path: Path,
                 setups: dict | None = None) -> Path:
    """Speedup vs parallelism: one panel per workload and serial reference, one line per
    configuration family, the ideal and y = 1 in each."""
    data = speedups.dropna(subset=["speedup", "parallelism"])
    if data.empty:
        raise NoData("no spark configuration has a finished serial counterpart with the same "
                     "workload, n_jobs and max_evals, so there is no speedup to plot")
    data = families(data, walls, setups)
    order = family_order(data, setups)
    style = {f: (f"C{i % 10}", MARKERS[i % len(MARKERS)]) for i, f in enumerate(order)}
    panels = list(data.groupby(["workload", "serial_condition"], sort=True))
    shown = {f for _, part in panels
             for f in [f for f in order if f in set(part["family"])][:MAX_LINES]}
    rows = math.ceil((len(shown) + 2) / 2)  # legend lines under the panels
    fig, axes = _panels(len(panels), width=5.4, height=4.0 + 0.2 * rows / math.ceil(
        len(panels) / 3))
    labels_of, left_out = [], 0
    for ax, ((workload, condition), part) in zip(axes, panels):
        present = [f for f in order if f in set(part["family"])]
        left_out += max(0, len(present) - MAX_LINES)
        labels_of.append((ax, _draw_lines(ax, part, present[:MAX_LINES], style)))
        _reference_lines(ax, part)
        _axes(ax, part)
        nj, env = setup_threads(setups, workload)
        emulated = bool(part["serial_emulated"].any())
        ax.set_title(f"{workload} (n_jobs={nj}, {env or 'env as is'}): vs serial on the "
                     f"{condition} driver" + (" (emulated)" if emulated else ""), fontsize=9)
    handles = {}
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    names = [f for f in order if f in handles] + [n for n in handles if n not in order]
    fig.legend([handles[n] for n in names], names, loc="outside lower center", ncols=2,
               fontsize=8, frameon=False)
    more = f"; {left_out} more lines in the speedup table" if left_out else ""
    fig.suptitle("Speedup of SparkTrials over serial Trials, one line per configuration "
                 f"(median of repeats; bars: min–max range{more})", fontsize=11)
    fig.canvas.draw()  # the layout first: labels are stacked in its pixels
    for ax, items in labels_of:
        stack_labels(ax, items)
    return _save(fig, path)


def _draw_lines(ax, part: pd.DataFrame, present: list[str], style: dict) -> list:
    """One line per family (dodged a little so equal points stay visible); returns the
    value labels to place, one per distinct point."""
    items, labelled = [], set()
    spread = 0.025 * (len(present) - 1) / 2  # labels start beside every line's point
    first = part["parallelism"].min() if part["parallelism"].nunique() > 1 else None
    for i, family in enumerate(present):
        line = part[part["family"] == family].sort_values("parallelism")
        p = line["parallelism"].to_numpy(float)
        x = p * (1 + 0.025 * (i - (len(present) - 1) / 2))
        y = line["speedup"].to_numpy(float)
        lo = np.clip(y - line["speedup_low"].to_numpy(float), 0, None)
        hi = np.clip(line["speedup_high"].to_numpy(float) - y, 0, None)
        color, marker = style[family]
        ax.errorbar(x, y, yerr=np.nan_to_num(np.vstack([lo, hi])), color=color,
                    marker=marker, capsize=3, linewidth=1.6, label=family)
        for pi, yi in zip(p, y):
            if (pi, fmt_x(yi)) not in labelled:  # a point two lines share: one label
                labelled.add((pi, fmt_x(yi)))
                # left of the first parallelism, where no line runs; right elsewhere
                left = pi == first
                items.append((pi * (1 - spread if left else 1 + spread), yi, fmt_x(yi),
                              color, "left" if left else "right"))
    return items


def _reference_lines(ax, part: pd.DataFrame) -> None:
    ideal = part.groupby("parallelism")["ideal"].max().sort_index()
    ax.plot(ideal.index.to_numpy(float), ideal.to_numpy(float), color="black", linestyle="--",
            linewidth=1, marker="_" if len(ideal) == 1 else None, markersize=30,
            label="ideal = min(parallelism, task slots)")
    ax.axhline(1.0, color="#999999", linestyle=":", linewidth=1, label="no speedup (1×)")


def _axes(ax, part: pd.DataFrame) -> None:
    """x: the parallelism values run (log2 when they span 4x or more); y: linear from 0,
    or log when speedups span a factor of ten or more; room on the right for the labels."""
    ticks = sorted(part["parallelism"].astype(int).unique())
    if ticks[-1] / ticks[0] >= 4:
        ax.set_xscale("log", base=2)
        ax.set_xlim(ticks[0] / 1.9, ticks[-1] * 1.9)
    else:
        room = 0.6 * max(1, ticks[-1] - ticks[0])  # for the value labels on either side
        ax.set_xlim(ticks[0] - (room if len(ticks) > 1 else 0.3), ticks[-1] + room)
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    values = part[["speedup", "speedup_low", "speedup_high", "ideal"]].to_numpy(float)
    top, low = np.nanmax(values), np.nanmin(values)
    if low > 0 and top / low > 10:
        ax.set_yscale("log")
        ax.set_ylim(low / 1.6, top * 1.6)
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("speedup, × (log scale)")
    else:
        ax.set_ylim(0, max(1.2, top * 1.15))
        ax.set_ylabel("speedup, × (serial wall ÷ spark wall)")
    ax.set_xlabel("SparkTrials parallelism (trials at once)")
    ax.grid(alpha=0.3)
