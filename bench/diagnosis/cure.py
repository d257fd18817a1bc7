"""What to change first, and what the tuned variant would add, measured on the run.

The rules judge SparkTrials as installed, so they see only cells that ran unmodified
hyperopt (`installed_only`). The advice attached to a fixed-overhead finding then names the
public knob to use first (max_queue_len = parallelism) and what the tuned variant — a
MODIFICATION of hyperopt, bench.tuned.TunedSparkTrials — would add on top: measured when the
run has tuned cells, otherwise estimated from the run's own latency split. Both against the
user's current setup, each fix changing one axis of it (bench.analysis.setup); the tuned
variant's time counts the workers it starts before fmin.
"""
from __future__ import annotations

import dataclasses
import math

import pandas as pd

from .. import keys
from ..analysis.frames import RunData
from ..analysis.measures import fixed_costs
from ..analysis.setup import fix_of, setup_of
from ..analysis.stats import median
from ..analysis.walltime import group_walls
from ..variant_table import FAST_POLL_S
from .finding import Finding

#: Variants that run hyperopt unmodified (stock, and the public max_queue_len knob).
UNMODIFIED = ("", "stock", "queue")


def installed_only(run: RunData) -> RunData:
    """The run without pool cells and without cells of variants that modify hyperopt."""
    def keep(df: pd.DataFrame) -> pd.DataFrame:
        if "variant_label" not in df.columns or not len(df):
            return df
        return df[df["variant_label"].isin(UNMODIFIED) & (df["mode"] != "pool")]

    if not len(run.cells) or keep(run.cells).shape[0] == run.cells.shape[0]:
        return run
    return dataclasses.replace(run, cells=keep(run.cells), trials=keep(run.trials))


def _measured(run: RunData, workload: str, p: int):
    """(setup row, public-knob row, tuned row) at parallelism p: per-configuration medians
    (primary figure: warm-up + wall) of the setup's spark configuration and of its one-axis
    fixes max_queue_len = p (or the queue variant) and the tuned variant; None where absent."""
    cells = run.cells[run.cells["workload"] == workload]
    setup = setup_of(run.manifest, run.cells, workload)
    walls = group_walls(cells)
    rows = [r for r in walls.to_dict("records") if r["cells"] > 0 and r["mode"] == "spark"
            and keys.same(r["parallelism"], p)]
    base = next((r for r in rows if setup.is_setup(r)), None)
    fixes = [(fix_of(r, setup), r) for r in rows]
    queued = next((r for f, r in fixes if f and (f.axis, f.value) in (
        ("max_queue_len", "parallelism"), ("variant_label", "queue"))), None)
    tuned = next((r for f, r in fixes if f and (f.axis, f.value) == ("variant_label", "tuned")),
                 None)
    return setup, base, queued, tuned


def _tuned_text(tuned: dict, stock: float, p: int) -> str:
    """The tuned variant's measured time against stock, its warm-up before the clock counted
    (what the first fmin of a session pays), the wall alone beside it."""
    paid, wall, warm = tuned["paid_median_s"], tuned["wall_median_s"], tuned["warmup_median_s"]
    text = (f"The tuned variant (bench.tuned.TunedSparkTrials: worker reuse, workers started "
            f"before fmin with trials.prewarm(objective), and {FAST_POLL_S * 1000:g} ms polling "
            f"on top; modifies hyperopt) measured {paid:.2f} s")
    if warm > 0:
        text += f" ({warm:.2f} s starting its workers + {wall:.2f} s fmin)"
    text += (f" against stock {stock:.1f} s at parallelism {p} on this run "
             f"({stock / paid:.1f}x")
    if warm > 0:
        text += f"; {wall:.2f} s, {stock / wall:.1f}x, with its workers already running"
    return text + ")."


def advice(run: RunData, workload: str) -> str:
    """Public knob first, then the tuned variant's measured (or estimated) gain, each
    against the user's current setup at the highest parallelism (bench.analysis.setup)."""
    cells = run.cells
    spark = cells[(cells["workload"] == workload) & (cells["mode"] == "spark")]
    if not len(spark):
        return ""
    p = int(spark["parallelism"].max())
    setup, base, queued, tuned = _measured(run, workload, p)
    stock = base["paid_median_s"] if base is not None else float("nan")
    text = f"First, the public knob: fmin(..., max_queue_len={p})"
    if setup.queue_at(p) == p and p > 1:
        text += " (already the current setup)"
    elif queued is not None and math.isfinite(stock) and p > 1:
        text += (f" (measured at parallelism {p} on the current setup, {setup.text()}: "
                 f"{stock:.1f} s -> {queued['paid_median_s']:.1f} s)")
    text += ". "
    if tuned is not None and math.isfinite(stock) and tuned["paid_median_s"] > 0:
        return text + _tuned_text(tuned, stock, p)
    trials = run.trials
    mine = trials[(trials["workload"] == workload) & (trials["mode"] == "spark")
                  & (trials["status"] == "ok")]
    mine = mine[[setup.is_setup(r) for r in mine[keys.CONFIG].to_dict("records")]]
    st = fixed_costs(mine, run.cells, run.spark_tasks)
    if not len(st):
        return text
    delay, startup = median(st["dispatch_delay_s"]), median(st["startup_s"])
    text += (f"The tuned variant (bench.tuned.TunedSparkTrials; modifies hyperopt) would also "
             f"remove most of the {delay:.2f} s dispatch delay (1 s loops) and of the "
             f"{startup:.2f} s dispatch -> start (fresh Python worker and imports) each trial "
             f"of the current setup pays here; measure it by adding tuned cells (scenario key "
             f"variants: stock and tuned).")
    return text


def with_advice(findings: list[Finding], run: RunData) -> list[Finding]:
    """Fixed-overhead findings get the advice appended to their recommendation."""
    out = []
    for f in findings:
        if f.rule == "fixed-overhead" and f.workload:
            extra = advice(run, f.workload)
            if extra:
                f = dataclasses.replace(f, recommendation=f"{f.recommendation} {extra}".strip())
        out.append(f)
    return out
