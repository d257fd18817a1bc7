"""The rule that runs after every other: a configuration far from its reference that no
finding covers gets a finding of its own, so nothing large goes silent."""
from __future__ import annotations

import math

import pandas as pd

from ..analysis import GROUP_COLS, Analysis, RunData
from ..analysis.stats import median
from .. import keys
from ..model import NATIVE
from ..formats import fmt_x
from .common import (configs, configuration, covered, covers_config, missing, objective_ratio,
                     ok_trials, same, seen_env, where)
from .finding import Finding
from .ids import finding_id
from .severities import severity
from .thresholds import T


def _reference(cfg: dict, walls: pd.DataFrame) -> dict | None:
    """The configuration `cfg` is judged against: serial native with the same workload,
    threads setting, evaluations and thread environment (any environment if none), else
    the same spark configuration at its lowest parallelism."""
    w = walls[(walls["workload"] == cfg["workload"]) & (walls["n_jobs_label"] == cfg["n_jobs_label"])
              & (walls["max_evals"] == cfg["max_evals"])]
    serial = w[(w["mode"] == "serial") & (w["condition"] == NATIVE)]
    for cand in (serial[serial["env_label"] == cfg["env_label"]], serial[serial["env_label"] == ""]):
        if len(cand):
            ref = cand.iloc[0].to_dict()
            return None if all(same(ref[k], cfg[k]) for k in GROUP_COLS) else ref
    if cfg["mode"] != "spark":
        return None
    spark = w[(w["mode"] == "spark") & (w["cluster_label"] == cfg["cluster_label"])
              & (w["env_label"] == cfg["env_label"]) & (w["max_queue_len"] == 1)]
    spark = spark.sort_values("parallelism")
    if not len(spark) or same(spark.iloc[0]["parallelism"], cfg["parallelism"]):
        return None
    return spark.iloc[0].to_dict()


_key = keys.key_of  # setting values as a key (NA and NaN alike, 2 and 2.0 alike)


def _ideal(row: dict) -> float:
    if row["mode"] != "spark" or pd.isna(row["parallelism"]):
        return 1.0
    slots = row.get("task_slots")
    return float(min(int(row["parallelism"]), int(slots))) if pd.notna(slots) else float(row["parallelism"])


def _gaps(row: dict, ref: dict, hot: pd.DataFrame, base: pd.DataFrame) -> dict:
    """{'wall': fmin wall over its expected value from the reference's wall and the ideal
    speedups, 'objective': median objective over the reference's}, where measurable."""
    gaps = {}
    if pd.notna(row["wall_median_s"]) and pd.notna(ref["wall_median_s"]) and ref["wall_median_s"] > 0:
        expected = ref["wall_median_s"] * _ideal(ref) / _ideal(row)
        gaps["wall"] = row["wall_median_s"] / expected
    if len(hot) and len(base):
        ratio, _ = objective_ratio(hot, base)
        if math.isfinite(ratio) and ratio > 0:
            gaps["objective"] = ratio
    return gaps


def unexplained(run: RunData, analysis: Analysis, findings: list[Finding]) -> list[Finding]:
    """Runs after every other rule: a configuration whose fmin wall (against its reference's
    wall divided by the ideal speedup) or median objective is 3x or more away from its
    reference, and that no finding covers, gets a finding of its own with the measurements
    at hand, so nothing large goes silent."""
    walls = analysis.walls
    if not len(walls):
        return []
    trials = ok_trials(run.trials)
    by_cfg = {_key(cfg.values()): grp for cfg, grp in configs(trials)}

    def trials_of(row):
        return by_cfg.get(_key(row[k] for k in GROUP_COLS), trials.iloc[0:0])

    out = []
    for row in walls.to_dict("records"):
        ref = _reference(row, walls)
        if ref is None:
            continue
        hot, base = trials_of(row), trials_of(ref)
        gaps = _gaps(row, ref, hot, base)
        big = {k: v for k, v in gaps.items()
               if max(v, 1 / v) >= T("unexplained_gap") and not covered(findings, row, k)}
        if not big:
            continue
        out.append(_unexplained_finding(row, ref, big, gaps, hot, base))
    return out


def _evidence(row, ref, gaps, hot, base) -> dict:
    def part(col):
        return round(median(hot[col]), 3) if len(hot) else None

    return {
        "setting": where(row, row["setting"]), "reference": where(ref, ref["setting"]),
        "fmin_wall_s": round(row["wall_median_s"], 2) if pd.notna(row["wall_median_s"]) else None,
        "reference_wall_s": round(ref["wall_median_s"], 2) if pd.notna(ref["wall_median_s"]) else None,
        "ideal_speedup": _ideal(row),
        **{f"{k}_vs_reference": v for k, v in gaps.items()},
        "objective_s": part("objective_s"),
        "reference_objective_s": round(median(base["objective_s"]), 3) if len(base) else None,
        "queue_wait_s": part("wait_dispatch_s"), "dispatch_to_start_s": part("dispatch_to_start_s"),
        "import_s": part("setup_s"), "return_s": part("return_s"),
        "threads_per_trial": part("model_threads_effective"),
        "omp_num_threads": seen_env(hot, "OMP_NUM_THREADS") if len(hot) else None,
        "effective_cores": part("effective_cores"),
        "reference_effective_cores": round(median(base["effective_cores"]), 2) if len(base) else None,
        "processes": int(hot["pid"].nunique()) if len(hot) else 0,
        "hosts": int(hot["hostname"].nunique()) if len(hot) else 0,
        "cells": int(row.get("cells") or 0),
    }


def _cells_that_would_help(row: dict) -> list[str]:
    helps = []
    if row["mode"] == "spark":
        if pd.notna(row["parallelism"]) and int(row["parallelism"]) > 1:
            helps.append("the same configuration at parallelism 1 (separates concurrency "
                         "from SparkTrials' fixed cost)")
        helps += ["n_jobs pinned to spark.task.cpus (separates threads from placement)"]
        if row["env_label"] == "":
            helps.append("a thread_env axis with OMP_WAIT_POLICY=passive (separates waiting "
                         "threads from working ones)")
    else:
        helps.append("the serial cell without its emulated condition, or on an idle driver")
    if int(row.get("cells") or 0) < T("unexplained_min_repeats"):
        helps.append(f"repeats >= {T('unexplained_min_repeats')}, to tell the gap from "
                     "run-to-run noise")
    return helps


def _unexplained_finding(row, ref, big, gaps, hot, base) -> Finding:
    evidence = _evidence(row, ref, gaps, hot, base)
    what = " and ".join(f"{k} {fmt_x(v)}" for k, v in big.items())
    return Finding(
        id=finding_id("unexplained", configuration(row, GROUP_COLS)),
        rule="unexplained", severity=severity("unexplained"),
        summary=(f"{row['workload']} {evidence['setting']}: {what} its reference "
                 f"({evidence['reference']}) and no rule explains it"),
        evidence={**evidence, "cells_that_would_help": _cells_that_would_help(row)},
        recommendation=("Nothing in this run's measurements accounts for this gap. Add the "
                        "cells listed under cells_that_would_help and look at the per-trial "
                        "timeline for this configuration."),
        covers=[{**covers_config(row)}],
        workload=row["workload"], configuration=configuration(row, GROUP_COLS))
