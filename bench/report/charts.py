"""The report's charts, drawn with matplotlib's object API (Agg, no pyplot state).

Each plot_* function takes analysis tables, writes one PNG and returns its path, or raises
NoData with the reason the chart cannot be drawn (the report prints that reason instead).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from ..model import NATIVE
from .markdown import fmt_x

DPI = 100
#: Boxes with at most this many trials also show every trial as a dot.
STRIP_MAX = 300

#: One colour per latency part, shared by the latency and timeline charts.
PART_COLORS = {"wait_dispatch_s": "#c7c7c7", "dispatch_to_start_s": "#ff9f40",
               "objective_s": "#1f77b4", "return_s": "#2ca02c"}
PART_NAMES = {"wait_dispatch_s": "waiting in hyperopt's queue",
              "dispatch_to_start_s": "dispatch → objective start",
              "objective_s": "objective", "return_s": "result return"}


class NoData(Exception):
    """A chart has nothing to show; the message says why, for the report."""


def palette(settings: list[str]) -> dict[str, str]:
    """Stable colours per configuration label: serial ones dark, spark ones from tab10."""
    serial_colors = ["#333333", "#8c564b", "#7f7f7f", "#bcbd22"]
    spark_colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#17becf",
                    "#e377c2", "#aec7e8", "#ffbb78", "#98df8a"]
    out, s, k = {}, 0, 0
    for name in settings:
        if name in out:
            continue
        if name.startswith("serial"):
            out[name] = serial_colors[s % len(serial_colors)]
            s += 1
        else:
            out[name] = spark_colors[k % len(spark_colors)]
            k += 1
    return out


def _ordered_settings(df: pd.DataFrame) -> list[str]:
    return df.sort_values("setting_order")["setting"].drop_duplicates().tolist()


def _workloads(df: pd.DataFrame) -> list[str]:
    return sorted(df["workload"].dropna().unique().tolist())


def _panels(n: int, width: float = 5.2, height: float = 3.8, ncols: int = 3,
            sharey: bool = False):
    ncols = max(1, min(n, ncols))
    nrows = math.ceil(n / ncols)
    fig = Figure(figsize=(width * ncols, height * nrows + 0.6), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=sharey).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _save(fig: Figure, path: Path) -> Path:
    # tight: a one-panel figure is narrower than its title and shared legend; keep them whole
    fig.savefig(path, dpi=DPI, bbox_inches="tight", pad_inches=0.1)
    return path


def _shared_legend(fig: Figure, axes) -> None:
    """One legend under all panels, with every label any panel used."""
    seen = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, handle)
    fig.legend(list(seen.values()), list(seen.keys()), loc="outside lower center",
               ncols=min(3, len(seen)), fontsize=8, frameon=False)


def _short(label: str, width: int = 22) -> str:
    """Break a long configuration label onto two lines for tick labels."""
    if len(label) <= width:
        return label
    return label.replace(" [", "\n[").replace(" n_jobs", "\nn_jobs")


# 1 -------------------------------------------------------------------------------------
def plot_speedup(speedups: pd.DataFrame, path: Path) -> Path:
    """Speedup vs parallelism with interval bars (stats: range or 95% CI), the ideal line and y = 1: one panel per
    workload (and per n_jobs / max_evals when those vary), one line per serial condition
    (and queue length / cluster shape when those vary), same colour for a line in every panel."""
    data = speedups.dropna(subset=["speedup", "parallelism"])
    if data.empty:
        raise NoData("no spark configuration has a finished serial counterpart with the same "
                     "workload, n_jobs and max_evals, so there is no speedup to plot")
    show_q = data["max_queue_len"].nunique() > 1
    show_n = data["n_jobs_label"].nunique() > 1
    show_e = data["max_evals"].nunique() > 1
    show_c = data["cluster_label"].nunique() > 1
    panel_keys = ["workload", "n_jobs_label", "max_evals"]
    line_keys = ["serial_condition", "serial_emulated", "max_queue_len", "cluster_label"]

    def line_label(cond, emulated, queue, cluster) -> str:
        label = f"vs serial [{cond}{', emulated' if emulated else ''}]"
        label += f", q={queue}" if show_q else ""
        return label + (f", on {cluster or 'local session'}" if show_c else "")

    labels = sorted({line_label(*k) for k, _ in data.groupby(line_keys, sort=True)})
    colors = {label: f"C{i % 10}" for i, label in enumerate(labels)}
    panels = list(data.groupby(panel_keys, sort=True))
    fig, axes = _panels(len(panels))
    for ax, ((workload, njobs, evals), part) in zip(axes, panels):
        lines = list(part.groupby(line_keys, sort=True))
        for i, (key, line) in enumerate(lines):
            line = line.sort_values("parallelism")
            label = line_label(*key)
            value = line["speedup"].to_numpy(float)
            err = np.vstack([np.clip(value - line["speedup_low"].to_numpy(float), 0, None),
                             np.clip(line["speedup_high"].to_numpy(float) - value, 0, None)])
            # dodge lines sideways a little so equal points stay visible
            x = line["parallelism"].to_numpy(float) * (1 + 0.03 * (i - (len(lines) - 1) / 2))
            ax.errorbar(x, value, yerr=np.nan_to_num(err), marker="o", capsize=4,
                        color=colors[label], linestyle="-." if key[1] else "-", label=label)
            if len(lines) <= 4:
                for xi, yi in zip(x, value):
                    ax.annotate(fmt_x(yi), (xi, yi), textcoords="offset points",
                                xytext=(6, 4 if i % 2 == 0 else -12), fontsize=8,
                                color=colors[label])
        _ideal_lines(ax, part, show_c)
        ax.axhline(1.0, color="#999999", linestyle=":", linewidth=1, label="no speedup (1×)")
        _speedup_axes(ax, part)
        title = f"workload: {workload}"
        title += f", n_jobs={njobs}" if show_n else ""
        ax.set_title(title + (f", evals={evals}" if show_e else ""), fontsize=10)
        ax.set_xlabel("SparkTrials parallelism (trials at once)")
        ax.grid(alpha=0.3)
    _shared_legend(fig, axes)
    fig.suptitle("Speedup of SparkTrials over serial Trials (median of repeats; bars: "
                 "min–max range under 5 repeats, else 95% CI)")
    return _save(fig, path)


def _ideal_lines(ax, part: pd.DataFrame, show_cluster: bool) -> None:
    """min(parallelism, task slots), one dashed line per cluster shape."""
    styles = ["--", (0, (1, 2)), (0, (5, 2, 1, 2)), (0, (8, 3))]
    for j, (cluster, by_cluster) in enumerate(part.groupby("cluster_label", sort=True)):
        ideal = by_cluster.groupby("parallelism")["ideal"].max().sort_index()
        where = f" on {cluster or 'local session'}" if show_cluster else ""
        ax.plot(ideal.index.to_numpy(float), ideal.to_numpy(float), color="black",
                linestyle=styles[j % len(styles)], linewidth=1,
                marker="_" if len(ideal) == 1 else None, markersize=30,
                label=f"ideal = min(parallelism, task slots){where}")


def _speedup_axes(ax, part: pd.DataFrame) -> None:
    """Parallelism ticks (log2 when wide); y linear from 0, or log when speedups span a
    factor of ten or more (e.g. 0.05× next to the ideal 2×)."""
    ticks = sorted(part["parallelism"].astype(int).unique())
    if ticks[-1] / ticks[0] >= 4:
        ax.set_xscale("log", base=2)
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    values = part[["speedup", "speedup_low", "speedup_high", "ideal"]].to_numpy(float)
    top, low = np.nanmax(values), np.nanmin(values)
    if low > 0 and top / low > 10:
        ax.set_yscale("log")
        ax.set_ylim(low / 1.5, top * 1.5)
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel("speedup, × (log scale)")
    else:
        ax.set_ylim(0, max(1.2, top * 1.15))
        ax.set_ylabel("speedup, × (serial wall ÷ spark wall)")


# 2 -------------------------------------------------------------------------------------
def _box_by_setting(trials: pd.DataFrame, column: str, title: str, ylabel: str,
                    log: bool, hlines: list[tuple[float, str, str]] = ()) -> Figure:
    data = trials[trials[column].notna()]
    if log:
        data = data[data[column] > 0]
    if data.empty:
        raise NoData(f"no trial recorded {column}")
    colors = palette(_ordered_settings(data))
    workloads = _workloads(data)
    width = max(4.5, 0.8 * data["setting"].nunique() + 1.5)
    fig, axes = _panels(len(workloads), width=width, ncols=max(1, int(16 // width)))
    for ax, workload in zip(axes, workloads):
        part = data[data["workload"] == workload]
        settings = _ordered_settings(part)
        values = [part.loc[part["setting"] == s, column].to_numpy(float) for s in settings]
        few = all(len(v) <= STRIP_MAX for v in values)  # points drawn one by one instead
        box = ax.boxplot(values, tick_labels=[_short(s) for s in settings], patch_artist=True,
                         widths=0.6, showfliers=not few,
                         flierprops={"markersize": 2, "alpha": 0.4},
                         medianprops={"color": "black"})
        for patch, setting in zip(box["boxes"], settings):
            patch.set_facecolor(colors[setting])
            patch.set_alpha(0.6)
        _strip(ax, values)
        for y, style, label in hlines:
            ax.axhline(y, color="#d62728", linestyle=style, linewidth=1.2, label=label)
        if log:
            ax.set_yscale("log")
            _plain_log_labels(ax, np.concatenate(values))
        ax.set_title(f"workload: {workload}")
        ax.set_ylabel(ylabel)
        ax.set_xlabel("configuration (mode, parallelism, condition)")
        ax.tick_params(axis="x", labelsize=8, labelrotation=30)
        ax.grid(axis="y", alpha=0.3, which="both" if log else "major")
        if hlines:
            ax.legend(fontsize=8, loc="best")
    fig.suptitle(title)
    return fig


def _strip(ax, values: list[np.ndarray], max_points: int = None) -> None:
    """Overlay the individual trials when there are few enough to see one by one."""
    rng = np.random.default_rng(0)
    max_points = STRIP_MAX if max_points is None else max_points
    for i, vals in enumerate(values, start=1):
        if 0 < len(vals) <= max_points:
            ax.scatter(i + rng.uniform(-0.15, 0.15, len(vals)), vals, s=9, color="black",
                       alpha=0.45, linewidths=0, zorder=3)


def _plain_log_labels(ax, values: np.ndarray) -> None:
    """Log axes labelled 0.2, 1, 5 rather than 2×10⁻¹; minor ticks labelled on short ranges."""
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(plain)
    values = values[np.isfinite(values) & (values > 0)]
    short = len(values) and values.max() / values.min() < 2.5
    ax.yaxis.set_minor_formatter(plain if short else NullFormatter())
    ax.tick_params(axis="y", which="minor", labelsize=7)


def plot_objective_times(trials: pd.DataFrame, path: Path) -> Path:
    """Per-trial objective time by configuration, log scale, one panel per workload."""
    fig = _box_by_setting(trials, "objective_s", "Objective time per trial by configuration "
                          "(box: quartiles, whiskers: 1.5 IQR)",
                          "objective time per trial (s, log scale)", log=True)
    return _save(fig, path)


# 3 -------------------------------------------------------------------------------------
def plot_latency(latency: pd.DataFrame, path: Path) -> Path:
    """Stacked horizontal bars of the mean latency parts per configuration and workload."""
    means = ["mean_" + p for p in PART_COLORS]
    data = latency.dropna(subset=means)
    data = data[data["trials_complete"] > 0]
    if data.empty:
        raise NoData("no trial has all four latency parts (suggest, book, start/end and "
                     "refresh times)")
    workloads = _workloads(data)
    rows = [len(data[data["workload"] == w]) for w in workloads]
    fig = Figure(figsize=(10, sum(0.45 * r + 1.3 for r in rows) + 0.9), dpi=DPI,
                 layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(workloads), 1, squeeze=False,
                        gridspec_kw={"height_ratios": [r + 1.5 for r in rows]}).ravel()
    for ax, workload in zip(axes, workloads):
        part = data[data["workload"] == workload].sort_values("setting_order")
        y = np.arange(len(part))[::-1]
        left = np.zeros(len(part))
        for name, color in PART_COLORS.items():
            width = np.clip(part["mean_" + name].to_numpy(float), 0, None)
            ax.barh(y, width, left=left, color=color, height=0.6, label=PART_NAMES[name],
                    edgecolor="white", linewidth=0.5)
            left += width
        for yi, total, share in zip(y, left, part["share_pre_objective"]):
            ax.text(total, yi, f"  {share:.0%} before objective", va="center", fontsize=8)
        ax.set_yticks(y, part["setting"].tolist(), fontsize=9)
        ax.set_xlim(0, left.max() * 1.35 if left.max() > 0 else 1)
        ax.set_title(f"workload: {workload}", fontsize=10)
        ax.set_xlabel("mean seconds per trial (suggested → result recorded)")
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    fig.suptitle("Where each trial's latency goes (mean per trial)")
    return _save(fig, path)


# 4 -------------------------------------------------------------------------------------
def assign_lanes(begin: np.ndarray, finish: np.ndarray) -> np.ndarray:
    """Greedy interval colouring: each trial goes to the lowest lane free at its start, so
    lanes stand for the worker slots the trials occupied."""
    order = np.argsort(begin, kind="stable")
    lane_free: list[float] = []
    lanes = np.zeros(len(begin), dtype=int)
    for i in order:
        for lane, free_at in enumerate(lane_free):
            if free_at <= begin[i] + 1e-9:
                break
        else:
            lane = len(lane_free)
            lane_free.append(0.0)
        lanes[i] = lane
        lane_free[lane] = finish[i]
    return lanes


def pick_timeline_cells(cells: pd.DataFrame) -> list[str]:
    """One representative finished cell per mode: for spark the highest parallelism, for
    serial the native condition; within the configuration the repeat with the median wall.
    Both come from the same workload when possible."""
    usable = cells[~cells["failed"] & cells["wall_s"].notna()]
    if usable.empty:
        return []
    spark = usable[usable["mode"] == "spark"]
    serial = usable[usable["mode"] == "serial"]
    workloads = sorted(set(spark["workload"]) & set(serial["workload"])) or sorted(
        set(usable["workload"]))
    workload = workloads[0]
    chosen = []
    ser = serial[serial["workload"] == workload]
    if len(ser):
        native = ser[ser["condition"] == NATIVE]
        ser = native if len(native) else ser
        ser = ser[ser["setting_order"] == ser["setting_order"].min()]
        chosen.append(_median_cell(ser))
    spk = spark[spark["workload"] == workload]
    if len(spk):
        top = spk.sort_values(["parallelism", "max_queue_len"]).iloc[-1]
        spk = spk[spk["setting_order"] == top["setting_order"]]
        chosen.append(_median_cell(spk))
    return chosen


def _median_cell(cells: pd.DataFrame) -> str:
    ordered = cells.sort_values(["wall_s", "repeat"])
    return str(ordered.iloc[(len(ordered) - 1) // 2]["cell_id"])


def plot_timeline(trials: pd.DataFrame, cells: pd.DataFrame, cell_ids: list[str],
                  path: Path) -> Path:
    """Gantt chart of the chosen cells: one lane per worker slot, segments shaded by phase,
    white gaps where a slot sat idle, a red line where fmin returned."""
    cell_rows = cells.drop_duplicates("cell_id").set_index("cell_id")
    picked = [c for c in cell_ids if c in cell_rows.index
              and (trials["cell_id"] == c).any()]
    if not picked:
        raise NoData("no finished cell has trials with timestamps")
    panels = []
    for cell_id in picked:
        part = trials[trials["cell_id"] == cell_id].dropna(subset=["start_rel_s", "end_rel_s"])
        if part.empty:
            continue
        begin = part["book_rel_s"].fillna(part["start_rel_s"]).to_numpy(float)
        finish = np.fmax(part["refresh_rel_s"].to_numpy(float), part["end_rel_s"].to_numpy(float))
        panels.append((cell_id, part, assign_lanes(begin, finish)))
    if not panels:
        raise NoData("the chosen cells' trials have no start/end timestamps")
    heights = [max(lanes) + 1 for _, _, lanes in panels]
    fig = Figure(figsize=(11, sum(0.5 * h + 1.4 for h in heights) + 0.9), dpi=DPI,
                 layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(panels), 1, squeeze=False, sharex=True,
                        gridspec_kw={"height_ratios": [h + 2 for h in heights]}).ravel()
    for ax, (cell_id, part, lanes) in zip(axes, panels):
        cell = cell_rows.loc[cell_id]
        segments = [("wait_dispatch_s", "suggest_rel_s", "book_rel_s", 0.25),
                    ("dispatch_to_start_s", "book_rel_s", "start_rel_s", 0.7),
                    ("objective_s", "start_rel_s", "end_rel_s", 0.7),
                    ("return_s", "end_rel_s", "refresh_rel_s", 0.7)]
        for name, a, b, height in segments:
            left = part[a].to_numpy(float)
            width = part[b].to_numpy(float) - left
            ok = np.isfinite(left) & np.isfinite(width) & (width > 0)
            ax.barh(lanes[ok], width[ok], left=left[ok], height=height,
                    color=PART_COLORS[name], edgecolor="white", linewidth=0.3,
                    label=PART_NAMES[name])
        ax.axvline(float(cell["wall_s"]), color="#d62728", linestyle="--", linewidth=1.2,
                   label="fmin returned")
        n_lanes = int(lanes.max()) + 1
        names = ["driver"] if cell["mode"] == "serial" else [f"slot {i + 1}"
                                                            for i in range(n_lanes)]
        ax.set_yticks(range(n_lanes), names[:n_lanes] + [""] * (n_lanes - len(names)))
        ax.set_ylim(n_lanes - 0.4, -0.6)
        ax.set_title(f"{cell['workload']} — {cell['setting']}, repeat {cell['repeat']}: "
                     f"{len(part)} trials, fmin wall {float(cell['wall_s']):.1f} s",
                     fontsize=10)
        ax.set_ylabel("worker slot")
        ax.grid(axis="x", alpha=0.3)
    axes[-1].set_xlabel("seconds since fmin was called")
    handles = [Patch(color=c, label=PART_NAMES[n]) for n, c in PART_COLORS.items()]
    handles.append(Line2D([], [], color="#d62728", linestyle="--", label="fmin returned"))
    fig.legend(handles=handles, loc="outside lower center", ncols=5, fontsize=8,
               frameon=False)
    fig.suptitle("Timeline of one cell per mode (gaps = idle slot)")
    return _save(fig, path)


# 5 -------------------------------------------------------------------------------------
def plot_effective_cores(trials: pd.DataFrame, logical_cores, physical_cores, usable_cores,
                         path: Path) -> Path:
    """Effective cores per trial by configuration, with the host's core counts marked (and the
    usable cores, when a CPU quota or the affinity mask allows fewer than the host has)."""
    lines = []
    if usable_cores and logical_cores and usable_cores < logical_cores:
        lines.append((float(usable_cores), "-.",
                      f"usable cores: quota/affinity ({usable_cores:g})"))
    if logical_cores:
        lines.append((float(logical_cores), "--", f"host logical cores ({int(logical_cores)})"))
    if physical_cores and physical_cores != logical_cores:
        lines.append((float(physical_cores), ":",
                      f"host physical cores ({int(physical_cores)})"))
    fig = _box_by_setting(trials, "effective_cores",
                          "Cores each trial kept busy (process CPU time ÷ objective time)",
                          "effective cores per trial", log=False, hlines=lines)
    for ax in fig.axes:
        if ax.get_visible():
            ax.set_ylim(bottom=0)
    return _save(fig, path)


# 6 -------------------------------------------------------------------------------------
def plot_best_loss(curves: pd.DataFrame, path: Path) -> Path:
    """Best loss so far against evaluations, median over repeats with the interquartile band."""
    data = curves.dropna(subset=["best_loss_median"])
    if data.empty:
        raise NoData("no trial returned a loss")
    colors = palette(_ordered_settings(data))
    workloads = _workloads(data)
    fig, axes = _panels(len(workloads))
    for ax, workload in zip(axes, workloads):
        part = data[data["workload"] == workload]
        for setting in _ordered_settings(part):
            line = part[part["setting"] == setting].sort_values("k")
            k = line["k"].to_numpy(float)
            ax.plot(k, line["best_loss_median"].to_numpy(float), color=colors[setting],
                    label=setting, linewidth=1.6, drawstyle="steps-post",
                    linestyle="-" if setting.startswith("spark") else "--")
            ax.fill_between(k, line["best_loss_q25"].to_numpy(float),
                            line["best_loss_q75"].to_numpy(float), color=colors[setting],
                            alpha=0.12, linewidth=0, step="post")
        ax.set_title(f"workload: {workload}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("evaluations (trials in suggestion order)")
        ax.set_ylabel("best loss so far (median of repeats)")
        ax.grid(alpha=0.3)
    _shared_legend(fig, axes)
    fig.suptitle("Search quality: best loss after k evaluations (band: quartiles of repeats)")
    return _save(fig, path)


def plot_cluster_sizing(sizing: pd.DataFrame, path: Path) -> Path:
    """fmin wall time per cluster shape, shapes ordered by total executor cores: one panel
    per workload, one line per spark configuration."""
    if sizing.empty:
        raise NoData("the run used no standalone cluster shapes (scenario key `clusters`)")
    workloads = sorted(sizing["workload"].unique())
    fig, axes = _panels(len(workloads), width=5.6, height=4.0, ncols=2)
    shapes = (sizing[["cluster_label", "total_cores", "workers"]].drop_duplicates()
              .sort_values(["total_cores", "workers", "cluster_label"]))
    xpos = {lab: i for i, lab in enumerate(shapes["cluster_label"])}
    ticks = [f"{lab}\n{int(c)} cores" for lab, c in zip(shapes["cluster_label"],
                                                         shapes["total_cores"])]
    configs = sizing.assign(config=sizing["configuration"])  # every axis but the shape
    colors = palette(sorted(configs["config"].unique()))
    for ax, workload in zip(axes, workloads):
        part = configs[configs["workload"] == workload]
        for config, grp in part.groupby("config", sort=True):
            grp = grp.sort_values("cluster_label", key=lambda s: s.map(xpos))
            ax.plot([xpos[c] for c in grp["cluster_label"]], grp["wall_median_s"], marker="o",
                    color=colors[config], label=config)
            for x, y, cs in zip(grp["cluster_label"], grp["wall_median_s"], grp["core_s_per_trial"]):
                ax.annotate(f"{cs:.1f} core·s/trial", (xpos[x], y), textcoords="offset points",
                            xytext=(4, 4), fontsize=7, color=colors[config])
        ax.set_xticks(range(len(ticks)), ticks, fontsize=8)
        ax.set_xlim(-0.5, len(ticks) - 0.5)
        ax.set_ylim(bottom=0)
        ax.set_title(f"workload: {workload}", fontsize=10)
        ax.set_xlabel("cluster shape (workers x cores; tc = spark.task.cpus)")
        ax.set_ylabel("fmin wall time, s (median)")
        ax.grid(alpha=0.3)
    fig.suptitle("Wall time by cluster shape, ordered by total executor cores")
    _shared_legend(fig, axes)
    return _save(fig, path)
