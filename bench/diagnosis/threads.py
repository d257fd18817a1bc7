"""Rules about threads: the two modes ran the model with different thread counts
(thread-mismatch), and more runnable threads than cores by construction (oversubscription).
The spin-wait collapse, which follows from oversubscription, is in spin_wait.py."""
from __future__ import annotations

import pandas as pd

from ..analysis import Analysis, RunData
from ..analysis.cores import thread_placement
from ..analysis.stats import median
from ..model import NATIVE
from ..formats import fmt_x
from .common import (PLACEMENT_COLS, configs, configuration, covers_config, objective_ratio,
                     ok_trials, seconds_text)
from .finding import Finding
from .ids import finding_id
from .severities import severity
from .thresholds import T


def _thread_summary(grp: pd.DataFrame) -> dict:
    eff = grp["model_threads_effective"].dropna()
    omp = sorted({str(v) for v in grp["omp_num_threads"].tolist() if v is not None and v == v})
    return {"threads": int(eff.median()) if len(eff) else None,
            "omp_num_threads": ", ".join(omp) or "unset",
            "effective_cores": round(median(grp["effective_cores"]), 2),
            "objective_s": round(median(grp["objective_s"]), 3)}


def _threads_text(summary: dict) -> str:
    """'2 thread(s) (OMP_NUM_THREADS=1)', or the cap and the cores used when the model's own
    thread count is unknown (an own objective)."""
    cap = f"OMP_NUM_THREADS={summary['omp_num_threads']}"
    if summary["threads"] is None:
        return f"{cap} ({summary['effective_cores']:.2f} cores used)"
    return f"{summary['threads']} thread(s) ({cap})"


def _other_env_note(evidence: dict, others: pd.DataFrame, condition: str, d: dict,
                    s: dict) -> str:
    """The same serial cells under other thread environments (e.g. passive waiting) separate
    the thread count from how the threads wait: their objective times go in the evidence,
    and the summary says how much of the gap each explains."""
    alt = {e or "inherited environment": round(median(g["objective_s"]), 3)
           for e, g in others[others["condition"] == condition].groupby("env_label")}
    if not alt:
        return ""
    evidence["serial_objective_s_other_thread_env"] = alt
    best_env, best = min(alt.items(), key=lambda kv: kv[1])
    if not best > 0:
        return ""
    return (f"; with {best_env} the serial trial takes {seconds_text(best)} "
            f"({fmt_x(d['objective_s'] / best)} of the gap from how threads "
            f"wait, {fmt_x(best / s['objective_s'])} left to the thread count)")


def _mismatch_finding(key: tuple, condition: str, serial: pd.DataFrame, p1: pd.DataFrame,
                      others: pd.DataFrame, analysis: Analysis) -> Finding | None:
    """The thread-mismatch finding for one configuration and serial condition, or None when
    the thread counts agree or the time moved less than thread_time_ratio."""
    d, s = _thread_summary(serial), _thread_summary(p1)
    if d["objective_s"] <= 0 or s["objective_s"] <= 0:
        return None
    # on the same hyperparameter points where both ran them (shared points), else
    # median over median
    ratio, paired = objective_ratio(serial, p1)
    if not ratio > 0:
        return None
    if d["threads"] is not None and s["threads"] is not None:
        differs = d["threads"] != s["threads"]  # what the model really used
    else:  # model threads unknown (own objective): the OpenMP cap is the evidence, and it
        # can move the time only where some trial used more than one core
        differs = (d["omp_num_threads"] != s["omp_num_threads"]
                   and max(d["effective_cores"], s["effective_cores"]) > T("single_thread"))
    if not differs or max(ratio, 1 / ratio) < T("thread_time_ratio"):
        return None
    workload, n_jobs, max_evals, env = key
    emulated = condition != NATIVE
    sp = analysis.speedups
    sp = sp[(sp["workload"] == workload) & (sp["n_jobs_label"] == n_jobs)
            & (sp["serial_condition"] == condition)]
    p_min = int(p1["parallelism"].iloc[0])
    wall = sp[sp["parallelism"] == p_min]["speedup"]
    evidence = {"condition": condition, "emulated": emulated, "n_jobs": n_jobs,
                "serial": d, f"spark_p{p_min}": s,
                "objective_ratio_serial_over_spark": round(ratio, 2),
                "points_paired": paired}
    if len(wall):
        evidence[f"fmin_wall_ratio_serial_over_spark_p{p_min}"] = round(float(wall.median()), 2)
    note = _other_env_note(evidence, others, condition, d, s)
    if env:
        evidence["thread_env_set"] = env
    faster = "faster" if ratio > 1 else "slower"
    about = configuration({"workload": workload, "condition": condition,
                           "n_jobs_label": n_jobs, "max_evals": max_evals, "env_label": env})
    return Finding(
        id=finding_id("thread-mismatch", about), rule="thread-mismatch",
        severity=severity("thread-mismatch"),
        summary=(f"{workload} n_jobs={n_jobs}{' [emulated: ' + condition + ']' if emulated else ''}: "
                 f"each spark trial is {max(ratio, 1 / ratio):.1f}x {faster} than serial "
                 f"because it ran {_threads_text(s)} against {_threads_text(d)} in the driver"
                 + (f" {{{env}}}" if env else "") + note),
        evidence=evidence,
        recommendation=(
            "Compare like with like: pin the model's threads (n_jobs / num_threads) to "
            "spark.task.cpus in both modes, or set OMP_NUM_THREADS the same in the "
            "driver and via spark.executorEnv.OMP_NUM_THREADS. The difference is the "
            "thread setting, not SparkTrials' parallelism."),
        covers=[{"workload": workload, "n_jobs_label": n_jobs, "mode": "spark",
                 "env_label": env},
                {"workload": workload, "n_jobs_label": n_jobs, "mode": "serial",
                 "condition": condition, "env_label": env}],
        workload=workload, configuration=about)


def thread_mismatch(run: RunData, analysis: Analysis) -> list[Finding]:
    """The same objective ran with different thread counts in the two modes, and its time
    moved with them: the 'speedup' (or slowdown) is not from parallelism."""
    trials = ok_trials(run.trials)
    out = []
    keys = ["workload", "n_jobs_label", "max_evals", "env_label"]
    for key, grp in trials.groupby(keys, sort=True):
        spark = grp[grp["mode"] == "spark"]
        if not len(spark):
            continue
        p1 = spark[spark["parallelism"] == spark["parallelism"].min()]
        # the same serial cells under other thread environments (e.g. passive waiting)
        # separate the thread count from how the threads wait
        others = trials[(trials["mode"] == "serial") & (trials["workload"] == key[0])
                        & (trials["n_jobs_label"] == key[1]) & (trials["max_evals"] == key[2])
                        & (trials["env_label"] != key[3])]
        for condition, serial in grp[grp["mode"] == "serial"].groupby("condition", sort=True):
            found = _mismatch_finding(key, condition, serial, p1, others, analysis)
            if found is not None:
                out.append(found)
    return out


def _where_label(cfg: dict) -> str:
    """'spark p=2 @2x1 {OMP_WAIT_POLICY=passive}': mode, parallelism, shape, environment."""
    where = f"{cfg['mode']}" + (f" p={int(cfg['parallelism'])}" if cfg["mode"] == "spark" else "")
    if cfg["cluster_label"]:
        where += f" @{cfg['cluster_label']}"
    if cfg["env_label"]:
        where += f" {{{cfg['env_label']}}}"
    return where


def oversubscription(run: RunData, analysis: Analysis) -> list[Finding]:
    """More runnable threads than cores, by construction: threads per trial times the trials
    that can share the same cores at once (see thread_placement)."""
    trials = ok_trials(run.trials)
    out = []
    for cfg, grp in configs(trials, PLACEMENT_COLS):
        place = thread_placement(run, grp)
        if place is None:
            continue
        threads, cores, at_once = place["threads"], place["cores"], place["at_once"]
        demand = threads * at_once
        if demand <= T("oversubscribed") * cores:
            continue
        eff = median(grp["effective_cores"])
        n_jobs, condition = cfg["n_jobs_label"], cfg["condition"]
        where = _where_label(cfg)
        about = configuration(cfg, PLACEMENT_COLS)
        out.append(Finding(
            id=finding_id("oversubscription", about), rule="oversubscription",
            severity=severity("oversubscription"),
            summary=(f"{cfg['workload']} {where}{' [' + condition + ']' if condition != 'native' else ''} "
                     f"n_jobs={n_jobs}: {threads:.0f} thread(s) x {at_once} trial(s) at once "
                     f"= {demand:.0f} runnable threads on {cores} cores ({place['scope']}); "
                     f"each trial kept {eff:.2f} cores busy"),
            evidence={"threads_per_trial": threads, "trials_at_once": at_once, "cores": cores,
                      "cores_of": place["scope"], "thread_demand": demand,
                      **({"cores_from": place["cores_from"]} if place.get("cores_from") else {}),
                      "effective_cores": round(eff, 2),
                      "objective_s": round(median(grp["objective_s"]), 3),
                      "emulated": condition != NATIVE},
            recommendation=("Keep threads per trial x parallelism <= cores: set n_jobs (LightGBM "
                            "num_threads) explicitly, e.g. to spark.task.cpus, and never leave "
                            "an OpenMP library to size itself from the visible CPU count."),
            covers=[covers_config(cfg)],
            workload=cfg["workload"], configuration=about))
    return out
