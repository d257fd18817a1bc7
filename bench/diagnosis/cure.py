"""What to change first, and what the tuned variant would add, measured on the run.

The rules judge SparkTrials as installed, so they see only cells that ran unmodified
hyperopt (`installed_only`). The advice attached to a fixed-overhead finding then names the
public knob to use first (max_queue_len = parallelism) and what the tuned variant — a
MODIFICATION of hyperopt, bench.tuned.TunedSparkTrials — would add on top: measured when the
run has tuned cells, otherwise estimated from the run's own latency split.
"""
from __future__ import annotations

import dataclasses
import math

import pandas as pd

from ..analysis.frames import RunData
from .finding import Finding
from ..analysis.measures import fixed_costs
from ..analysis.stats import median
from ..variant_table import FAST_POLL_S

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


def _wall(cells: pd.DataFrame, workload: str, p: int, variant: str) -> float:
    sel = cells[(cells["workload"] == workload) & (cells["mode"] == "spark")
                & (cells["parallelism"] == p) & (cells["variant_label"] == variant)
                & ~cells["failed"]]
    if variant == "stock":
        sel = sel[sel["max_queue_len"] == 1]
    return median(sel["wall_s"])


def advice(run: RunData, workload: str) -> str:
    """Public knob first, then the tuned variant's measured (or estimated) gain."""
    cells = run.cells
    spark = cells[(cells["workload"] == workload) & (cells["mode"] == "spark")]
    if not len(spark):
        return ""
    p = int(spark["parallelism"].max())
    stock = _wall(cells, workload, p, "stock")
    queued = median(spark[(spark["parallelism"] == p) & spark["variant_label"].isin(
        ["stock", "queue"]) & (spark["max_queue_len"] == p) & ~spark["failed"]]["wall_s"])
    tuned = _wall(cells, workload, p, "tuned")
    text = f"First, the public knob: fmin(..., max_queue_len={p})"
    if math.isfinite(stock) and math.isfinite(queued) and p > 1:
        text += f" (measured at parallelism {p}: {stock:.1f} s -> {queued:.1f} s)"
    text += ". "
    if math.isfinite(tuned) and math.isfinite(stock):
        text += (f"The tuned variant (bench.tuned.TunedSparkTrials: worker reuse, workers "
                 f"started before fmin with trials.prewarm(objective), and "
                 f"{FAST_POLL_S * 1000:g} ms polling on top; modifies hyperopt) measured {tuned:.1f} s against stock "
                 f"{stock:.1f} s at parallelism {p} on this run ({stock / tuned:.1f}x).")
        return text
    trials = run.trials
    st = fixed_costs(trials[(trials["workload"] == workload) & (trials["mode"] == "spark")
                            & (trials["status"] == "ok")], run.cells, run.spark_tasks)
    if not len(st):
        return text
    delay, startup = median(st["dispatch_delay_s"]), median(st["startup_s"])
    text += (f"The tuned variant (bench.tuned.TunedSparkTrials; modifies hyperopt) would also "
             f"remove most of the {delay:.2f} s dispatch delay (1 s loops) and of the "
             f"{startup:.2f} s dispatch -> start (fresh Python worker and imports) each trial "
             f"pays here; measure it by adding tuned cells (scenario key variants: stock and "
             f"tuned).")
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
