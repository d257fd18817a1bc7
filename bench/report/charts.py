"""The report's charts, drawn with matplotlib's object API (Agg, no pyplot state).

Each plot_* function takes analysis tables, writes one PNG and returns its path, or raises
NoData with the reason the chart cannot be drawn (the report prints that reason instead).
"""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from ..model import NATIVE
from .chart_rows import chart_rows, mark_rows, stack_labels, thin_tick_labels

DPI = 100
#: Horizontal boxes: `orientation` from matplotlib 3.10, `vert=False` before it (3.9 is the
#: oldest the harness supports; a stack such as may2022 pins it).
HORIZONTAL = ({"orientation": "horizontal"}
              if tuple(int(x) for x in matplotlib.__version__.split(".")[:2]) >= (3, 10)
              else {"vert": False})
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
    thin_tick_labels(fig)  # a tick label too close to its neighbour is left out
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
               ncols=min(2, len(seen)), fontsize=8, frameon=False)


# 2 -------------------------------------------------------------------------------------
def _row_panels(n_workloads: int, rows: int, width: float = 7.0):
    """Side-by-side panels (two per line) tall enough for `rows` rows of one line each."""
    ncols = min(2, max(1, n_workloads))
    nrows = math.ceil(n_workloads / ncols)
    fig = Figure(figsize=(width * ncols, nrows * (0.3 * rows + 1.4) + 0.9), dpi=DPI,
                 layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[n_workloads:]:
        ax.set_visible(False)
    return fig, axes[:n_workloads]


def _box_by_setting(trials: pd.DataFrame, column: str, title: str, xlabel: str,
                    log: bool, vlines: list[tuple[float, str, str]] = (),
                    setups: dict | None = None) -> Figure:
    """Horizontal boxes of a per-trial measure, one row per configuration, the current
    setup and its fixes first (bench.report.chart_rows)."""
    data = trials[trials[column].notna()]
    if log:
        data = data[data[column] > 0]
    if data.empty:
        raise NoData(f"no trial recorded {column}")
    colors = palette(_ordered_settings(data))
    workloads = _workloads(data)
    picked = {w: chart_rows(data[data["workload"] == w], setups) for w in workloads}
    fig, axes = _row_panels(len(workloads), max(len(r) for r, _ in picked.values()))
    for ax, workload in zip(axes, workloads):
        part = data[data["workload"] == workload]
        rows, left_out = picked[workload]
        values = [part.loc[part["setting"] == s, column].to_numpy(float) for s in rows["setting"]]
        y = np.arange(len(rows))[::-1] + 1
        few = all(len(v) <= STRIP_MAX for v in values)  # points drawn one by one instead
        box = ax.boxplot(values, positions=y, **HORIZONTAL, patch_artist=True,
                         widths=0.6, showfliers=not few,
                         flierprops={"markersize": 2, "alpha": 0.4},
                         medianprops={"color": "black"})
        for patch, setting in zip(box["boxes"], rows["setting"]):
            patch.set_facecolor(colors[setting])
            patch.set_alpha(0.6)
        _strip(ax, values, positions=y)
        ax.set_yticks(y, rows["label"].tolist(), fontsize=8)
        mark_rows(ax, y, rows)
        for x, style, label in vlines:
            ax.axvline(x, color="#d62728", linestyle=style, linewidth=1.2, label=label)
        if log:
            ax.set_xscale("log")
            _plain_log_labels(ax.xaxis, np.concatenate(values))
        ax.set_title(f"workload: {workload}", fontsize=10)
        ax.set_xlabel(xlabel + (f"\n({left_out} more configurations in the tables)"
                                if left_out else ""), fontsize=9)
        ax.grid(axis="x", alpha=0.3, which="both" if log else "major")
        if vlines:
            ax.legend(fontsize=8, loc="lower right")
    fig.suptitle(title + " — current setup in bold, its one-axis fixes above the line",
                 fontsize=11)
    return fig


def _strip(ax, values: list[np.ndarray], positions, max_points: int = None) -> None:
    """Overlay the individual trials when there are few enough to see one by one."""
    rng = np.random.default_rng(0)
    max_points = STRIP_MAX if max_points is None else max_points
    for pos, vals in zip(positions, values):
        if 0 < len(vals) <= max_points:
            ax.scatter(vals, pos + rng.uniform(-0.15, 0.15, len(vals)), s=9, color="black",
                       alpha=0.45, linewidths=0, zorder=3)


def _plain_log_labels(axis, values: np.ndarray) -> None:
    """Log axes labelled 0.2, 1, 5 rather than 2×10⁻¹; minor ticks labelled on short ranges
    (labels that would overlap are left out by thin_tick_labels)."""
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(plain)
    values = values[np.isfinite(values) & (values > 0)]
    short = len(values) and values.max() / values.min() < 2.5
    axis.set_minor_formatter(plain if short else NullFormatter())
    axis.set_tick_params(which="minor", labelsize=7)


def plot_objective_times(trials: pd.DataFrame, path: Path, setups: dict | None = None) -> Path:
    """Per-trial objective time by configuration, log scale, one panel per workload."""
    fig = _box_by_setting(trials, "objective_s", "Objective time per trial (box: quartiles, "
                          "whiskers: 1.5 IQR)", "objective time per trial, s (log scale)",
                          log=True, setups=setups)
    return _save(fig, path)


# 3 -------------------------------------------------------------------------------------
def plot_latency(latency: pd.DataFrame, path: Path, setups: dict | None = None) -> Path:
    """Stacked horizontal bars of the mean latency parts per configuration, one panel per
    workload; the current setup and its fixes at the user's parallelism first."""
    means = ["mean_" + p for p in PART_COLORS]
    data = latency.dropna(subset=means)
    data = data[data["trials_complete"] > 0]
    if data.empty:
        raise NoData("no trial has all four latency parts (suggest, book, start/end and "
                     "refresh times)")
    workloads = _workloads(data)
    picked = {w: chart_rows(data[data["workload"] == w], setups) for w in workloads}
    fig, axes = _row_panels(len(workloads), max(len(r) for r, _ in picked.values()), 7.5)
    for ax, workload in zip(axes, workloads):
        rows, left_out = picked[workload]
        y = np.arange(len(rows))[::-1]
        left = np.zeros(len(rows))
        for name, color in PART_COLORS.items():
            width = np.clip(rows["mean_" + name].to_numpy(float), 0, None)
            ax.barh(y, width, left=left, color=color, height=0.6, label=PART_NAMES[name],
                    edgecolor="white", linewidth=0.5)
            left += width
        for yi, total, share in zip(y, left, rows["share_pre_objective"]):
            ax.text(total, yi, f" {share:.0%}", va="center", fontsize=8)
        ax.set_yticks(y, rows["label"].tolist(), fontsize=8)
        mark_rows(ax, y, rows)
        ax.set_xlim(0, left.max() * 1.18 if left.max() > 0 else 1)
        ax.set_title(f"workload: {workload}", fontsize=10)
        ax.set_xlabel("mean seconds per trial, suggested → result recorded\n(% before the "
                      "objective)" + (f"; {left_out} more configurations in the tables"
                                      if left_out else ""), fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    fig.suptitle("Where each trial's latency goes (mean per trial) — current setup in bold, "
                 "its one-axis fixes above the line", fontsize=11)
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
                         path: Path, setups: dict | None = None) -> Path:
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
                          "effective cores per trial", log=False, vlines=lines, setups=setups)
    for ax in fig.axes:
        if ax.get_visible():
            ax.set_xlim(left=0)
    return _save(fig, path)


# 6 -------------------------------------------------------------------------------------
def plot_best_loss(curves: pd.DataFrame, path: Path) -> Path:
    """Best loss so far against evaluations, median over repeats with the interquartile band;
    configurations whose curves are identical (the same points evaluated in the same order)
    share one line."""
    data = curves.dropna(subset=["best_loss_median"])
    if data.empty:
        raise NoData("no trial returned a loss")
    colors = palette(_ordered_settings(data))
    workloads = _workloads(data)
    lines = {w: _distinct_curves(data[data["workload"] == w]) for w in workloads}
    entries = sum(len(v) for v in lines.values())
    fig, axes = _panels(len(workloads), height=3.8 + 0.1 * math.ceil(entries / 2))
    for ax, workload in zip(axes, workloads):
        for setting, same, line in lines[workload]:
            k = line["k"].to_numpy(float)
            label = f"{setting}" + (f" and {same} more with the same losses" if same else "")
            ax.plot(k, line["best_loss_median"].to_numpy(float), color=colors[setting],
                    label=label, linewidth=1.6, drawstyle="steps-post",
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


def _distinct_curves(part: pd.DataFrame) -> list[tuple[str, int, pd.DataFrame]]:
    """(first configuration, how many others have the same curve, its rows) per distinct
    curve, in the configuration order."""
    out: dict = {}
    for setting in _ordered_settings(part):
        line = part[part["setting"] == setting].sort_values("k")
        key = tuple(np.round(line[["k", "best_loss_median", "best_loss_q25",
                                   "best_loss_q75"]].to_numpy(float), 9).ravel())
        if key in out:
            out[key][1] += 1
        else:
            out[key] = [setting, 0, line]
    return [tuple(v) for v in out.values()]


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
    labels_of = []
    for ax, workload in zip(axes, workloads):
        part = configs[configs["workload"] == workload]
        items = []
        for config, grp in part.groupby("config", sort=True):
            grp = grp.sort_values("cluster_label", key=lambda s: s.map(xpos))
            ax.plot([xpos[c] for c in grp["cluster_label"]], grp["wall_median_s"], marker="o",
                    color=colors[config], label=config)
            items += [(xpos[x], y, f"{cs:.1f} core·s/trial", colors[config]) for x, y, cs in
                      zip(grp["cluster_label"], grp["wall_median_s"], grp["core_s_per_trial"])]
        labels_of.append((ax, items))
        ax.set_xticks(range(len(ticks)), ticks, fontsize=8)
        ax.set_xlim(-0.5, len(ticks) - 0.1)  # room on the right for the last shape's labels
        ax.set_ylim(0, part["wall_median_s"].max() * 1.15)
        ax.set_title(f"workload: {workload}", fontsize=10)
        ax.set_xlabel("cluster shape (workers x cores; tc = spark.task.cpus)")
        ax.set_ylabel("fmin wall time, s (median)")
        ax.grid(alpha=0.3)
    fig.suptitle("Wall time by cluster shape, ordered by total executor cores")
    _shared_legend(fig, axes)
    fig.canvas.draw()  # the layout first: labels are stacked in its pixels
    for ax, items in labels_of:
        stack_labels(ax, items, dx_pt=4, fontsize=7)
    return _save(fig, path)
