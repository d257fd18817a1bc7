"""Diagnosis rules: each a pure function from a run's frames to findings.

Every rule reads measurements only (never the scenario's name), and every number it
compares against is in THRESHOLDS with the reason for its value, so a reader can check why
a finding fired or did not.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd

from .. import keys
from ..analysis import GROUP_COLS, Analysis, RunData
from ..analysis.quality import search_not_comparable
from ..model import NATIVE
from ..environment import usable_cores
from ..formats import fmt_x
from .finding import Finding
from ..analysis.measures import break_even_objective_s, fixed_costs, slot_occupancy
from ..analysis.stats import median

#: name -> (value, why). Rules use only these numbers.
THRESHOLDS: dict[str, tuple[float, str]] = {
    "overhead_share": (0.25, "fixed SparkTrials cost per trial >= 25% of the objective's own "
                             "time caps the speedup well below the parallelism"),
    "starved_ratio": (0.6, "hyperopt's 1 s loops leave slots idle for part of every trial's "
                           "life whatever the queue (measured here: 63-80% held at "
                           "max_queue_len=1, parallelism 2); below 60% the queue is the "
                           "bottleneck"),
    "starved_gain": (0.25, "a longer queue must hold at least a quarter slot more on average "
                           "for the queue length to be the cause"),
    "thread_time_ratio": (2.0, "per-trial objective time differing by 2x between modes is "
                               "beyond run-to-run noise on a shared machine (small data gains "
                               "~1.5x from a second thread, which is within it)"),
    "oversubscribed": (1.0, "threads per trial x trials that can run at once above the "
                            "cores: threads must queue for CPUs (decided by the settings, so "
                            "it does not flicker with machine noise)"),
    "collapse_slowdown": (5.0, "time-sharing alone slows an oversubscribed trial by thread "
                               "demand / cores (2x for 4 threads on 2 cores); a slowdown of "
                               "5x or more, and beyond that share times the 2x run-to-run "
                               "swing of multi-threaded fits (thread_time_ratio), is threads "
                               "waiting for each other, not for CPU"),
    "unexplained_gap": (3.0, "a configuration 3x away from its reference (wall against "
                             "serial wall / ideal speedup, or median objective) is beyond the "
                             "2x run-to-run swing of per-trial times here (thread_time_ratio): "
                             "some finding must say why"),
    "fresh_worker_share": (0.9, "90% or more trials in a distinct process: Python workers are "
                                "not reused"),
    "closure_bytes": (1_000_000, "PySpark broadcasts a task command above ~1 MB; anything "
                                 "this large is re-pickled and shipped for every trial"),
    "contention_cores": (0.5, "other processes keeping half a core or more busy on the driver "
                              "while serial trials run compete with them for CPU"),
    "uneven_placement": (1.5, "the busiest executor ran 1.5x the mean trials per executor "
                              "(executors that ran nothing count, with zero trials)"),
    "uneven_spread": (2, "trials per executor differing by 2 or more: the most even spread of "
                         "n trials over E executors differs by at most 1, so a gap of 2 means "
                         "a trial queued on a busy executor while another was free (keeps "
                         "fewer trials than executors from reading as uneven)"),
    "uneven_min_trials": (8, "fewer trials than this per cell spread unevenly by chance"),
    "quality_gap": (0.05, "best loss 5% worse (relative) than serial at equal evaluations"),
    "quality_min_repeats": (2, "search quality varies a lot run to run: judge it only on "
                               "repeated cells"),
}


def T(name: str) -> float:
    return THRESHOLDS[name][0]


def _fmt_s(x: float) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def _seconds_or_never(x: float):
    return round(x, 3) if math.isfinite(x) else "never"


def _ok(trials: pd.DataFrame) -> pd.DataFrame:
    return trials[trials["status"] == "ok"]


def fixed_overhead(run: RunData, analysis: Analysis) -> list[Finding]:
    """SparkTrials' fixed per-trial cost (dispatch loop + worker start + return) against the
    objective's own time: the ceiling on any speedup."""
    trials = _ok(run.trials)
    complete = run.cells.loc[~run.cells["incomplete"] & ~run.cells["failed"], "cell_id"]
    trials = trials[trials["cell_id"].isin(set(complete))]  # a cell that did not finish its work
    timed = trials[trials["mode"] == "spark"]
    # a trial whose stamps fit no single clock offset of its host has no trustworthy split
    unsure = timed["clock_uncertain"].fillna(False).astype(bool) if "clock_uncertain" in timed \
        else pd.Series(False, index=timed.index)
    spark = fixed_costs(timed[~unsure], run.cells, analysis.spark_trials)
    clocks = analysis.clocks if analysis.clocks is not None else pd.DataFrame()
    skewed = clocks[clocks["skewed"].astype(bool)] if len(clocks) else clocks
    slots = run.cells["task_slots"].dropna()
    at_once = {int(p): min(int(p), int(slots.max())) if len(slots) else int(p)
               for p in set(spark["parallelism"].dropna())}
    out = []
    for workload, grp in spark.groupby("workload", sort=True):
        fixed, objective = median(grp["fixed_s"]), median(grp["objective_s"])
        if not (math.isfinite(fixed) and math.isfinite(objective)) or objective <= 0:
            continue
        share = fixed / objective
        if share < T("overhead_share"):
            continue
        sp = analysis.speedups[analysis.speedups["workload"] == workload]
        sp_native = sp[sp["serial_condition"] == NATIVE]
        p_top = at_once[int(grp["parallelism"].max())]
        evidence = {
            "fixed_s_per_trial": round(fixed, 3),
            "dispatch_delay_s": round(median(grp["dispatch_delay_s"]), 3),
            "startup_s": round(median(grp["startup_s"]), 3),
            "slot_wait_s": round(median(grp["slot_wait_s"]), 3),
            "import_s": round(median(grp["setup_s"]), 3),
            "return_s": round(median(grp["return_s"]), 3),
            "objective_s": round(objective, 3),
            "fixed_share_of_objective": round(share, 2),
            # p trials at once only where p task slots exist: min(parallelism, task slots)
            "break_even_objective_s": {int(p): _seconds_or_never(break_even_objective_s(
                fixed, at_once[int(p)])) for p in sorted(set(grp["parallelism"].dropna()))},
        }
        left_out = int((unsure & (timed["workload"] == workload)).sum())
        if left_out:
            evidence["trials_left_out_clock_uncertain"] = left_out
        if len(skewed):  # executor clocks moved onto the driver's before the split
            evidence["executor_clock_offset_s"] = {
                r["host"]: round(r["offset_s"], 3) for r in skewed.to_dict("records")}
        if len(sp_native):
            evidence["native_speedup_by_parallelism"] = {
                f"p={int(r.parallelism)} q={int(r.max_queue_len)}"
                + (f" @{r.cluster_label}" if r.cluster_label else "")
                + (f" {{{r.env_label}}}" if r.env_label else ""): fmt_x(r.speedup)
                for r in sp_native.itertuples() if pd.notna(r.speedup)}
        slower = sp_native[(sp_native["speedup"] < 1)]
        severity = "high" if len(slower) else "medium"
        be = break_even_objective_s(fixed, p_top)
        summary = (f"{workload}: every spark trial pays {_fmt_s(fixed)} of fixed SparkTrials cost "
                   f"against a {_fmt_s(objective)} objective ({share:.0%})")
        if len(slower):
            worst = slower.sort_values("speedup").iloc[0]
            summary += (f"; SparkTrials is slower than serial (speedup {fmt_x(worst.speedup)} "
                        f"at parallelism {int(worst.parallelism)})")
        out.append(Finding(
            id=f"fixed-overhead:{workload}", rule="fixed-overhead", severity=severity,
            summary=summary, evidence=evidence,
            recommendation=(
                f"At parallelism {p_top} SparkTrials only pays off for objectives longer than "
                f"{_fmt_s(be)}. Give each trial more work (more data, cross-validation folds "
                f"inside the objective), keep serial Trials for trials this short, and set "
                f"max_queue_len = parallelism so the dispatcher always has a trial ready."),
            covers=[{"workload": workload, "mode": "spark", "gap": "wall"}]))
    return out


def dispatch_starvation(run: RunData, analysis: Analysis) -> list[Finding]:
    """Slots idle because trials reach the dispatcher one per loop (max_queue_len=1).

    Measured as slot occupancy: how many trials held a slot (dispatched, result not yet
    recorded) on average over the cell. Where the same parallelism also ran with a longer
    queue, the finding fires only if that queue really filled the slots better.
    """
    trials = run.trials[run.trials["mode"] == "spark"]
    if not len(trials):
        return []
    occ = slot_occupancy(trials)
    occ = occ[occ["parallelism"] >= 2]
    if not len(occ):
        return []
    slots = run.cells.set_index("cell_id")["task_slots"]
    occ = occ.assign(usable=[min(int(p), int(slots[c])) if pd.notna(slots.get(c)) else int(p)
                             for p, c in zip(occ["parallelism"], occ["cell_id"])])
    occ = occ.assign(ratio=occ["occupancy"] / occ["usable"])
    out = []
    # the dispatcher and fmin's loop are the same for every workload: judge all cells of a
    # parallelism together, which is steadier than any one workload's few cells
    for p, grp in occ.groupby("parallelism", sort=True):
        q1, qp = grp[grp["max_queue_len"] == 1], grp[grp["max_queue_len"] > 1]
        if not len(q1) or median(q1["ratio"]) >= T("starved_ratio"):
            continue
        evidence = {"parallelism": int(p), "usable_slots": int(q1["usable"].min()),
                    "slots_held_q1": round(median(q1["occupancy"]), 2),
                    "share_of_slots_used_q1": round(median(q1["ratio"]), 2),
                    "slots_held_q1_by_workload": {w: round(median(g["occupancy"]), 2)
                                                  for w, g in q1.groupby("workload")}}
        if len(qp):
            gain = median(qp["occupancy"]) - median(q1["occupancy"])
            evidence["slots_held_q_gt_1"] = round(median(qp["occupancy"]), 2)
            walls = run.cells[(run.cells["mode"] == "spark") & (run.cells["parallelism"] == p)]
            evidence["wall_s_q1"] = round(median(walls[walls["max_queue_len"] == 1]["wall_s"]), 2)
            evidence["wall_s_q_gt_1"] = round(median(walls[walls["max_queue_len"] > 1]["wall_s"]), 2)
            if gain < T("starved_gain"):
                continue  # a longer queue did not fill the slots either: not starvation
        out.append(Finding(
            id=f"dispatch-starvation:p{int(p)}", rule="dispatch-starvation",
            severity="medium",
            summary=(f"with max_queue_len=1 trials held only {evidence['slots_held_q1']} of "
                     f"{evidence['usable_slots']} slots on average at parallelism {int(p)}"
                     + (f" ({evidence['slots_held_q_gt_1']} with a longer queue)" if len(qp) else "")),
            evidence=evidence,
            recommendation=("Pass max_queue_len=parallelism to fmin: hyperopt then suggests "
                            "enough trials per loop to fill every slot (its default of 1 feeds "
                            "about one trial per second)."),
            covers=[{"mode": "spark", "parallelism": p, "max_queue_len": 1, "gap": "wall"}]))
    return out


def _thread_summary(grp: pd.DataFrame) -> dict:
    eff = grp["model_threads_effective"].dropna()
    omp = sorted({str(v) for v in grp["omp_num_threads"].tolist() if v is not None and v == v})
    return {"threads": int(eff.median()) if len(eff) else None,
            "omp_num_threads": ", ".join(omp) or "unset",
            "effective_cores": round(median(grp["effective_cores"]), 2),
            "objective_s": round(median(grp["objective_s"]), 3)}


def thread_mismatch(run: RunData, analysis: Analysis) -> list[Finding]:
    """The same objective ran with different thread counts in the two modes, and its time
    moved with them: the 'speedup' (or slowdown) is not from parallelism."""
    trials = _ok(run.trials)
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
        s = _thread_summary(p1)
        for condition, serial in grp[grp["mode"] == "serial"].groupby("condition", sort=True):
            d = _thread_summary(serial)
            if d["objective_s"] <= 0 or s["objective_s"] <= 0:
                continue
            # on the same hyperparameter points where both ran them (shared points), else
            # median over median
            ratio, paired = objective_ratio(serial, p1)
            if not ratio > 0:
                continue
            if d["threads"] is not None and s["threads"] is not None:
                differs = d["threads"] != s["threads"]  # what the model really used
            else:  # model threads unknown (own objective): the OpenMP cap is the evidence
                differs = d["omp_num_threads"] != s["omp_num_threads"]
            if not differs or max(ratio, 1 / ratio) < T("thread_time_ratio"):
                continue
            workload, n_jobs, _, env = key
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
            alt = {e or "inherited environment": round(median(g["objective_s"]), 3)
                   for e, g in others[others["condition"] == condition].groupby("env_label")}
            note = ""
            if alt:
                evidence["serial_objective_s_other_thread_env"] = alt
                best_env, best = min(alt.items(), key=lambda kv: kv[1])
                if best > 0:
                    note = (f"; with {best_env} the serial trial takes {_fmt_s(best)} "
                            f"({fmt_x(d['objective_s'] / best)} of the gap from how threads "
                            f"wait, {fmt_x(best / s['objective_s'])} left to the thread count)")
            if env:
                evidence["thread_env_set"] = env
            faster = "faster" if ratio > 1 else "slower"
            out.append(Finding(
                id=f"thread-mismatch:{workload}:nj{n_jobs}:{condition}"
                   + (f":{env}" if env else ""), rule="thread-mismatch",
                severity="high",
                summary=(f"{workload} n_jobs={n_jobs}{' [emulated: ' + condition + ']' if emulated else ''}: "
                         f"each spark trial is {max(ratio, 1 / ratio):.1f}x {faster} than serial "
                         f"because it ran {s['threads']} thread(s) (OMP_NUM_THREADS={s['omp_num_threads']}) "
                         f"against {d['threads']} in the driver (OMP_NUM_THREADS={d['omp_num_threads']})"
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
                         "condition": condition, "env_label": env}]))
    return out


def driver_cores(run: RunData):
    """Cores the driver's serial trials can use: visible CPUs narrowed by the affinity mask,
    capped by a cgroup CPU quota (environment.usable_cores)."""
    return usable_cores(run.manifest.get("environment") or {})


def _shapes(run: RunData) -> dict:
    """Cluster label -> shape {workers, cores, task_cpus} as the scenario declared it."""
    shapes = {}
    for entry in (run.manifest.get("grid") or {}).get("clusters") or []:
        if isinstance(entry, dict) and entry.get("label"):
            shapes[entry["label"]] = entry
    for label, facts in (run.manifest.get("clusters") or {}).items():
        if label not in shapes and facts and isinstance(facts[0].get("shape"), dict):
            shapes[label] = facts[0]["shape"]
    return shapes


def _task_cpus(run: RunData, grp: pd.DataFrame, shape: dict | None) -> int:
    """spark.task.cpus as the trials saw it, else as the shape or the session declared it."""
    seen = pd.to_numeric(grp["spark_task_cpus"], errors="coerce").dropna()
    if len(seen):
        return max(1, int(seen.max()))
    declared = (shape or {}).get("task_cpus") or (run.manifest.get("spark") or {}).get("task_cpus")
    try:
        return max(1, int(declared or 1))
    except (TypeError, ValueError):
        return 1


def _int_or_none(value):
    try:
        return int(value) if value is not None and not pd.isna(value) else None
    except (TypeError, ValueError):
        return None


def executor_cores(run: RunData, grp: pd.DataFrame, shape: dict | None):
    """(cores of one executor, where that number came from) for a spark configuration: the
    fewest cores among the executors alive while its cells ran (event log ExecutorAdded
    'Total Cores'), else spark.executor.cores, else the cluster shape's cores per worker,
    else the session's cores spread over its executors. In local mode the one executor is
    the driver's process, so the driver's usable cores cap it. (None, '') if unknown."""
    from ..analysis.placement import available_executors

    spark = run.manifest.get("spark") or {}
    local = not shape and str(spark.get("master") or "local").startswith("local")
    cells = run.cells[run.cells["cell_id"].isin(set(grp["cell_id"]))]
    alive = available_executors(run.manifest, cells, run.spark_executors)
    logged = [c for a in alive.values() for c in a["cores"].values() if _int_or_none(c)]
    cores, source = None, ""
    if logged:
        cores, source = int(min(logged)), "event log"
    else:
        label = grp["cluster_label"].iloc[0]
        facts = (run.manifest.get("clusters") or {}).get(label) or [] if label else []
        conf = facts[-1].get("executor_cores") if facts else spark.get("executor_cores")
        if _int_or_none(conf):
            cores, source = int(conf), "spark.executor.cores"
        elif shape and _int_or_none(shape.get("cores")):
            cores, source = int(shape["cores"]), "cluster shape"
        elif _int_or_none(spark.get("default_parallelism")):
            total = int(spark["default_parallelism"])
            n = 1 if local else (_int_or_none(spark.get("executors")) or 1)
            cores, source = max(1, total // n), "session cores / executors"
    if local:
        driver = driver_cores(run)
        if driver and (cores is None or driver < cores):
            cores, source = driver, "driver (local mode)"
    return cores, source


def thread_placement(run: RunData, grp: pd.DataFrame) -> dict | None:
    """Where one configuration's trials ran, as the rules about cores reason about it:
    threads per trial, the cores available to them and how many trials could share those
    cores at once. Serial: the driver's cores, one trial. Spark: one executor's cores (see
    executor_cores) and the trials its slots hold at once (min(parallelism, executor cores /
    task cpus)): Spark may place every trial of a cell on the same executor."""
    threads = median(grp["model_threads_effective"])
    if not math.isfinite(threads):
        return None
    first = grp.iloc[0]
    if first["mode"] != "spark":
        cores = driver_cores(run)
        return None if not cores else {"threads": threads, "cores": cores, "at_once": 1,
                                        "scope": "the driver", "alone": True}
    p = int(first["parallelism"]) if pd.notna(first["parallelism"]) else 1
    shape = _shapes(run).get(first["cluster_label"]) if first["cluster_label"] else None
    slots = run.cells.set_index("cell_id")["task_slots"].reindex(grp["cell_id"].unique()).dropna()
    # trials of the cell running at once anywhere: with one, its neighbours are not siblings
    in_cell = int(min(p, slots.min())) if len(slots) else p
    cores, source = executor_cores(run, grp, shape)
    if not cores:
        return None
    per_executor = max(1, cores // _task_cpus(run, grp, shape))
    scope = (f"each executor of {first['cluster_label']}" if shape
             else "the local session" if source == "driver (local mode)"
             or str((run.manifest.get("spark") or {}).get("master") or "local").startswith("local")
             else "each executor")
    return {"threads": threads, "cores": cores, "at_once": min(p, per_executor, in_cell),
            "scope": scope, "cores_from": source, "alone": in_cell == 1}


#: setting columns for rules about threads and cores: the queue length and evaluation count
#: do not change where a trial's threads run, so their cells are judged together
PLACEMENT_COLS = keys.PLACEMENT


def _configs(trials: pd.DataFrame, cols=GROUP_COLS):
    """(settings dict, trials) per configuration, over the analysis' setting columns."""
    for key, grp in trials.groupby(cols, sort=True, dropna=False):
        yield dict(zip(cols, key)), grp


def _where(cfg: dict, label: str) -> str:
    return label + ("" if cfg["condition"] == NATIVE or f"[{cfg['condition']}]" in label
                    else f" [{cfg['condition']}]")


def _covers_config(cfg: dict) -> dict:
    return {k: cfg[k] for k in ("workload", "mode", "condition", "n_jobs_label",
                                "parallelism", "cluster_label", "env_label")}


def oversubscription(run: RunData, analysis: Analysis) -> list[Finding]:
    """More runnable threads than cores, by construction: threads per trial times the trials
    that can share the same cores at once (see thread_placement)."""
    trials = _ok(run.trials)
    out = []
    for cfg, grp in _configs(trials, PLACEMENT_COLS):
        place = thread_placement(run, grp)
        if place is None:
            continue
        threads, cores, at_once = place["threads"], place["cores"], place["at_once"]
        demand = threads * at_once
        if demand <= T("oversubscribed") * cores:
            continue
        eff = median(grp["effective_cores"])
        mode, p, n_jobs, condition = cfg["mode"], cfg["parallelism"], cfg["n_jobs_label"], cfg["condition"]
        where = f"{mode}" + (f" p={int(p)}" if mode == "spark" else "")
        if cfg["cluster_label"]:
            where += f" @{cfg['cluster_label']}"
        if cfg["env_label"]:
            where += f" {{{cfg['env_label']}}}"
        out.append(Finding(
            id=(f"oversubscription:{cfg['workload']}:{where.replace(' ', ':').replace('=', '')}"
                f":nj{n_jobs}:{condition}"), rule="oversubscription", severity="medium",
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
            covers=[_covers_config(cfg)]))
    return out

WAIT_ENV = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")


def _seen_env(grp: pd.DataFrame, name: str) -> str:
    """A thread variable as the trials saw it: '1', 'passive, unset'..."""
    values = {str((env or {}).get(name, "unset")) if isinstance(env, dict) else "unset"
              for env in grp["thread_env"].tolist()}
    return ", ".join(sorted(values))


def _openmp_runtime(grp: pd.DataFrame) -> str:
    """OpenMP libraries the trials had loaded (threadpoolctl prefix: libgomp, libomp, libiomp)."""
    libs = {str(p.get("library")) for pools in grp["threadpools"].tolist()
            if isinstance(pools, list) for p in pools
            if isinstance(p, dict) and p.get("api") == "openmp"}
    return ", ".join(sorted(libs)) or "not seen"


def _point_key(params) -> str:
    import json

    return json.dumps(params, sort_keys=True, default=str) if isinstance(params, dict) else ""


def objective_ratio(hot: pd.DataFrame, ref: pd.DataFrame) -> tuple[float, int]:
    """Median objective of `hot` over `ref`, on the same hyperparameter points where both
    ran some (median of per-point ratios), else median over median. Returns (ratio, points
    matched)."""
    hk, rk = hot.assign(_k=hot["params"].map(_point_key)), ref.assign(_k=ref["params"].map(_point_key))
    common = sorted((set(hk["_k"]) & set(rk["_k"])) - {""})
    if common:
        h = hk.groupby("_k")["objective_s"].median()
        r = rk.groupby("_k")["objective_s"].median()
        ratios = [h[k] / r[k] for k in common if r[k] > 0]
        if ratios:
            return float(np.median(ratios)), len(ratios)
    base = median(ref["objective_s"])
    return (median(hot["objective_s"]) / base if base > 0 else float("nan")), 0


def _label(grp: pd.DataFrame) -> str:
    return str(grp["setting"].iloc[0]) if "setting" in grp else ""


def _spin_configs(run: RunData, trials: pd.DataFrame) -> list[tuple]:
    """(settings, trials, placement, oversubscribed) per configuration. A trial that ran
    with no sibling trial of its cell at the same time (serial, or one slot) also counts the
    cores other processes kept busy beside it: a loaded host leaves it fewer. (Spark trials
    running beside siblings cannot tell siblings from strangers in that measurement.)"""
    out = []
    for cfg, grp in _configs(trials, PLACEMENT_COLS):
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
    return _seen_env(grp, "OMP_WAIT_POLICY").lower() == "passive"


def spin_wait_collapse(run: RunData, analysis: Analysis) -> list[Finding]:
    """Multi-threaded trials sharing too few cores, many times slower than the same model
    with the same threads where it had the cores: OpenMP threads busy-wait at every barrier
    (libgomp spins by default), so a thread waiting for a descheduled sibling burns the CPU
    that sibling needs and each barrier costs a scheduler time slice.

    Judged against the same workload and threads without oversubscription in the run; where
    there is none (every such cell shared its cores, e.g. on a loaded machine), against the
    same cells with OMP_WAIT_POLICY=passive: passive threads sleep instead of spinning, so a
    5x gap to them is the spinning itself."""
    trials = _ok(run.trials)
    configs = _spin_configs(run, trials)
    out = []
    for cfg, grp, place, over in configs:
        if not over or place["threads"] <= 1 or _passive(grp):
            continue
        same = ("workload", "n_jobs_label", "env_label")
        refs = [(c, g) for c, g, pl, o in configs if not o and pl["threads"] == place["threads"]
                and all(c[k] == cfg[k] for k in same)]
        demand = place["threads"] * place["at_once"] + place.get("other_busy_cores", 0)
        fair = demand / place["cores"]
        if refs:
            basis = "with the cores to itself"
            limit = max(T("collapse_slowdown"), fair * T("thread_time_ratio"))
        else:
            keep = ("workload", "mode", "condition", "parallelism", "cluster_label", "n_jobs_label")
            refs = [(c, g) for c, g, pl, o in configs if _passive(g)
                    and all(_same(c[k], cfg[k]) for k in keep)]
            basis = "with OMP_WAIT_POLICY=passive (no cell had the cores to itself)"
            limit = T("collapse_slowdown")
        if not refs:
            continue
        ref = pd.concat([g for _, g in refs])
        slowdown, matched = objective_ratio(grp, ref)
        if not slowdown >= limit:
            continue
        hot_s, ref_s = median(grp["objective_s"]), median(ref["objective_s"])
        label = _where(cfg, _label(grp))
        wait = {name: _seen_env(grp, name) for name in WAIT_ENV}
        evidence = {
            "setting": label, "threads_per_trial": int(place["threads"]),
            "cores": place["cores"], "cores_of": place["scope"],
            "trials_at_once": place["at_once"],
            **({"other_processes_busy_cores": place["other_busy_cores"]}
               if "other_busy_cores" in place else {}),
            "thread_demand": round(demand, 2),
            "objective_s": round(hot_s, 3),
            "objective_s_reference": round(ref_s, 3), "reference": basis,
            "reference_settings": sorted({_label(g) for _, g in refs}),
            "slowdown": fmt_x(slowdown), "points_matched": matched,
            "time_sharing_alone_would_give": fmt_x(fair),
            "effective_cores": round(median(grp["effective_cores"]), 2),
            "effective_cores_reference": round(median(ref["effective_cores"]), 2),
            "openmp_runtime": _openmp_runtime(grp), **wait,
        }
        measured = _collapse_what_ifs(configs, cfg, grp, place["threads"])
        if measured:
            evidence["measured_alternatives"] = measured
        policy = wait["OMP_WAIT_POLICY"]
        others = (f" beside other processes keeping {place['other_busy_cores']} core(s) busy"
                  if "other_busy_cores" in place else "")
        out.append(Finding(
            id=(f"spin-wait-collapse:{cfg['workload']}:{cfg['mode']}"
                + (f":p{int(cfg['parallelism'])}" if cfg["mode"] == "spark" else "")
                + (f":{cfg['cluster_label']}" if cfg["cluster_label"] else "")
                + f":nj{cfg['n_jobs_label']}:{cfg['condition']}"
                + (f":{cfg['env_label']}" if cfg["env_label"] else "")),
            rule="spin-wait-collapse", severity="high",
            summary=(f"{cfg['workload']} {label}: {int(place['threads'])} OpenMP threads x "
                     f"{place['at_once']} trial(s) at once on {place['cores']} core(s) of "
                     f"{place['scope']}{others}: objective {_fmt_s(hot_s)} against "
                     f"{_fmt_s(ref_s)} {basis} ({fmt_x(slowdown)} slower; time-sharing "
                     f"alone explains {fmt_x(fair)}); threads spin-wait at every barrier "
                     f"(OMP_WAIT_POLICY {policy})"),
            evidence=evidence,
            recommendation=(
                "In this order: (1) make threads per trial = spark.task.cpus (pin n_jobs / "
                "num_threads, e.g. n_jobs=1 at the default spark.task.cpus=1); (2) or raise "
                f"spark.task.cpus to the threads ({int(place['threads'])}) so each trial gets "
                "its cores (fewer trials at once); (3) if neither can change, make idle "
                "OpenMP threads sleep: OMP_WAIT_POLICY=passive via "
                "spark.executorEnv.OMP_WAIT_POLICY (and in the driver's environment before "
                "the model library loads, for serial Trials)."),
            covers=[_covers_config(cfg)]))
    return out


def _collapse_what_ifs(configs, cfg: dict, grp: pd.DataFrame, threads: float) -> dict:
    """Median objective of the same placement with one recommended change measured in this
    run: another thread environment (e.g. OMP_WAIT_POLICY=passive), or fewer threads."""
    keep = ("workload", "mode", "condition", "parallelism", "cluster_label")
    out = {"as_run": round(median(grp["objective_s"]), 3)}
    for c, g, pl, _ in configs:
        if not all(_same(c[k], cfg[k]) for k in keep) or (c["env_label"], c["n_jobs_label"]) == (
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



def parallelism_above_slots(run: RunData, analysis: Analysis) -> list[Finding]:
    cells = run.cells[(run.cells["mode"] == "spark") & run.cells["task_slots"].notna()]
    over = cells[cells["parallelism"] > cells["task_slots"]]
    if not len(over):
        return []
    conc = analysis.cell_concurrency.set_index("cell_id")["max_concurrency"]
    out = []
    for workload, grp in over.groupby("workload", sort=True):
        p, slots = int(grp["parallelism"].max()), int(grp["task_slots"].min())
        seen = int(max(conc.get(c, 0) for c in grp["cell_id"]))
        shapes = sorted({c for c in grp["cluster_label"] if c})
        out.append(Finding(
            id=f"parallelism-above-slots:{workload}", rule="parallelism-above-slots",
            severity="medium",
            summary=(f"{workload}: parallelism {p} requested but the cluster"
                     f"{' (' + ', '.join(shapes) + ')' if shapes else ''} has {slots} task "
                     f"slot(s); at most {seen} trial(s) ever ran at once"),
            evidence={"parallelism": p, "task_slots": slots, "max_concurrency_seen": seen,
                      **({"cluster_shapes": shapes} if shapes else {})},
            recommendation=(f"Set parallelism <= {slots} (cores / spark.task.cpus), or add "
                            "executors; extra parallelism only queues trials and weakens TPE.")))
    return out


def fresh_worker_per_trial(run: RunData, analysis: Analysis) -> list[Finding]:
    spark = _ok(run.trials)
    spark = spark[spark["mode"] == "spark"]
    if len(spark) < 3:
        return []
    per_cell = spark.groupby("cell_id").agg(trials=("tid", "size"), pids=("pid", "nunique"))
    share = per_cell["pids"].sum() / per_cell["trials"].sum()
    if share < T("fresh_worker_share"):
        return []
    return [Finding(
        id="fresh-worker-per-trial", rule="fresh-worker-per-trial", severity="medium",
        summary=(f"{int(per_cell['pids'].sum())} distinct Python processes ran "
                 f"{int(per_cell['trials'].sum())} spark trials: every trial starts a new "
                 f"worker and re-imports its libraries ({_fmt_s(median(spark['setup_s']))} of "
                 f"imports, {_fmt_s(median(spark['dispatch_to_start_s']))} from dispatch to "
                 f"objective start)"),
        evidence={"spark_trials": int(per_cell["trials"].sum()),
                  "distinct_pids": int(per_cell["pids"].sum()), "share": round(share, 2),
                  "import_s": round(median(spark["setup_s"]), 3),
                  "dispatch_to_start_s": round(median(spark["dispatch_to_start_s"]), 3)},
        recommendation=("SparkTrials' task never reads its input iterator, so Spark cannot "
                        "reuse the Python worker (spark.python.worker.reuse has no effect): "
                        "budget ~this start-up per trial, keep imports light at module level, "
                        "and make trials long enough to amortise it."),
        covers=[{"mode": "spark", "gap": "wall"}])]


def large_closure(run: RunData, analysis: Analysis) -> list[Finding]:
    cells = run.cells[(run.cells["mode"] == "spark")]
    if "closure_bytes" not in cells or not len(cells):
        return []
    sizes = pd.to_numeric(cells["closure_bytes"], errors="coerce")
    big = cells[sizes >= T("closure_bytes")]
    out = []
    for workload, grp in big.groupby("workload", sort=True):
        b = int(pd.to_numeric(grp["closure_bytes"]).max())
        trials = int(grp["trials_ok"].sum() + grp["trials_failed"].sum())
        out.append(Finding(
            id=f"large-closure:{workload}", rule="large-closure", severity="medium",
            summary=(f"{workload}: the objective captures {b / 1e6:.1f} MB that SparkTrials "
                     f"pickles and ships with every trial ({b * trials / 1e6:.0f} MB over "
                     f"{trials} trials)"),
            evidence={"closure_bytes": b, "spark_trials": trials},
            recommendation=("Do not capture the training data in the objective: broadcast it "
                            "once (sc.broadcast) or load it inside the objective from shared "
                            "storage."),
            covers=[{"workload": workload, "mode": "spark", "gap": "wall"}]))
    return out


def search_quality(run: RunData, analysis: Analysis) -> list[Finding]:
    final = analysis.final_loss
    if not len(final) or "cells" not in final:
        return []
    out = []
    grid = run.manifest.get("grid") or {}
    for key, grp in final.groupby(["workload", "n_jobs_label", "max_evals"], sort=True):
        if search_not_comparable(grid, key[2]):
            continue  # the report's search-quality section says why
        serial = grp[(grp["mode"] == "serial") & (grp["condition"] == NATIVE)]
        spark = grp[grp["mode"] == "spark"]
        if not len(serial) or not len(spark):
            continue
        if serial["cells"].min() < T("quality_min_repeats"):
            continue
        base = float(serial["final_best_loss_median"].iloc[0])
        spark = spark[spark["cells"] >= T("quality_min_repeats")]
        if not len(spark) or not math.isfinite(base):
            continue
        top = spark.sort_values("parallelism").iloc[-1]
        gap = (float(top["final_best_loss_median"]) - base) / abs(base) if base else 0.0
        if gap <= T("quality_gap"):
            continue
        workload, n_jobs, evals = key
        out.append(Finding(
            id=f"search-quality:{workload}:nj{n_jobs}", rule="search-quality", severity="low",
            summary=(f"{workload}: after {int(evals)} evaluations the best loss at parallelism "
                     f"{int(top['parallelism'])} is {gap:.0%} worse than serial"),
            evidence={"serial_best_loss": base, "spark_best_loss": float(top["final_best_loss_median"]),
                      "parallelism": int(top["parallelism"]), "max_evals": int(evals),
                      "repeats": int(top["cells"])},
            recommendation=("TPE learns from finished trials; with many running at once it "
                            "suggests blindly. Raise max_evals with parallelism, or keep "
                            "parallelism well below max_evals.")))
    return out


def other_busy_cores(grp: pd.DataFrame) -> float:
    """Cores other processes kept busy beside a set of trials: their CPU-seconds over the
    trials' wall seconds (sum over sum). A median of per-trial ratios would weigh a 50 ms
    trial, whose share rests on a few 10 ms ticks, like a 5 s one."""
    ok = grp[grp["other_busy_cores"].notna() & grp["objective_s"].notna()
             & (grp["objective_s"] > 0)]
    wall = float(ok["objective_s"].sum())
    return float((ok["other_busy_cores"] * ok["objective_s"]).sum()) / wall if wall > 0 \
        else float("nan")


def driver_contention(run: RunData, analysis: Analysis) -> list[Finding]:
    """Serial trials shared the driver's CPUs with other processes (a busy driver): their
    time measures the driver's load as much as the model. Judged per configuration (the
    other processes' CPU-seconds over the trials' wall seconds); one finding per condition.
    Spark trials are left out: their neighbours are mostly sibling trials of the same cell."""
    trials = _ok(run.trials)
    serial = trials[(trials["mode"] == "serial") & trials["other_busy_cores"].notna()]
    cores = driver_cores(run)
    out = []
    for condition, grp in serial.groupby("condition", sort=True):
        by_config = {_label(g) or str(i): other_busy_cores(g)
                     for i, (_, g) in enumerate(_configs(grp))}
        busy = {k: v for k, v in by_config.items() if v >= T("contention_cores")}
        if not busy:
            continue
        other = other_busy_cores(grp[grp["setting"].isin(busy)]) if "setting" in grp \
            else max(busy.values())
        slowdown = {}
        for (workload, n_jobs), g in grp.groupby(["workload", "n_jobs_label"], sort=True):
            base = trials[(trials["mode"] == "serial") & (trials["condition"] == NATIVE)
                          & (trials["workload"] == workload) & (trials["n_jobs_label"] == n_jobs)]
            if condition != NATIVE and len(base):
                slowdown[f"{workload} n_jobs={n_jobs}"] = round(
                    median(g["objective_s"]) / median(base["objective_s"]), 1)
        emulated = condition != NATIVE
        evidence = {"condition": condition, "emulated": emulated,
                    "other_busy_cores": round(other, 2), "cores": cores,
                    "serial_trials": len(grp)}
        if len(by_config) > 1:
            evidence["other_busy_cores_by_configuration"] = {k: round(v, 2)
                                                             for k, v in by_config.items()}
        if slowdown:
            evidence["objective_slowdown_vs_native_serial"] = slowdown
        out.append(Finding(
            id=f"driver-contention:{condition}", rule="driver-contention", severity="medium",
            summary=(f"{'[emulated: ' + condition + '] ' if emulated else ''}serial trials shared "
                     f"the driver with other processes keeping {other:.2f} of {cores} cores busy"),
            evidence=evidence,
            recommendation=("Benchmark serial Trials on an idle driver (or compare against "
                            "SparkTrials at parallelism 1 on executors): a busy driver makes "
                            "SparkTrials look faster for reasons that have nothing to do with "
                            "parallelism."),
            covers=[{"mode": "serial", "condition": condition}]))
    return out


def uneven_placement(run: RunData, analysis: Analysis) -> list[Finding]:
    """Trials piled onto some executors while others idled (per cell, with enough trials).
    The executors counted are those available while the cell ran (event log, else the
    cluster shape), including the ones that ran nothing."""
    un = analysis.unevenness
    if not len(un):
        return []
    spark = run.trials[run.trials["mode"] == "spark"]
    per_cell = spark.groupby("cell_id").size()
    out = []
    for r in un.to_dict("records"):
        cells = spark[spark["setting"] == r["setting"]]["cell_id"].unique()
        trials = int(per_cell.reindex(cells).median()) if len(cells) else 0
        spread = r.get("spread_median", float("inf"))
        if (r["workers"] < 2 or trials < T("uneven_min_trials")
                or not r["unevenness_median"] >= T("uneven_placement")
                or not spread >= T("uneven_spread")):
            continue
        used = int(r.get("workers_used", r["workers"]))
        idle = int(r["workers"]) - used
        out.append(Finding(
            id=f"uneven-placement:{r['workload']}:{r['setting']}", rule="uneven-placement",
            severity="medium",
            summary=(f"{r['workload']} {r['setting']}: the busiest of {r['workers']} executors "
                     f"ran {r['unevenness_median']:.1f}x the mean trials per executor"
                     + (f"; {idle} executor(s) ran none" if idle > 0 else "")),
            evidence={"executors": int(r["workers"]), "executors_used": used,
                      "trials_per_cell": trials,
                      "unevenness": round(r["unevenness_median"], 2),
                      "max_minus_min_trials": round(spread, 1),
                      "coefficient_of_variation": round(r["cv_median"], 2)},
            recommendation=("Make every executor offer the same slots (equal "
                            "spark.executor.cores, spark.task.cpus dividing them) and keep "
                            "parallelism a multiple of the executor count; check `python -m "
                            "bench cluster status` for workers with fewer cores."),
            covers=[{"workload": r["workload"], "setting": r["setting"], "gap": "wall"}]))
    return out


def _covered(findings: list[Finding], row: dict, gap: str) -> list[str]:
    """Ids of the findings whose `covers` names this configuration for this kind of gap."""
    ids = []
    for f in findings:
        for flt in f.covers or []:
            if flt.get("gap", gap) != gap:
                continue
            if all(_same(row.get(k), v) for k, v in flt.items() if k != "gap"):
                ids.append(f.id)
                break
    return ids


# setting values equal, missing values equal to each other: the one rule (bench.keys)
_same = keys.same


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
            return None if all(_same(ref[k], cfg[k]) for k in GROUP_COLS) else ref
    if cfg["mode"] != "spark":
        return None
    spark = w[(w["mode"] == "spark") & (w["cluster_label"] == cfg["cluster_label"])
              & (w["env_label"] == cfg["env_label"]) & (w["max_queue_len"] == 1)]
    spark = spark.sort_values("parallelism")
    if not len(spark) or _same(spark.iloc[0]["parallelism"], cfg["parallelism"]):
        return None
    return spark.iloc[0].to_dict()


_key = keys.key_of  # setting values as a key (NA and NaN alike, 2 and 2.0 alike)


def _ideal(row: dict) -> float:
    if row["mode"] != "spark" or pd.isna(row["parallelism"]):
        return 1.0
    slots = row.get("task_slots")
    return float(min(int(row["parallelism"]), int(slots))) if pd.notna(slots) else float(row["parallelism"])


def unexplained(run: RunData, analysis: Analysis, findings: list[Finding]) -> list[Finding]:
    """Runs after every other rule: a configuration whose fmin wall (against its reference's
    wall divided by the ideal speedup) or median objective is 3x or more away from its
    reference, and that no finding covers, gets a finding of its own with the measurements
    at hand, so nothing large goes silent."""
    walls = analysis.walls
    if not len(walls):
        return []
    trials = _ok(run.trials)
    by_cfg = {_key(cfg.values()): grp for cfg, grp in _configs(trials)}

    def trials_of(row):
        return by_cfg.get(_key(row[k] for k in GROUP_COLS), trials.iloc[0:0])

    out = []
    for row in walls.to_dict("records"):
        ref = _reference(row, walls)
        if ref is None:
            continue
        gaps = {}
        if pd.notna(row["wall_median_s"]) and pd.notna(ref["wall_median_s"]) and ref["wall_median_s"] > 0:
            expected = ref["wall_median_s"] * _ideal(ref) / _ideal(row)
            gaps["wall"] = row["wall_median_s"] / expected
        hot, base = trials_of(row), trials_of(ref)
        if len(hot) and len(base):
            ratio, _ = objective_ratio(hot, base)
            if math.isfinite(ratio) and ratio > 0:
                gaps["objective"] = ratio
        big = {k: v for k, v in gaps.items()
               if max(v, 1 / v) >= T("unexplained_gap") and not _covered(findings, row, k)}
        if not big:
            continue
        out.append(_unexplained_finding(run, row, ref, big, gaps, hot, base))
    return out


def _unexplained_finding(run, row, ref, big, gaps, hot, base) -> Finding:
    def part(col):
        return round(median(hot[col]), 3) if len(hot) else None

    evidence = {
        "setting": _where(row, row["setting"]), "reference": _where(ref, ref["setting"]),
        "fmin_wall_s": round(row["wall_median_s"], 2) if pd.notna(row["wall_median_s"]) else None,
        "reference_wall_s": round(ref["wall_median_s"], 2) if pd.notna(ref["wall_median_s"]) else None,
        "ideal_speedup": _ideal(row),
        **{f"{k}_vs_reference": fmt_x(v) for k, v in gaps.items()},
        "objective_s": part("objective_s"),
        "reference_objective_s": round(median(base["objective_s"]), 3) if len(base) else None,
        "queue_wait_s": part("wait_dispatch_s"), "dispatch_to_start_s": part("dispatch_to_start_s"),
        "import_s": part("setup_s"), "return_s": part("return_s"),
        "threads_per_trial": part("model_threads_effective"),
        "omp_num_threads": _seen_env(hot, "OMP_NUM_THREADS") if len(hot) else None,
        "effective_cores": part("effective_cores"),
        "reference_effective_cores": round(median(base["effective_cores"]), 2) if len(base) else None,
        "processes": int(hot["pid"].nunique()) if len(hot) else 0,
        "hosts": int(hot["hostname"].nunique()) if len(hot) else 0,
        "cells": int(row.get("cells") or 0),
    }
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
    if int(row.get("cells") or 0) < 3:
        helps.append("repeats >= 3, to tell the gap from run-to-run noise")
    what = " and ".join(f"{k} {fmt_x(v)}" for k, v in big.items())
    return Finding(
        id=f"unexplained:{row['workload']}:{row['setting']}".replace(" ", ":"),
        rule="unexplained", severity="medium",
        summary=(f"{row['workload']} {evidence['setting']}: {what} its reference "
                 f"({evidence['reference']}) and no rule explains it"),
        evidence={**evidence, "cells_that_would_help": helps},
        recommendation=("Nothing in this run's measurements accounts for this gap. Add the "
                        "cells listed under cells_that_would_help and look at the per-trial "
                        "timeline for this configuration."),
        covers=[{**_covers_config(row)}])



RULES: list[Callable[[RunData, Analysis], list[Finding]]] = [
    fixed_overhead, dispatch_starvation, thread_mismatch, oversubscription, spin_wait_collapse,
    parallelism_above_slots, fresh_worker_per_trial, large_closure, search_quality,
    uneven_placement, driver_contention,
]

#: Rules that read the other rules' findings; they run last, in this order.
AFTER_RULES: list[Callable[[RunData, Analysis, list[Finding]], list[Finding]]] = [unexplained]
