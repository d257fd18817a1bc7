"""What-if comparisons: the effect of each recommended change, measured in the same run.

A scenario tests a recommendation by running the changed setting beside the original
(max_queue_len = parallelism beside 1; n_jobs pinned to spark.task.cpus beside the model's
default). These functions pair such cells and return the measured numbers; nothing here is
predicted, and nothing here is text for people (bench.report.whatif renders them).
"""
from __future__ import annotations

import re

import pandas as pd

from ..keys import env_label
from . import Analysis
from .frames import RunData
from .stats import median


def queue_length_effect(walls: pd.DataFrame) -> list[dict]:
    """fmin wall time at max_queue_len 1 against max_queue_len = parallelism, from the
    analysis' per-configuration medians (bench.analysis.group_walls)."""
    spark = walls[(walls["mode"] == "spark") & (walls["parallelism"] >= 2)
                  & walls["wall_median_s"].notna()]
    if "variant_label" in spark.columns:  # unmodified hyperopt only: stock and the public knob
        spark = spark[spark["variant_label"].isin(["stock", "queue"])]
    rows = []
    keys = ["workload", "n_jobs_label", "parallelism", "max_evals", "cluster_label"]
    for (workload, n_jobs, p, _, _), grp in spark.groupby(keys, sort=True):
        before = grp[grp["max_queue_len"] == 1]["wall_median_s"]
        after = grp[grp["max_queue_len"] == p]["wall_median_s"]
        if not len(before) or not len(after):
            continue
        b, a = float(before.iloc[0]), float(after.iloc[0])
        rows.append({"change": f"max_queue_len 1 -> {int(p)}", "workload": workload,
                     "parallelism": int(p), "n_jobs_label": n_jobs,
                     "setting": re.sub(r" q=\d+", "", grp["setting"].iloc[0]),
                     "before_s": b, "after_s": a,
                     "effect": b / a if a > 0 else float("nan")})
    return rows


def pinned_threads_effect(run: RunData, pinned: str = "1") -> list[dict]:
    """Per workload and serial condition: median objective time per trial in serial mode and
    in spark mode (lowest parallelism) with the model's own thread setting, and with threads
    pinned to spark.task.cpus (n_jobs=1); gap = serial / spark objective time."""
    trials = run.trials[run.trials["status"] == "ok"]
    rows = []
    for workload, wt in trials.groupby("workload", sort=True):
        labels = set(wt["n_jobs_label"])
        if pinned not in labels or len(labels) < 2:
            continue
        for condition in sorted(set(wt[wt["mode"] == "serial"]["condition"])):
            def objective(n_jobs: str):
                serial = wt[(wt["mode"] == "serial") & (wt["condition"] == condition)
                            & (wt["n_jobs_label"] == n_jobs)]["objective_s"]
                spark = wt[(wt["mode"] == "spark") & (wt["n_jobs_label"] == n_jobs)]
                p = spark["parallelism"].min()
                return median(serial), median(spark[spark["parallelism"] == p]["objective_s"]), p

            ps, pk, p_after = objective(pinned)
            for other in sorted(labels - {pinned}):
                os_, ok, p_before = objective(other)
                if not all(map(pd.notna, (ps, pk, os_, ok))) or min(pk, ok) <= 0:
                    continue
                rows.append({
                    "change": f"n_jobs {other} -> {pinned} (both modes)", "workload": workload,
                    "condition": condition, "from_n_jobs": other, "to_n_jobs": pinned,
                    "spark_parallelism": int(min(p_before, p_after)),
                    "serial_before_s": os_, "spark_before_s": ok,
                    "serial_after_s": ps, "spark_after_s": pk,
                    "gap_before": os_ / ok, "gap_after": ps / pk,
                })
    return rows


def baseline_env(run: RunData, workload: str) -> str:
    """The thread environment a scenario's others are compared with: the first of its
    thread_env axis (the workload's own, else the scenario's); '' when it declares none."""
    first = run.manifest.thread_envs(workload)[0]
    return env_label(first) if isinstance(first, dict) else ""


def thread_setting_effect(run: RunData, walls: pd.DataFrame) -> list[dict]:
    """Per configuration: median objective and fmin wall before and after one thread change
    measured beside it in the same run: a thread environment set (e.g. OMP_WAIT_POLICY=
    passive, against the inherited environment) or, for spark cells, n_jobs pinned to the
    session's spark.task.cpus (against the workload's other thread settings). Times are
    NaN where a side measured none."""
    trials = run.trials[run.trials["status"] == "ok"]
    obj = trials.groupby(["setting"])["objective_s"].median()
    rows = []
    cols = ["workload", "mode", "condition", "parallelism", "max_queue_len", "max_evals",
            "cluster_label"]
    for _, grp in walls.groupby(cols, sort=True, dropna=False):
        recs = grp.to_dict("records")
        for a in recs:
            for b in recs:
                if a is b:
                    continue
                if (a["n_jobs_label"] == b["n_jobs_label"] and b["env_label"] != a["env_label"]
                        and a["env_label"] == baseline_env(run, a["workload"])):
                    change = f"set {b['env_label'] or 'no thread variables'}"
                    setting = a["setting"]
                elif (a["env_label"] == b["env_label"] and a["mode"] == "spark"
                      and str(run.manifest.task_cpus(a["cluster_label"] or None)) == b["n_jobs_label"]
                      and a["n_jobs_label"] != b["n_jobs_label"]):
                    change = f"n_jobs {a['n_jobs_label']} -> {b['n_jobs_label']} (= spark.task.cpus)"
                    setting = a["setting"]
                else:
                    continue
                rows.append({
                    "change": change, "workload": a["workload"], "setting": setting,
                    "objective_before_s": float(obj.get(a["setting"], float("nan"))),
                    "objective_after_s": float(obj.get(b["setting"], float("nan"))),
                    "wall_before_s": float(a["wall_median_s"]),
                    "wall_after_s": float(b["wall_median_s"])})
    return rows


def what_if_effects(run: RunData, analysis: Analysis) -> dict[str, list[dict]]:
    """Every what-if's measured rows in this run, by kind: "queue", "threads", "env"
    (empty lists: not measured)."""
    return {"queue": queue_length_effect(analysis.walls), "threads": pinned_threads_effect(run),
            "env": thread_setting_effect(run, analysis.walls)}
