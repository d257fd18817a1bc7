"""What-if comparisons: the effect of each recommended change, measured in the same run.

A scenario tests a recommendation by running the changed setting beside the original
(max_queue_len = parallelism beside 1; n_jobs pinned to spark.task.cpus beside the model's
default). These functions pair such cells and report the measured effect; nothing here is
predicted.
"""
from __future__ import annotations

import re

import pandas as pd

from ..analysis import Analysis, RunData
from .measures import median


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
                     "setting": re.sub(r" q=\d+", "", grp["setting"].iloc[0]),
                     "before_s": round(b, 2), "after_s": round(a, 2),
                     "effect": f"{b / a:.2f}x" if a > 0 else "n/a"})
    return rows


def pinned_threads_effect(run: RunData, pinned: str = "1") -> list[dict]:
    """Per workload and mode: median objective time and serial/spark ratio with the model's
    own thread setting against threads pinned to spark.task.cpus (n_jobs=1)."""
    trials = run.trials[run.trials["status"] == "ok"]
    rows = []
    for workload, wt in trials.groupby("workload", sort=True):
        labels = set(wt["n_jobs_label"])
        if pinned not in labels or len(labels) < 2:
            continue
        for condition in sorted(set(wt[wt["mode"] == "serial"]["condition"])):
            def ratio(n_jobs: str):
                serial = wt[(wt["mode"] == "serial") & (wt["condition"] == condition)
                            & (wt["n_jobs_label"] == n_jobs)]["objective_s"]
                spark = wt[(wt["mode"] == "spark") & (wt["n_jobs_label"] == n_jobs)]
                spark = spark[spark["parallelism"] == spark["parallelism"].min()]["objective_s"]
                return median(serial), median(spark)

            ps, pk = ratio(pinned)
            for other in sorted(labels - {pinned}):
                os_, ok = ratio(other)
                if not all(map(pd.notna, (ps, pk, os_, ok))) or min(pk, ok) <= 0:
                    continue
                rows.append({
                    "change": f"n_jobs {other} -> {pinned} (both modes)", "workload": workload,
                    "setting": f"serial [{condition}] vs spark p=1",
                    "before": (f"objective serial {os_:.3f} s / spark {ok:.3f} s = "
                               f"{os_ / ok:.1f}x"),
                    "after": (f"serial {ps:.3f} s / spark {pk:.3f} s = {ps / pk:.1f}x"),
                    "effect": (f"per-trial gap {os_ / ok:.1f}x -> {ps / pk:.1f}x"),
                })
    return rows


def what_if_markdown(run: RunData, analysis: Analysis) -> list[str]:
    """The 'What the recommended changes did' section of the report."""
    q, t = queue_length_effect(analysis.walls), pinned_threads_effect(run)
    lines = ["## What the recommended changes did (measured)", ""]
    if not q and not t:
        return lines + ["This run has no what-if cells (a setting run beside its recommended "
                        "change), so no effect was measured.", ""]
    if q:
        lines += ["fmin wall time with hyperopt's default queue of one trial, and with "
                  "max_queue_len = parallelism (median over repeats; effect = before / after):",
                  "", "| change | workload | setting | before | after | effect |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {r['change']} | {r['workload']} | {r['setting']} | {r['before_s']} s | "
                  f"{r['after_s']} s | {r['effect']} |" for r in q]
        lines.append("")
    if t:
        lines += ["Median objective time per trial with the model's thread setting, and with "
                  "threads pinned to spark.task.cpus (n_jobs=1) in both modes: pinning makes "
                  "the two modes train the same way, so what remains between them is "
                  "SparkTrials itself:", "", "| change | workload | compared | before | after | "
                  "effect |", "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {r['change']} | {r['workload']} | {r['setting']} | {r['before']} | "
                  f"{r['after']} | {r['effect']} |" for r in t]
        lines.append("")
    return lines
