"""What-if comparisons: the effect of each recommended change, measured in the same run.

A scenario tests a recommendation by running the changed setting beside the original
(max_queue_len = parallelism beside 1; n_jobs pinned to spark.task.cpus beside the model's
default; a thread environment beside the inherited one). Each what-if pairs configurations
that differ in exactly the axis it studies (bench.analysis.setup.differing_axes): never two
workloads, variants, thread environments or evaluation counts in one median. Times are the
primary figure (warm-up + wall, frames.warmup_and_paid). Nothing here is predicted, and
nothing here is text for people (bench.report.whatif renders them).
"""
from __future__ import annotations

import pandas as pd

from .. import keys
from . import Analysis
from .frames import RunData
from .groups import aggregate_configurations
from .setup import differing_axes, setup_of

#: Variants that run hyperopt unmodified: the queue and thread what-ifs are about them.
UNMODIFIED = ("stock", "queue")


def _measured(walls: pd.DataFrame) -> list[dict]:
    return walls[(walls["cells"] > 0) & walls["paid_median_s"].notna()].to_dict("records")


def _ratio(before: float, after: float) -> float:
    return before / after if after > 0 else float("nan")


def queue_length_effect(walls: pd.DataFrame) -> list[dict]:
    """fmin time with hyperopt's queue of one trial against max_queue_len = parallelism, per
    pair of unmodified-hyperopt spark configurations at parallelism >= 2 that differ in the
    queue alone (stock q=1 against stock q=p, or against the queue variant)."""
    spark = [r for r in _measured(walls) if r["mode"] == "spark"
             and not keys.missing(r["parallelism"]) and r["parallelism"] >= 2
             and r["variant_label"] in UNMODIFIED]
    rows = []
    for a in spark:
        if a["variant_label"] != "stock" or not keys.same(a["max_queue_len"], 1):
            continue
        p = int(a["parallelism"])
        for b in spark:
            changed = differing_axes(a, b)
            if not (changed == {"max_queue_len"} and keys.same(b["max_queue_len"], p)
                    or changed == {"variant_label"} and b["variant_label"] == "queue"):
                continue
            before, after = float(a["paid_median_s"]), float(b["paid_median_s"])
            rows.append({"change": f"max_queue_len 1 -> {p}", "workload": a["workload"],
                         "parallelism": p, "n_jobs_label": a["n_jobs_label"],
                         "env_label": a["env_label"], "setting": a["setting"],
                         "after_setting": b["setting"], "before_s": before, "after_s": after,
                         "effect": _ratio(before, after)})
    return sorted(rows, key=lambda r: (r["workload"], r["parallelism"], r["setting"]))


def objective_medians(trials: pd.DataFrame) -> pd.DataFrame:
    """Median objective time of the ok trials per configuration (keys.CONFIG)."""
    ok = trials[trials["status"] == "ok"]
    if not len(ok):
        return pd.DataFrame(columns=keys.LABELLED + ["objective_s"])
    return aggregate_configurations(ok, keys.CONFIG, objective_s=("objective_s", "median"))


def _one_axis_pairs(rows: list[dict], axis: str, before: str, after: str) -> list[tuple]:
    """(before, after) row pairs that differ in `axis` alone, from value `before` to `after`."""
    return [(a, b) for a in rows if a[axis] == before for b in rows
            if b[axis] == after and differing_axes(a, b) == {axis}]


def pinned_threads_effect(run: RunData, pinned: str = "1") -> list[dict]:
    """Median objective time per trial in serial mode and in spark mode (unmodified hyperopt,
    lowest parallelism measured) with the model's own thread setting and with threads pinned
    (n_jobs=1), per workload, serial condition, thread environment and max_evals: each side
    a pair of configurations that differ in n_jobs alone. gap = serial / spark objective."""
    obj = objective_medians(run.trials)
    obj = obj[obj["objective_s"] > 0].to_dict("records")
    serial = [r for r in obj if r["mode"] == "serial"]
    spark = [r for r in obj if r["mode"] == "spark" and r["variant_label"] in UNMODIFIED]
    rows = []
    for other in sorted({r["n_jobs_label"] for r in obj} - {pinned}):
        spark_pairs = _one_axis_pairs(spark, "n_jobs_label", other, pinned)
        for sb, sa in _one_axis_pairs(serial, "n_jobs_label", other, pinned):
            mine = [(kb, ka) for kb, ka in spark_pairs if kb["workload"] == sb["workload"]
                    and kb["env_label"] == sb["env_label"]
                    and keys.same(kb["max_evals"], sb["max_evals"])]
            if not mine:
                continue
            low = min(kb["parallelism"] for kb, _ in mine)
            for kb, ka in (pair for pair in mine if pair[0]["parallelism"] == low):
                rows.append({
                    "change": f"n_jobs {other} -> {pinned} (both modes)",
                    "workload": sb["workload"], "condition": sb["condition"],
                    "env_label": sb["env_label"], "from_n_jobs": other, "to_n_jobs": pinned,
                    "spark_parallelism": int(low), "serial_setting": sb["setting"],
                    "spark_setting": kb["setting"],
                    "serial_before_s": sb["objective_s"], "spark_before_s": kb["objective_s"],
                    "serial_after_s": sa["objective_s"], "spark_after_s": ka["objective_s"],
                    "gap_before": sb["objective_s"] / kb["objective_s"],
                    "gap_after": sa["objective_s"] / ka["objective_s"]})
    return sorted(rows, key=lambda r: (r["workload"], r["condition"] != "native",
                                       r["condition"], r["env_label"], r["from_n_jobs"],
                                       r["spark_setting"]))


def baseline_env(run: RunData, workload: str) -> str:
    """The thread environment a scenario's others are compared with: the setup's (the first
    of its thread_env axis, bench.analysis.setup)."""
    return setup_of(run.manifest, run.cells, workload).env_label


def thread_setting_effect(run: RunData, walls: pd.DataFrame) -> list[dict]:
    """Per pair of configurations that differ in one thread setting alone: median objective
    and fmin time (primary figure) before and after a thread environment set against the
    setup's (e.g. OMP_WAIT_POLICY=passive against the inherited environment) or, for spark
    configurations, n_jobs pinned to the session's spark.task.cpus against the workload's
    other thread settings. Times are NaN where a side measured none."""
    obj = {keys.config_key(r): r["objective_s"]
           for r in objective_medians(run.trials).to_dict("records")}
    recs = _measured(walls)
    baselines = {w: baseline_env(run, w) for w in {r["workload"] for r in recs}}
    rows = []
    for a in recs:
        for b in recs:
            changed = differing_axes(a, b)
            if changed == {"env_label"} and a["env_label"] == baselines[a["workload"]]:
                change = f"set {b['env_label'] or 'no thread variables'}"
            elif (changed == {"n_jobs_label"} and a["mode"] == "spark"
                  and str(run.manifest.task_cpus(a["cluster_label"] or None)) == b["n_jobs_label"]):
                change = f"n_jobs {a['n_jobs_label']} -> {b['n_jobs_label']} (= spark.task.cpus)"
            else:
                continue
            rows.append({
                "change": change, "workload": a["workload"], "setting": a["setting"],
                "after_setting": b["setting"],
                "objective_before_s": float(obj.get(keys.config_key(a), float("nan"))),
                "objective_after_s": float(obj.get(keys.config_key(b), float("nan"))),
                "wall_before_s": float(a["paid_median_s"]),
                "wall_after_s": float(b["paid_median_s"])})
    return sorted(rows, key=lambda r: (r["workload"], r["change"], r["setting"]))


def what_if_effects(run: RunData, analysis: Analysis) -> dict[str, list[dict]]:
    """Every what-if's measured rows in this run, by kind: "queue", "threads", "env"
    (empty lists: not measured)."""
    return {"queue": queue_length_effect(analysis.walls), "threads": pinned_threads_effect(run),
            "env": thread_setting_effect(run, analysis.walls)}
