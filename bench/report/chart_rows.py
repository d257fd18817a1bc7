"""What the charts share besides matplotlib: which configurations come first, how their
labels read, and text that never overlaps.

- Rows that matter first: the user's current setup (the first value of every axis in the
  scenario, bench.analysis.setup) and each fix changing one axis of it, at the user's parallelism
  (the largest the run measured), lead every per-configuration chart; the rest follows.
- Value labels beside points are stacked so no two overlap; tick labels that would overlap
  a neighbour are left out (the axis keeps its ticks).
- `text_overlaps(fig)` lists every pair of visible texts whose boxes overlap: the suite
  checks every chart with it.
"""
from __future__ import annotations

import pandas as pd
from matplotlib.text import Text

from .. import keys
from ..analysis.setup import Setup, differing_axes
from ..model import NATIVE

#: Rank of a configuration: the setup, its fixes, the setup elsewhere, the rest.
SETUP, FIX, ELSEWHERE, OTHER = range(4)
RANK_NAMES = {SETUP: "current setup", FIX: "one fix", ELSEWHERE: "setup, elsewhere",
              OTHER: "other"}


def changed_axes(row: dict, setup: Setup) -> list[str]:
    """The axes (keys.CONFIG columns, or "mode" for the pool) on which a configuration
    differs from the workload's current setup (analysis.setup's rule); parallelism does not
    count, and a column the row does not carry counts as the setup's."""
    mode = row.get("mode") or "spark"
    base = setup.config(mode, row.get("parallelism"))
    probe = {c: (row[c] if c in row else base[c]) for c in keys.CONFIG}
    probe.update(mode=mode, parallelism=base["parallelism"],
                 condition=row.get("condition") or NATIVE)
    if mode == "spark" and keys.missing(probe["max_queue_len"]):
        probe["max_queue_len"] = base["max_queue_len"]
    out = sorted(differing_axes(probe, base))
    return (["mode"] if mode == "pool" else []) + out


def setup_for(setups: dict | None, workload: str) -> Setup:
    """The workload's current setup (analysis.setup.setup_of, computed by the caller);
    stock SparkTrials with max_queue_len 1 and defaults where none was given."""
    found = (setups or {}).get(workload)
    return found if found is not None else Setup(workload=workload, n_jobs_label="None",
                                                 max_evals=None)


def ranks(df: pd.DataFrame, setups: dict | None) -> pd.Series:
    """Per row: SETUP (the current setup at the user's parallelism, or serial on the native
    driver), FIX (one axis changed from it, there), ELSEWHERE (the setup or a fix at another
    parallelism or on an emulated driver) or OTHER."""
    spark = df[df["mode"] != "serial"]
    user_p = (spark.groupby("workload")["parallelism"].max() if len(spark)
              else pd.Series(dtype=float))
    out = []
    for row in df.to_dict("records"):
        changed = changed_axes(row, setup_for(setups, row["workload"]))
        elsewhere = row["mode"] != "serial" and row.get("parallelism") != user_p.get(
            row["workload"])
        if "condition" in changed:
            changed.remove("condition")
            elsewhere = True
        if len(changed) > 1:
            out.append(OTHER)
        elif elsewhere:
            out.append(ELSEWHERE)
        else:
            out.append(SETUP if not changed else FIX)
    return pd.Series(out, index=df.index, dtype="int64")


def ordered(df: pd.DataFrame, setups: dict | None) -> pd.DataFrame:
    """Rows that matter first (ranks), then in the configuration sort order; adds `rank`."""
    if df.empty:
        return df.assign(rank=pd.Series(dtype="int64"))
    return df.assign(rank=ranks(df, setups)).sort_values(["rank", "setting_order"],
                                                        kind="stable")


#: A per-configuration chart shows at most this many rows per workload (a laptop screen);
#: the rest are in the report's tables.
MAX_ROWS = 14


def chart_rows(df: pd.DataFrame, setups: dict | None, max_rows: int = MAX_ROWS):
    """One workload's configurations for a chart of one row each: rows that matter first,
    at most `max_rows`; returns (rows with `rank` and `label`, how many were left out)."""
    configs = df.drop_duplicates("setting")
    rows = ordered(configs, setups)
    drop_env = not (rows["env_label"].fillna("") != "").any()
    rows = rows.assign(label=[short_setting(s, drop_env) for s in rows["setting"]])
    return rows.head(max_rows), max(0, len(rows) - max_rows)


def mark_rows(ax, y, rows: pd.DataFrame) -> None:
    """Bold labels for the current setup's rows; a thin line under the setup and its fixes."""
    for label, rank in zip(ax.get_yticklabels(), rows["rank"]):
        if rank == SETUP:
            label.set_fontweight("bold")
    lead = (rows["rank"] <= FIX).to_numpy()
    if lead.any() and not lead.all():
        ax.axhline(min(y[lead]) - 0.5, color="#555555", linewidth=0.6, linestyle="--")


def short_setting(label: str, drop_env: bool) -> str:
    """A configuration label for a chart row: without '{env as is}' when no row of the chart
    sets a thread environment."""
    return label.replace(" {env as is}", "") if drop_env else label


# --- text that does not overlap ------------------------------------------------------------
def stack_labels(ax, items: list[tuple], gap_px: float = 2.0, dx_pt: float = 6.0,
                 fontsize: float = 8) -> list:
    """Value labels (x, y, text, colour[, side]) beside their points, to the right unless
    side is "left", moved apart vertically where two would overlap (points at one x share a
    column). Call after the axes' limits are final. Returns the annotations."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    to_px = ax.transData.transform
    anns = []
    for x, y, text, color, *side in items:
        sign = -1 if side and side[0] == "left" else 1
        ann = ax.annotate(text, (x, y), textcoords="offset points", xytext=(sign * dx_pt, 0),
                          fontsize=fontsize, color=color, va="center",
                          ha="right" if sign < 0 else "left")
        ann.set_in_layout(False)  # placed in the layout's pixels: it must not move them
        anns.append((to_px((x, y)), ann))
    px_per_pt = fig.dpi / 72.0
    placed: list = []  # (left, right, bottom, top) in pixels
    for (px, py), ann in sorted(anns, key=lambda a: (a[0][1], a[0][0])):
        box = ann.get_window_extent(renderer)
        h, w = box.height, box.width
        dx = ann.get_position()[0]
        left = px + dx * px_per_pt - (w if dx < 0 else 0)
        bottom = py - h / 2
        for _ in range(len(placed) + 1):
            clash = [p for p in placed if left < p[1] and p[0] < left + w
                     and bottom < p[3] + gap_px and p[2] - gap_px < bottom + h]
            if not clash:
                break
            bottom = max(p[3] for p in clash) + gap_px
        placed.append((left, left + w, bottom, bottom + h))
        ann.set_position((dx, (bottom + h / 2 - py) / px_per_pt))
    _keep_inside(ax, anns, placed, px_per_pt)
    return [a for _, a in anns]


def _keep_inside(ax, anns: list, placed: list, px_per_pt: float) -> None:
    """Move each column of stacked labels down as a whole where it rises above the axes."""
    top = ax.get_window_extent().y1
    order = sorted(anns, key=lambda a: (a[0][1], a[0][0]))
    columns: dict = {}
    for (pt, ann), box in zip(order, placed):
        columns.setdefault(round(box[0]), []).append((pt, ann, box))
    for members in columns.values():
        excess = max(box[3] for _, _, box in members) - top
        if excess > 0:
            for (px, py), ann, box in members:
                centre = (box[2] + box[3]) / 2 - excess
                ann.set_position((ann.get_position()[0], (centre - py) / px_per_pt))


def thin_tick_labels(fig) -> None:
    """On every axis of the figure, blank the tick labels that would overlap a neighbour
    kept before them (the ticks stay; the first label wins). Run on the final layout."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            kept = []
            for tick in _drawn_ticks(axis):
                label = tick.label1
                if not label.get_visible() or not label.get_text().strip():
                    continue
                box = label.get_window_extent(renderer)
                if any(box.x0 < k.x1 + 3 and k.x0 < box.x1 + 3 and box.y0 < k.y1 + 1
                       and k.y0 < box.y1 + 1 for k in kept):
                    label.set_visible(False)
                else:
                    kept.append(box)


def _drawn_ticks(axis) -> list:
    """The ticks of an axis that fall inside its view (others exist but are not drawn)."""
    lo, hi = sorted(axis.get_view_interval())
    span = (hi - lo) * 1e-9
    ticks = [*axis.get_major_ticks(), *axis.get_minor_ticks()]
    return [t for t in ticks if lo - span <= t.get_loc() <= hi + span]


def visible_texts(fig) -> list[Text]:
    """Every text the figure draws: titles, axis labels, tick labels inside the view,
    annotations, legends."""
    out = [t for t in fig.texts]
    for legend in fig.legends:
        if legend.get_visible():
            out += [*legend.get_texts(), legend.get_title()]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        ticks = {id(t.label1) for a in (ax.xaxis, ax.yaxis)
                 for t in [*a.get_major_ticks(), *a.get_minor_ticks()]} | {
            id(t.label2) for a in (ax.xaxis, ax.yaxis)
            for t in [*a.get_major_ticks(), *a.get_minor_ticks()]}
        for t in ax.findobj(Text):
            if id(t) not in ticks:
                out.append(t)
        for a in (ax.xaxis, ax.yaxis):
            out += [t.label1 for t in _drawn_ticks(a)] + [t.label2 for t in _drawn_ticks(a)]
    unique = list({id(t): t for t in out}.values())
    return [t for t in unique if t.get_visible() and t.get_text().strip()
            and (t.axes is None or t.axes.get_visible())]


def text_overlaps(fig, tolerance_px: float = 1.0) -> list[tuple[str, str]]:
    """Pairs of visible texts whose drawn boxes overlap by more than `tolerance_px` either
    way (empty: the chart reads)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = []
    for t in visible_texts(fig):
        box = t.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            boxes.append((t.get_text(), box))
    out = []
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if w > tolerance_px and h > tolerance_px:
                out.append((a, b))
    return out
