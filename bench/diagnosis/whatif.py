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
from ..report.markdown import fmt_x
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
                     "effect": fmt_x(b / a) if a > 0 else "n/a"})
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
                               f"{fmt_x(os_ / ok)}"),
                    "after": (f"serial {ps:.3f} s / spark {pk:.3f} s = {fmt_x(ps / pk)}"),
                    "effect": (f"per-trial gap {fmt_x(os_ / ok)} -> {fmt_x(ps / pk)}"),
                })
    return rows


def _task_cpus(run: RunData, cluster_label: str):
    for entry in (run.manifest.get("grid") or {}).get("clusters") or []:
        if isinstance(entry, dict) and entry.get("label") == cluster_label:
            return int(entry.get("task_cpus") or 1)
    if cluster_label:
        return None
    return int((run.manifest.get("spark") or {}).get("task_cpus") or 1)


def baseline_env(run: RunData, workload: str) -> str:
    """The thread environment a scenario's others are compared with: the first of its
    thread_env axis (the workload's own, else the scenario's); '' when it declares none."""
    from ..grid import env_label

    grid = run.manifest.get("grid") or {}
    for w in grid.get("workloads") or []:
        if isinstance(w, dict) and w.get("name") == workload and w.get("thread_env"):
            return env_label(w["thread_env"][0])
    envs = grid.get("thread_env") or [{}]
    return env_label(envs[0]) if isinstance(envs[0], dict) else ""


def thread_setting_effect(run: RunData, walls: pd.DataFrame) -> list[dict]:
    """Per configuration: median objective and fmin wall before and after one thread change
    measured beside it in the same run: a thread environment set (e.g. OMP_WAIT_POLICY=
    passive, against the inherited environment) or, for spark cells, n_jobs pinned to the
    session's spark.task.cpus (against the workload's other thread settings)."""
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
                      and str(_task_cpus(run, a["cluster_label"])) == b["n_jobs_label"]
                      and a["n_jobs_label"] != b["n_jobs_label"]):
                    change = f"n_jobs {a['n_jobs_label']} -> {b['n_jobs_label']} (= spark.task.cpus)"
                    setting = a["setting"]
                else:
                    continue
                ob, oa = obj.get(a["setting"]), obj.get(b["setting"])
                wb, wa = a["wall_median_s"], b["wall_median_s"]
                rows.append({
                    "change": change, "workload": a["workload"], "setting": setting,
                    "objective": (f"{ob:.3f} s -> {oa:.3f} s ({fmt_x(ob / oa)})"
                                  if pd.notna(ob) and pd.notna(oa) and oa > 0 else "n/a"),
                    "wall": (f"{wb:.2f} s -> {wa:.2f} s ({fmt_x(wb / wa)})"
                             if pd.notna(wb) and pd.notna(wa) and wa > 0 else "n/a")})
    return rows


def what_if_markdown(run: RunData, analysis: Analysis) -> list[str]:
    """The 'What the recommended changes did' section of the report."""
    q, t = queue_length_effect(analysis.walls), pinned_threads_effect(run)
    e = thread_setting_effect(run, analysis.walls)
    lines = ["## What the recommended changes did (measured)", ""]
    if not q and not t and not e:
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
    if e:
        lines += ["Median objective per trial and median fmin wall time with one thread "
                  "setting changed and everything else equal (a thread environment set for the "
                  "trial: in a fresh driver process for serial cells, via spark.executorEnv for "
                  "spark cells; or n_jobs pinned to spark.task.cpus); effect = before / after:",
                  "", "| change | workload | setting (before) | objective per trial | "
                  "fmin wall |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r['change']} | {r['workload']} | {r['setting']} | {r['objective']} | "
                  f"{r['wall']} |" for r in e]
        lines.append("")
    return lines
