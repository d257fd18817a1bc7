"""Rules about what SparkTrials itself costs per trial: its fixed cost against the
objective, slots starved by a short queue, a fresh Python worker per trial, and a large
closure shipped with every trial."""
from __future__ import annotations

import math

import pandas as pd

from ..analysis import Analysis, RunData
from ..analysis.measures import break_even_objective_s, fixed_costs, slot_occupancy
from ..analysis.stats import median
from ..model import NATIVE
from ..formats import fmt_x
from .common import configuration, ok_trials, seconds_or_never, seconds_text
from .finding import Finding
from .severities import severity
from .thresholds import T


def _speedup_label(r) -> str:
    """'p=2 q=2 @2x1 {OMP_WAIT_POLICY=passive}': a native speedup's configuration."""
    return (f"p={int(r.parallelism)} q={int(r.max_queue_len)}"
            + (f" @{r.cluster_label}" if r.cluster_label else "")
            + (f" {{{r.env_label}}}" if r.env_label else ""))


def _fixed_evidence(grp: pd.DataFrame, fixed: float, objective: float, at_once: dict) -> dict:
    """The fixed cost split into its parts, against the objective, with the break-even
    objective length per parallelism (p trials at once only where p task slots exist)."""
    return {
        "fixed_s_per_trial": round(fixed, 3),
        "dispatch_delay_s": round(median(grp["dispatch_delay_s"]), 3),
        "startup_s": round(median(grp["startup_s"]), 3),
        "slot_wait_s": round(median(grp["slot_wait_s"]), 3),
        "import_s": round(median(grp["setup_s"]), 3),
        "return_s": round(median(grp["return_s"]), 3),
        "objective_s": round(objective, 3),
        "fixed_share_of_objective": round(fixed / objective, 2),
        "break_even_objective_s": {int(p): seconds_or_never(break_even_objective_s(
            fixed, at_once[int(p)])) for p in sorted(set(grp["parallelism"].dropna()))},
    }


def fixed_overhead(run: RunData, analysis: Analysis) -> list[Finding]:
    """SparkTrials' fixed per-trial cost (dispatch loop + worker start + return) against the
    objective's own time: the ceiling on any speedup."""
    trials = ok_trials(run.trials)
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
        evidence = _fixed_evidence(grp, fixed, objective, at_once)
        left_out = int((unsure & (timed["workload"] == workload)).sum())
        if left_out:
            evidence["trials_left_out_clock_uncertain"] = left_out
        if len(skewed):  # executor clocks moved onto the driver's before the split
            evidence["executor_clock_offset_s"] = {
                r["host"]: round(r["offset_s"], 3) for r in skewed.to_dict("records")}
        if len(sp_native):
            evidence["native_speedup_by_parallelism"] = {
                _speedup_label(r): r.speedup for r in sp_native.itertuples()
                if pd.notna(r.speedup)}
        slower = sp_native[(sp_native["speedup"] < T("slower_than_serial"))]
        be = break_even_objective_s(fixed, p_top)
        summary = (f"{workload}: every spark trial pays {seconds_text(fixed)} of fixed SparkTrials "
                   f"cost against a {seconds_text(objective)} objective ({share:.0%})")
        if len(slower):
            worst = slower.sort_values("speedup").iloc[0]
            summary += (f"; SparkTrials is slower than serial (speedup {fmt_x(worst.speedup)} "
                        f"at parallelism {int(worst.parallelism)})")
        out.append(Finding(
            id=f"fixed-overhead:{workload}", rule="fixed-overhead",
            severity=severity("fixed-overhead", raised=len(slower) > 0),
            summary=summary, evidence=evidence,
            recommendation=(
                f"At parallelism {p_top} SparkTrials only pays off for objectives longer than "
                f"{seconds_text(be)}. Give each trial more work (more data, cross-validation folds "
                f"inside the objective), keep serial Trials for trials this short, and set "
                f"max_queue_len = parallelism so the dispatcher always has a trial ready."),
            covers=[{"workload": workload, "mode": "spark", "gap": "wall"}],
            workload=workload, configuration=configuration({"workload": workload,
                                                            "mode": "spark"})))
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
    occ = occ[occ["parallelism"] >= T("starved_min_parallelism")]
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
            severity=severity("dispatch-starvation"),
            summary=(f"with max_queue_len=1 trials held only {evidence['slots_held_q1']} of "
                     f"{evidence['usable_slots']} slots on average at parallelism {int(p)}"
                     + (f" ({evidence['slots_held_q_gt_1']} with a longer queue)" if len(qp) else "")),
            evidence=evidence,
            recommendation=("Pass max_queue_len=parallelism to fmin: hyperopt then suggests "
                            "enough trials per loop to fill every slot (its default of 1 feeds "
                            "about one trial per second)."),
            covers=[{"mode": "spark", "parallelism": p, "max_queue_len": 1, "gap": "wall"}],
            configuration=configuration({"mode": "spark", "parallelism": p,
                                         "max_queue_len": 1})))
    return out


def fresh_worker_per_trial(run: RunData, analysis: Analysis) -> list[Finding]:
    spark = ok_trials(run.trials)
    spark = spark[spark["mode"] == "spark"]
    if len(spark) < T("fresh_worker_min_trials"):
        return []
    per_cell = spark.groupby("cell_id").agg(trials=("tid", "size"), pids=("pid", "nunique"))
    share = per_cell["pids"].sum() / per_cell["trials"].sum()
    if share < T("fresh_worker_share"):
        return []
    return [Finding(
        id="fresh-worker-per-trial", rule="fresh-worker-per-trial",
        severity=severity("fresh-worker-per-trial"),
        summary=(f"{int(per_cell['pids'].sum())} distinct Python processes ran "
                 f"{int(per_cell['trials'].sum())} spark trials: every trial starts a new "
                 f"worker and re-imports its libraries ({seconds_text(median(spark['setup_s']))} "
                 f"of imports, {seconds_text(median(spark['dispatch_to_start_s']))} from "
                 f"dispatch to objective start)"),
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
            id=f"large-closure:{workload}", rule="large-closure",
            severity=severity("large-closure"),
            summary=(f"{workload}: the objective captures {b / 1e6:.1f} MB that SparkTrials "
                     f"pickles and ships with every trial ({b * trials / 1e6:.0f} MB over "
                     f"{trials} trials)"),
            evidence={"closure_bytes": b, "spark_trials": trials},
            recommendation=("Do not capture the training data in the objective: broadcast it "
                            "once (sc.broadcast) or load it inside the objective from shared "
                            "storage."),
            covers=[{"workload": workload, "mode": "spark", "gap": "wall"}],
            workload=workload, configuration=configuration({"workload": workload,
                                                            "mode": "spark"})))
    return out
