"""The spin-wait collapse: multi-threaded trials sharing too few cores, many times slower
than the same model with the same threads where it had the cores (OpenMP threads
busy-waiting at every barrier)."""
from __future__ import annotations

import math

import pandas as pd

from ..analysis import Analysis, RunData
from ..analysis.cores import thread_placement
from ..analysis.stats import median
from ..formats import fmt_x
from .common import (PLACEMENT_COLS, configs, configuration, covers_config, objective_ratio,
                     ok_trials, openmp_runtime, same, seconds_text, seen_env, setting_label,
                     where)
from .finding import Finding
from .ids import finding_id
from .severities import severity
from .thresholds import T

WAIT_ENV = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")


def _spin_configs(run: RunData, trials: pd.DataFrame) -> list[tuple]:
    """(settings, trials, placement, oversubscribed) per configuration. A trial that ran
    with no sibling trial of its cell at the same time (serial, or one slot) also counts the
    cores other processes kept busy beside it: a loaded host leaves it fewer. (Spark trials
    running beside siblings cannot tell siblings from strangers in that measurement.)"""
    out = []
    for cfg, grp in configs(trials, PLACEMENT_COLS):
        place = thread_placement(run, grp)
        if place is None:
            continue
        over = place["threads"] * place["at_once"] > T("oversubscribed") * place["cores"]
        if place.get("alone"):
            other = median(grp["other_busy_cores"])
            if math.isfinite(other) and other >= T("contention_cores"):
                place = {**place, "other_busy_cores": round(other, 2)}
                over = over or place["threads"] + other > T("oversubscribed") * place["cores"]
        out.append((cfg, grp, place, over))
    return out


def _passive(grp: pd.DataFrame) -> bool:
    return seen_env(grp, "OMP_WAIT_POLICY").lower() == "passive"


def _references(configs_: list[tuple], cfg: dict, place: dict, fair: float):
    """(reference configurations, what they are, the slowdown that counts as a collapse):
    the same workload and threads without oversubscription; where there is none (every such
    cell shared its cores, e.g. on a loaded machine), the same cells with
    OMP_WAIT_POLICY=passive, whose threads sleep instead of spinning."""
    same_keys = ("workload", "n_jobs_label", "env_label")
    refs = [(c, g) for c, g, pl, o in configs_ if not o and pl["threads"] == place["threads"]
            and all(c[k] == cfg[k] for k in same_keys)]
    if refs:
        return refs, "with the cores to itself", max(T("collapse_slowdown"),
                                                      fair * T("thread_time_ratio"))
    keep = ("workload", "mode", "condition", "parallelism", "cluster_label", "n_jobs_label")
    refs = [(c, g) for c, g, pl, o in configs_ if _passive(g)
            and all(same(c[k], cfg[k]) for k in keep)]
    return refs, "with OMP_WAIT_POLICY=passive (no cell had the cores to itself)", \
        T("collapse_slowdown")


def _collapse_what_ifs(configs_, cfg: dict, grp: pd.DataFrame, threads: float) -> dict:
    """Median objective of the same placement with one recommended change measured in this
    run: another thread environment (e.g. OMP_WAIT_POLICY=passive), or fewer threads."""
    keep = ("workload", "mode", "condition", "parallelism", "cluster_label")
    out = {"as_run": round(median(grp["objective_s"]), 3)}
    for c, g, pl, _ in configs_:
        if not all(same(c[k], cfg[k]) for k in keep) or (c["env_label"], c["n_jobs_label"]) == (
                cfg["env_label"], cfg["n_jobs_label"]):
            continue
        if c["n_jobs_label"] == cfg["n_jobs_label"] and c["env_label"] != cfg["env_label"]:
            name = f"with {c['env_label'] or 'the inherited environment'}"
        elif c["env_label"] == cfg["env_label"] and pl["threads"] < threads:
            name = f"with n_jobs={c['n_jobs_label']} ({int(pl['threads'])} thread(s))"
        else:
            continue
        out[name] = round(median(g["objective_s"]), 3)
    return out if len(out) > 1 else {}


def _collapse_evidence(grp, ref, refs, place, basis, label, wait, m: dict) -> dict:
    """The collapse's numbers; `m` holds the slowdown, the points it matched, the thread
    demand and what time-sharing alone would give (fair)."""
    return {
        "setting": label, "threads_per_trial": int(place["threads"]),
        "cores": place["cores"], "cores_of": place["scope"],
        "trials_at_once": place["at_once"],
        **({"other_processes_busy_cores": place["other_busy_cores"]}
           if "other_busy_cores" in place else {}),
        "thread_demand": round(m["demand"], 2),
        "objective_s": round(median(grp["objective_s"]), 3),
        "objective_s_reference": round(median(ref["objective_s"]), 3), "reference": basis,
        "reference_settings": sorted({setting_label(g) for _, g in refs}),
        "slowdown": m["slowdown"], "points_matched": m["matched"],
        "time_sharing_alone_would_give": m["fair"],
        "effective_cores": round(median(grp["effective_cores"]), 2),
        "effective_cores_reference": round(median(ref["effective_cores"]), 2),
        "openmp_runtime": openmp_runtime(grp), **wait,
    }


def _collapse_id(cfg: dict) -> str:
    return finding_id("spin-wait-collapse", configuration(cfg, PLACEMENT_COLS))


def _collapse_text(cfg, place, label, hot_s, ref_s, basis, slowdown, fair, policy) -> str:
    others = (f" beside other processes keeping {place['other_busy_cores']} core(s) busy"
              if "other_busy_cores" in place else "")
    return (f"{cfg['workload']} {label}: {int(place['threads'])} OpenMP threads x "
            f"{place['at_once']} trial(s) at once on {place['cores']} core(s) of "
            f"{place['scope']}{others}: objective {seconds_text(hot_s)} against "
            f"{seconds_text(ref_s)} {basis} ({fmt_x(slowdown)} slower; time-sharing "
            f"alone explains {fmt_x(fair)}); threads spin-wait at every barrier "
            f"(OMP_WAIT_POLICY {policy})")


def _recommendation(threads: float) -> str:
    return ("In this order: (1) make threads per trial = spark.task.cpus (pin n_jobs / "
            "num_threads, e.g. n_jobs=1 at the default spark.task.cpus=1); (2) or raise "
            f"spark.task.cpus to the threads ({int(threads)}) so each trial gets "
            "its cores (fewer trials at once); (3) if neither can change, make idle "
            "OpenMP threads sleep: OMP_WAIT_POLICY=passive via "
            "spark.executorEnv.OMP_WAIT_POLICY (and in the driver's environment before "
            "the model library loads, for serial Trials).")


def spin_wait_collapse(run: RunData, analysis: Analysis) -> list[Finding]:
    """Multi-threaded trials sharing too few cores, many times slower than the same model
    with the same threads where it had the cores: OpenMP threads busy-wait at every barrier
    (libgomp spins by default), so a thread waiting for a descheduled sibling burns the CPU
    that sibling needs and each barrier costs a scheduler time slice.

    Judged against the same workload and threads without oversubscription in the run; where
    there is none (every such cell shared its cores, e.g. on a loaded machine), against the
    same cells with OMP_WAIT_POLICY=passive: passive threads sleep instead of spinning, so a
    5x gap to them is the spinning itself."""
    configs_ = _spin_configs(run, ok_trials(run.trials))
    out = []
    for cfg, grp, place, over in configs_:
        if not over or place["threads"] <= T("single_thread") or _passive(grp):
            continue
        demand = place["threads"] * place["at_once"] + place.get("other_busy_cores", 0)
        fair = demand / place["cores"]
        refs, basis, limit = _references(configs_, cfg, place, fair)
        if not refs:
            continue
        ref = pd.concat([g for _, g in refs])
        slowdown, matched = objective_ratio(grp, ref)
        if not slowdown >= limit:
            continue
        label = where(cfg, setting_label(grp))
        wait = {name: seen_env(grp, name) for name in WAIT_ENV}
        evidence = _collapse_evidence(grp, ref, refs, place, basis, label, wait, {
            "slowdown": slowdown, "matched": matched, "demand": demand, "fair": fair})
        measured = _collapse_what_ifs(configs_, cfg, grp, place["threads"])
        if measured:
            evidence["measured_alternatives"] = measured
        out.append(Finding(
            id=_collapse_id(cfg), rule="spin-wait-collapse",
            severity=severity("spin-wait-collapse"),
            summary=_collapse_text(cfg, place, label, median(grp["objective_s"]),
                                   median(ref["objective_s"]), basis, slowdown, fair,
                                   wait["OMP_WAIT_POLICY"]),
            evidence=evidence, recommendation=_recommendation(place["threads"]),
            covers=[covers_config(cfg)],
            workload=cfg["workload"], configuration=configuration(cfg, PLACEMENT_COLS)))
    return out
