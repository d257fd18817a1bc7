"""Chart: predicted fmin wall and cost against cluster size, knee and recommendation marked."""
from __future__ import annotations

import math
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .predict import Prediction
from .recommend import recommend

DPI = 100


def _series(preds: list[Prediction]) -> dict:
    """Predictions of one objective grouped by queue setting and ordered by total cores."""
    out: dict = {}
    for p in preds:
        name = "max_queue_len = parallelism" if p.shape.q == p.shape.p else \
            f"max_queue_len = {p.shape.q}"
        if p.shape.parallelism and p.shape.parallelism != p.shape.slots:
            name += f", parallelism {p.shape.parallelism}"
        out.setdefault(name, []).append(p)
    return {k: sorted(v, key=lambda p: (p.shape.total_cores, p.shape.slots)) for k, v in out.items()}


def plot_sizing(preds: list[Prediction], path: Path, title: str = "") -> Path:
    """One panel per objective (workload, n_jobs, thread environment): wall with its interval (left axis, solid)
    and core-seconds per trial (right axis, dashed) against total executor cores."""
    keys = sorted({p.key for p in preds})
    if not keys:
        raise ValueError("no predictions to draw")
    ncols = min(2, len(keys))
    nrows = math.ceil(len(keys) / ncols)
    fig = Figure(figsize=(6.4 * ncols, 4.4 * nrows + 0.5), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"]
    for ax, key in zip(axes, keys):
        mine = [p for p in preds if p.key == key]
        cost_ax = ax.twinx()
        for i, (name, series) in enumerate(sorted(_series(mine).items())):
            color = colors[i % len(colors)]
            x = [p.shape.total_cores for p in series]
            ax.plot(x, [p.wall_s for p in series], marker="o", color=color, label=f"wall, {name}")
            ax.fill_between(x, [p.wall_low_s for p in series], [p.wall_high_s for p in series],
                            color=color, alpha=0.15, linewidth=0)
            cost_ax.plot(x, [p.core_s_per_trial for p in series], linestyle="--", marker=".",
                         color=color, alpha=0.7, label=f"cost, {name}")
        rec = recommend(mine)
        r = rec.recommended
        ax.plot([r.shape.total_cores], [r.wall_s], marker="*", markersize=16, color="black",
                linestyle="none", label=f"recommended: {r.shape.name()}")
        if rec.knee is not None:
            ax.axvline(rec.knee.shape.total_cores, color="grey", linestyle=":",
                       label=f"knee: parallelism {rec.knee_parallelism} (next step < 5%)")
        ax.set_xscale("log", base=2)
        ticks = sorted({p.shape.total_cores for p in mine})
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.set_ylim(bottom=0)
        cost_ax.set_ylim(bottom=0)
        ax.set_xlabel("total executor cores (log scale)")
        ax.set_ylabel("predicted fmin wall, s")
        cost_ax.set_ylabel("core-seconds per trial (dashed)")
        ax.set_title(f"{key.text()}: {mine[0].max_evals} evaluations", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
    fig.suptitle(title or "Predicted wall time and cost by cluster size (model, not measured)")
    fig.savefig(path, dpi=DPI)
    return path


__all__ = ["plot_sizing"]
