"""Analysis layer: pure functions from result frames to the tables the report shows.

`load_run(path)` reads a results folder into frames (bench.analysis.frames); `analyze(run)`
computes every table at once. Each table is also available from its own module, so a
diagnosis can call just what it needs.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .clocks import clock_offsets, correct_clocks
from .completeness import Completeness, completeness, trial_errors
from .concurrency import (cell_concurrency, concurrency_stats, concurrency_steps,
                          group_concurrency)
from .frames import GROUP_COLS, LATENCY_PARTS, RunData, build_frames, load_run
from .latency import join_spark_tasks, latency_split, spark_latency_split
from .placement import available_executors, placement_table, placement_unevenness
from .sizing import cluster_sizing
from .quality import best_loss_by_setting, best_loss_curves, final_best_loss
from .stats import (Estimate, bootstrap_median, bootstrap_median_ratio, karp_flatt,
                    unevenness)
from .threads import thread_usage
from .walltime import cell_summary, group_walls, ideal_speedup, speedups, usable_cells


@dataclass
class Analysis:
    """Every table derived from one run (see the function named in each comment)."""

    cells: pd.DataFrame            # cell_summary
    walls: pd.DataFrame            # group_walls
    speedups: pd.DataFrame         # speedups
    latency: pd.DataFrame          # latency_split
    spark_trials: pd.DataFrame     # join_spark_tasks (spark trials with their task)
    spark_latency: pd.DataFrame    # spark_latency_split
    cell_concurrency: pd.DataFrame  # cell_concurrency
    concurrency: pd.DataFrame      # group_concurrency
    threads: pd.DataFrame          # thread_usage
    loss_curves: pd.DataFrame      # best_loss_by_setting
    final_loss: pd.DataFrame       # final_best_loss
    placement: pd.DataFrame        # placement_table
    unevenness: pd.DataFrame       # placement_unevenness
    completeness: Completeness
    sizing: pd.DataFrame           # cluster_sizing
    errors: pd.DataFrame           # trial_errors
    clocks: pd.DataFrame = None    # clock_offsets (executor hosts against the driver)


def analyze(run: RunData) -> Analysis:
    """All tables for one run; pure apart from reading `run`'s frames."""
    trials, cells = run.trials, run.cells
    joined = join_spark_tasks(trials, run.spark_tasks)
    per_cell_conc = cell_concurrency(trials, cells)
    curves = best_loss_curves(trials)
    return Analysis(
        cells=cell_summary(cells, trials),
        walls=group_walls(cells),
        speedups=speedups(cells, run.manifest.task_slots),
        latency=latency_split(trials),
        spark_trials=joined,
        spark_latency=spark_latency_split(joined),
        cell_concurrency=per_cell_conc,
        concurrency=group_concurrency(per_cell_conc),
        threads=thread_usage(trials),
        loss_curves=best_loss_by_setting(curves),
        final_loss=final_best_loss(curves),
        placement=placement_table(trials, joined),
        unevenness=placement_unevenness(
            trials, joined, available_executors(run.manifest, cells, run.spark_executors)),
        completeness=completeness(run.manifest, cells, trials, run.bad_lines,
                                  run.orphan_trials),
        sizing=cluster_sizing(cells),
        errors=trial_errors(trials),
        clocks=clock_offsets(trials, run.spark_tasks),
    )


__all__ = ["cluster_sizing", 
    "Analysis", "Completeness", "Estimate", "GROUP_COLS", "LATENCY_PARTS", "RunData",
    "available_executors", "clock_offsets", "correct_clocks",
    "analyze", "best_loss_by_setting", "best_loss_curves", "bootstrap_median",
    "bootstrap_median_ratio", "build_frames", "cell_concurrency", "cell_summary",
    "completeness", "concurrency_stats", "concurrency_steps", "final_best_loss",
    "group_concurrency", "group_walls", "ideal_speedup", "join_spark_tasks", "karp_flatt",
    "latency_split", "load_run", "placement_table",
    "placement_unevenness", "spark_latency_split", "speedups", "thread_usage", "trial_errors", "unevenness",
    "usable_cells",
]
