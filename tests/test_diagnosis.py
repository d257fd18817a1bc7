"""Each diagnosis rule on hand-made records: where it must fire and where it must not."""
from __future__ import annotations

import pandas as pd
import pytest

from bench.report import sections

from bench.analysis import RunData, analyze, build_frames
from bench.model import Manifest
from bench.diagnosis import THRESHOLDS, diagnose_data
from bench.diagnosis import rules
from bench.analysis.measures import (break_even_objective_s, fixed_costs, slot_ready_times,
                                     slot_wait_s)

T0 = 1_800_000_000.0


def cell(mode="spark", workload="w", p=2, q=1, n_jobs=None, repeat=0, condition="native",
         slots=2, closure=10_000, evals=4):
    cid = (f"{workload}.{mode}.{condition if mode == 'serial' else f'p{p}q{q}'}"
           f".nj{n_jobs}.e{evals}.r{repeat}")
    return {"cell_id": cid, "mode": mode, "workload": workload,
            "parallelism": p if mode == "spark" else None,
            "max_queue_len": q if mode == "spark" else 1, "n_jobs": n_jobs, "max_evals": evals,
            "repeat": repeat, "condition": condition, "emulated": condition != "native",
            "task_slots": slots if mode == "spark" else None,
            "closure_bytes": closure if mode == "spark" else None}


def trials_for(c, *, objective=0.3, delay=0.0, startup=0.0, ret=0.0, concurrency=1,
               threads=1, omp=None, eff=1.0, pids=None, losses=None, start=T0, gap=0.0):
    """Trials of one cell: `concurrency` at a time, each: suggested -> `delay` -> dispatched
    -> `startup` -> objective -> `ret` -> recorded, rounds separated by `gap`."""
    n = c["max_evals"]
    out = []
    period = delay + startup + objective + ret + gap
    for tid in range(n):
        t = start + (tid // concurrency) * period
        book = t + delay
        s = book + startup
        e = s + objective
        out.append({**{k: c[k] for k in ("cell_id", "mode", "workload", "parallelism",
                                          "max_queue_len", "n_jobs", "max_evals", "repeat",
                                          "condition")},
                    "run_id": "r", "tid": tid, "status": "ok",
                    "loss": (losses or [1.0] * n)[tid], "suggest_ts": t, "book_ts": book,
                    "start_ts": s, "end_ts": e, "refresh_ts": e + ret,
                    "objective_s": objective, "cpu_s": objective * eff,
                    "effective_cores": eff, "peak_threads": None if threads is None else threads + 1,
                    "model_threads_effective": threads, "omp_num_threads": omp,
                    "pid": pids[tid] if pids else 7, "setup_s": 0.0,
                    "wait_dispatch_s": delay, "dispatch_to_start_s": startup, "return_s": ret})
    return out


def cell_record(c, trials):
    return {**c, "run_id": "r", "order": 0, "start_ts": trials[0]["suggest_ts"],
            "end_ts": trials[-1]["refresh_ts"], "wall_s": trials[-1]["refresh_ts"] - trials[0]["suggest_ts"],
            "trials_ok": len(trials), "trials_failed": 0,
            "best_loss": min(t["loss"] for t in trials), "error": None}


def run_of(*pairs, cores=2, executors=(), **manifest_extra):
    """Records of (cell, trials) pairs as an analysed run; manifest_extra adds or replaces
    top-level manifest keys (e.g. grid clusters, spark facts); `executors` are event-log
    executor records."""
    trial_recs, cell_recs = [], []
    for c, ts in pairs:
        trial_recs += ts
        cell_recs.append(cell_record(c, ts))
    manifest = {"run_id": "r", "cells": [c for c, _ in pairs],
                "environment": {"logical_cores": cores, "usable_cores": cores},
                "spark": {"task_slots": 2}, **manifest_extra}
    trials, cells, tasks = build_frames(manifest, trial_recs, cell_recs, [])
    run = RunData(path=None, manifest=manifest, trials=trials, cells=cells, spark_tasks=tasks,
                  spark_executors=pd.DataFrame(list(executors)))
    return run, analyze(run)


def ids(findings):
    return {f.id for f in findings}


# --- measures -------------------------------------------------------------------------

def test_slot_ready_times_separates_slot_wait_from_dispatch_delay():
    # p=1: trial 1 is suggested at 0 but the slot frees only when trial 0 ends at 5
    ready = slot_ready_times([0, 0], [1, 6], [5, 10], parallelism=1)
    assert list(ready) == [0, 5]
    ready = slot_ready_times([0, 0], [1, 2], [5, 10], parallelism=2)
    assert list(ready) == [0, 0]


def test_break_even():
    assert break_even_objective_s(2.0, 2) == 2.0
    assert break_even_objective_s(2.0, 5) == 0.5
    assert break_even_objective_s(2.0, 1) == float("inf")


# --- fixed-overhead -----------------------------------------------------------------

def test_fixed_overhead_fires_when_trials_are_short_and_names_seconds():
    s = cell("serial")
    k = cell("spark", p=2, q=2)
    run, an = run_of((s, trials_for(s, objective=0.3)),
                     (k, trials_for(k, objective=0.3, delay=1.0, startup=1.2, ret=0.05,
                                    concurrency=2)))
    found = rules.fixed_overhead(run, an)
    assert ids(found) == {"fixed-overhead:w"}
    ev = found[0].evidence
    assert ev["fixed_s_per_trial"] == pytest.approx(2.25)
    assert ev["objective_s"] == pytest.approx(0.3)
    assert ev["break_even_objective_s"][2] == pytest.approx(2.25)
    assert found[0].severity == "high"  # SparkTrials slower than serial here
    assert "slower than serial" in found[0].summary


def test_fixed_overhead_silent_for_long_trials():
    s = cell("serial")
    k = cell("spark", p=2, q=2)
    run, an = run_of((s, trials_for(s, objective=30.0)),
                     (k, trials_for(k, objective=30.0, delay=1.0, startup=1.2, concurrency=2)))
    assert rules.fixed_overhead(run, an) == []


def test_fixed_overhead_does_not_count_waiting_for_a_busy_slot():
    # p=1, objective 10 s: the next trial waits ~10 s for the slot; only 0.2 s is dispatch.
    k = cell("spark", p=1, q=1)
    ts = trials_for(k, objective=10.0, delay=0.0, startup=0.1, ret=0.0)
    for i, t in enumerate(ts):  # all suggested at once at T0, dispatched 0.1 s after a slot frees
        t["suggest_ts"] = T0
        t["wait_dispatch_s"] = t["book_ts"] - T0
    run, an = run_of((k, ts))
    assert rules.fixed_overhead(run, an) == []


def _queued_on_two_slots(evals=8, startup=0.2, objective=1.0, finish_after=0.01, ret=0.05):
    """p=8 on 2 task slots: all 8 trials dispatched at T0, two Spark tasks run at a time.
    Each task starts `startup` after its slot frees (when a task of the round before
    finished), finishes `finish_after` its objective, and its result is recorded `ret`
    after the objective ends."""
    k = cell("spark", p=8, q=8, slots=2, evals=evals)
    ts, tasks = trials_for(k, objective=objective, startup=startup, ret=ret), []
    free = [T0, T0]
    for t in ts:
        lane = min(range(2), key=lambda i: free[i])
        launch = max(free[lane], T0)
        start = launch + startup
        end = start + objective
        t.update(suggest_ts=T0, book_ts=T0, start_ts=start, end_ts=end, refresh_ts=end + ret,
                 wait_dispatch_s=0.0, dispatch_to_start_s=start - T0, return_s=ret,
                 spark_task_attempt_id=t["tid"])
        tasks.append({"run_id": "r", "cell_id": k["cell_id"], "tid": t["tid"],
                      "job_group": k["cell_id"], "task_attempt_id": t["tid"],
                      "executor_id": "driver", "host": "h", "launch_ts": launch,
                      "finish_ts": end + finish_after})
        free[lane] = end + finish_after
    return k, ts, tasks


def test_waiting_for_a_task_slot_is_not_start_up_cost():
    k, ts, tasks = _queued_on_two_slots(objective=0.5)
    manifest = {"run_id": "r", "environment": {"logical_cores": 2, "usable_cores": 2},
                "spark": {"task_slots": 2}}
    trials, cells, task_frame = build_frames(manifest, ts, [cell_record(k, ts)], tasks)
    run = RunData(path=None, manifest=manifest, trials=trials, cells=cells,
                  spark_tasks=task_frame)
    (found,) = rules.fixed_overhead(run, analyze(run))
    assert found.evidence["startup_s"] == pytest.approx(0.2)
    assert found.evidence["fixed_s_per_trial"] == pytest.approx(0.25)
    # 8 trials in flight, 2 at a time: the break-even of 2 trials at once
    assert found.evidence["break_even_objective_s"] == {8: pytest.approx(0.25)}
    costs = fixed_costs(trials, cells, task_frame)
    # tasks hold their slot from launch to finish (event log): exactly the 0.2 s start-up
    assert costs["startup_s"].to_numpy() == pytest.approx([0.2] * 8, abs=1e-6)
    assert costs["slot_wait_s"].max() > 2.0  # the last round waited for three before it
    # without the event log a slot counts as held only while an objective runs: the 0.21 s
    # start-up of each round ahead stays in start-up (an upper bound), never less than 0.2
    costs = fixed_costs(trials, cells)
    assert costs.sort_values("tid")["startup_s"].to_numpy() == pytest.approx(
        [0.2 + 0.21 * (tid // 2) for tid in range(8)], abs=1e-6)


def test_slot_wait_needs_no_queue_order():
    # two trials dispatched in the same millisecond on one slot: the one whose task launched
    # second waited for the other's task, whatever their order in the records
    wait = slot_wait_s(book=[0.0, 0.0], until=[5.0, 0.1], held_from=[5.0, 0.1],
                       held_to=[6.0, 4.0], task_slots=1)
    assert wait.tolist() == pytest.approx([3.9, 0.0])


# --- dispatch-starvation ------------------------------------------------------------

def test_starvation_fires_when_q1_leaves_slots_empty_and_a_longer_queue_fills_them():
    q1 = cell("spark", p=2, q=1)
    q2 = cell("spark", p=2, q=2)
    run, an = run_of((q1, trials_for(q1, objective=1.0, delay=1.0, concurrency=1)),
                     (q2, trials_for(q2, objective=1.0, delay=1.0, concurrency=2, start=T0 + 100)))
    found = rules.dispatch_starvation(run, an)
    assert ids(found) == {"dispatch-starvation:p2"}
    ev = found[0].evidence
    # q1: 4 trials holding a slot 1 s each, one at a time, over a 7 s span
    assert ev["slots_held_q1"] == pytest.approx(4 / 7, abs=0.01)
    # q2: two at a time in two rounds: 4 slot-seconds over a 3 s span
    assert ev["slots_held_q_gt_1"] == pytest.approx(4 / 3, abs=0.01)


def test_starvation_silent_when_slots_are_full():
    q1 = cell("spark", p=2, q=1)
    run, an = run_of((q1, trials_for(q1, objective=1.0, concurrency=2)))
    assert rules.dispatch_starvation(run, an) == []


def test_starvation_silent_when_a_longer_queue_does_not_help():
    q1 = cell("spark", p=2, q=1)
    q2 = cell("spark", p=2, q=2)
    run, an = run_of((q1, trials_for(q1, objective=1.0, delay=1.0, concurrency=1)),
                     (q2, trials_for(q2, objective=1.0, delay=1.0, concurrency=1, start=T0 + 100)))
    assert rules.dispatch_starvation(run, an) == []


# --- thread-mismatch ----------------------------------------------------------------

def test_thread_mismatch_fires_with_thread_numbers_of_each_mode():
    s = cell("serial", condition="busy")
    k = cell("spark", p=1)
    run, an = run_of((s, trials_for(s, objective=3.0, threads=32, omp="32", eff=0.4)),
                     (k, trials_for(k, objective=0.2, threads=1, omp="1", startup=1.0, delay=1.0)))
    found = rules.thread_mismatch(run, an)
    assert ids(found) == {"thread-mismatch:w:njNone:e4:busy"}
    f = found[0]
    assert f.evidence["serial"]["threads"] == 32 and f.evidence["spark_p1"]["threads"] == 1
    assert f.evidence["objective_ratio_serial_over_spark"] == pytest.approx(15.0)
    assert f.evidence["emulated"] is True and "emulated" in f.summary


def test_thread_mismatch_pairs_trials_by_point_when_the_modes_shared_them():
    s = cell("serial", condition="busy")
    k = cell("spark", p=1)
    serial = trials_for(s, objective=3.0, threads=32, omp="32", eff=0.4)
    spark = trials_for(k, objective=0.2, threads=1, omp="1")
    # shared points: the same hyperparameters in the same order in both modes; the serial
    # cell's last point is 10x dearer, which a median of each side would not see paired
    for tid, (a, b) in enumerate(zip(serial, spark)):
        a["params"] = b["params"] = {"x": tid}
    serial[-1]["objective_s"] = 30.0
    spark[-1]["objective_s"] = 2.0
    f = rules.thread_mismatch(*run_of((s, serial), (k, spark)))[0]
    assert f.evidence["points_paired"] == 4
    assert f.evidence["objective_ratio_serial_over_spark"] == pytest.approx(15.0)
    for t in spark:  # the search picked other points in each mode: nothing to pair
        t["params"] = {"x": 100 + t["tid"]}
    f = rules.thread_mismatch(*run_of((s, serial), (k, spark)))[0]
    assert f.evidence["points_paired"] == 0


def test_thread_mismatch_silent_when_threads_equal_or_time_equal():
    s, k = cell("serial"), cell("spark", p=1)
    # equal model threads: a different OMP_NUM_THREADS alone (busy driver) is not the cause
    same_threads = run_of((s, trials_for(s, objective=3.0, threads=1, omp="32")),
                          (k, trials_for(k, objective=0.2, threads=1, omp="1")))
    same_time = run_of((s, trials_for(s, objective=0.2, threads=2)),
                       (k, trials_for(k, objective=0.21, threads=1, omp="1")))
    assert rules.thread_mismatch(*same_threads) == []
    assert rules.thread_mismatch(*same_time) == []


def test_thread_mismatch_of_an_own_objective_needs_a_trial_that_used_several_cores():
    """An own objective: the model's threads are unknown, so the OpenMP caps (unset in the
    driver, 1 in the executor) are the evidence, but only where some trial used more than
    one core; a single-threaded model slower in the executor is not a thread story."""
    s, k = cell("serial"), cell("spark", p=2)
    def run(serial_cores):
        return run_of((s, trials_for(s, objective=0.04, threads=None, omp=None,
                                     eff=serial_cores)),
                      (k, trials_for(k, objective=0.12, threads=None, omp="1", eff=0.3)))
    assert rules.thread_mismatch(*run(0.54)) == []
    (f,) = rules.thread_mismatch(*run(1.9))
    assert "OMP_NUM_THREADS=1 (0.30 cores used)" in f.summary
    assert "OMP_NUM_THREADS=unset (1.90 cores used)" in f.summary
    assert "None thread" not in f.summary


# --- oversubscription ---------------------------------------------------------------

def test_oversubscription_fires_for_many_threads_on_few_cores():
    s = cell("serial")
    run, an = run_of((s, trials_for(s, threads=32, eff=0.5)), cores=2)
    found = rules.oversubscription(run, an)
    assert ids(found) == {"oversubscription:w:serial:njNone:native"}
    assert found[0].evidence["thread_demand"] == 32


def test_oversubscription_counts_trials_that_can_run_at_once():
    # 2 threads each: fine alone (p=1), oversubscribed two at a time (p=2 on 2 slots)
    k1 = cell("spark", p=1, q=1)
    k2 = cell("spark", p=2, q=2)
    run, an = run_of((k1, trials_for(k1, threads=2, eff=1.9)),
                     (k2, trials_for(k2, threads=2, eff=1.0, concurrency=2, start=T0 + 50)),
                     cores=2)
    found = rules.oversubscription(run, an)
    assert ids(found) == {"oversubscription:w:spark:p2:njNone:native"}
    assert found[0].evidence["trials_at_once"] == 2 and found[0].evidence["thread_demand"] == 4


def test_oversubscription_silent_for_fitting_threads():
    s = cell("serial")
    k = cell("spark", p=2, q=2)
    run, an = run_of((s, trials_for(s, threads=2, eff=1.9)),
                     (k, trials_for(k, threads=1, eff=1.0, concurrency=2)), cores=2)
    assert rules.oversubscription(run, an) == []


def _executor(eid, cores):
    return {"app_id": "app", "executor_id": eid, "host": f"node-{eid}", "cores": cores,
            "added_ts": T0 - 60, "removed_ts": None}


def test_spark_oversubscription_is_judged_per_executor_from_the_event_log():
    # a cluster of 2 executors x 4 cores (8 slots): two 4-thread trials may share one
    # executor's 4 cores, though the cluster's 8 cores in total would hold them
    k = cell("spark", p=2, q=2, slots=8)
    spark = {"master": "spark://10.0.0.1:7077", "default_parallelism": 8, "task_slots": 8,
             "executors": 2, "task_cpus": 1}
    run, an = run_of((k, trials_for(k, threads=4, eff=2.0, concurrency=2)), cores=64,
                     spark=spark, executors=[_executor("0", 4), _executor("1", 4)])
    (found,) = rules.oversubscription(run, an)
    ev = found.evidence
    assert (ev["cores"], ev["trials_at_once"], ev["thread_demand"]) == (4, 2, 8)
    assert ev["cores_from"] == "event log"


def test_spark_oversubscription_never_uses_the_driver_cores_for_executors():
    # 2-core driver, executors of 4 cores (spark.executor.cores): 2 threads x 2 trials fit
    k = cell("spark", p=2, q=2, slots=4)
    spark = {"master": "spark://10.0.0.1:7077", "executor_cores": "4", "task_slots": 4,
             "executors": 1}
    run, an = run_of((k, trials_for(k, threads=2, eff=2.0, concurrency=2)), cores=2,
                     spark=spark)
    assert rules.oversubscription(run, an) == []


# --- parallelism-above-slots --------------------------------------------------------

def test_parallelism_above_slots():
    over = cell("spark", p=4, q=4, slots=2)
    fits = cell("spark", workload="v", p=2, q=2, slots=2)
    run, an = run_of((over, trials_for(over, concurrency=2)),
                     (fits, trials_for(fits, concurrency=2)))
    found = rules.parallelism_above_slots(run, an)
    assert ids(found) == {"parallelism-above-slots:w"}
    assert found[0].evidence == {"parallelism": 4, "task_slots": 2, "max_concurrency_seen": 2}


# --- fresh-worker-per-trial ---------------------------------------------------------

def test_fresh_worker_fires_on_distinct_pids_only():
    k = cell("spark", p=2)
    fresh = run_of((k, trials_for(k, pids=[10, 11, 12, 13])))
    reused = run_of((k, trials_for(k, pids=[10, 11, 10, 11])))
    assert ids(rules.fresh_worker_per_trial(*fresh)) == {"fresh-worker-per-trial"}
    assert rules.fresh_worker_per_trial(*reused) == []


# --- large-closure ------------------------------------------------------------------

def test_large_closure_threshold():
    big = cell("spark", closure=2_500_000)
    small = cell("spark", workload="v", closure=20_000)
    run, an = run_of((big, trials_for(big)), (small, trials_for(small)))
    found = rules.large_closure(run, an)
    assert ids(found) == {"large-closure:w"}
    assert found[0].evidence["closure_bytes"] == 2_500_000
    assert THRESHOLDS["closure_bytes"][0] == 1_000_000


# --- search-quality -----------------------------------------------------------------

def _quality_run(spark_losses, repeats, evals=24, grid=None):
    """Serial and spark losses over `evals` evaluations: the listed losses come last (earlier
    evaluations score 2.0), so the best loss at the end is the listed one."""
    pad = [2.0] * (evals - 4)
    pairs = []
    for r in range(repeats):
        s = cell("serial", repeat=r, evals=evals)
        k = cell("spark", p=2, q=2, repeat=r, evals=evals)
        pairs.append((s, trials_for(s, losses=pad + [1.0, 0.8, 0.5, 0.4], start=T0 + 100 * r)))
        pairs.append((k, trials_for(k, losses=pad + spark_losses, concurrency=2,
                                    start=T0 + 100 * r + 50)))
    return run_of(*pairs, grid=grid or {"algo": "tpe", "points": "search"})


def test_search_quality_fires_only_with_repeats_and_a_real_gap():
    assert ids(rules.search_quality(*_quality_run([1.0, 0.9, 0.6, 0.5], repeats=2))) == {
        "search-quality:w:njNone"}
    assert rules.search_quality(*_quality_run([1.0, 0.9, 0.6, 0.5], repeats=1)) == []
    assert rules.search_quality(*_quality_run([1.0, 0.9, 0.6, 0.41], repeats=2)) == []


def test_search_quality_is_not_judged_where_there_was_no_search_to_compare():
    gap = [1.0, 0.9, 0.6, 0.5]  # 25% worse at the end: fires when judged (test above)
    # within TPE's 20 random start-up suggestions every mode searched at random
    assert rules.search_quality(*_quality_run(gap, repeats=2, evals=20)) == []
    assert rules.search_quality(*_quality_run(gap, repeats=2, evals=21)) != []
    # shared points: every mode evaluated the same points; random search does not adapt
    assert rules.search_quality(*_quality_run(gap, 2, grid={"points": "shared"})) == []
    assert rules.search_quality(*_quality_run(gap, 2, grid={"algo": "rand"})) == []
    text = "\n".join(sections.quality_detail(_quality_run(gap, 2, evals=8)[1],
                                                 Manifest.read({"grid": {"algo": "tpe"}})))
    assert "Not judged at 8 evaluations: 8 evaluations are all within TPE's 20 random" in text


def test_engine_orders_by_severity_and_ids_are_stable():
    s = cell("serial")
    k = cell("spark", p=4, q=1, slots=2)
    pairs = ((s, trials_for(s, objective=0.3)),
             (k, trials_for(k, objective=0.3, delay=1.0, startup=1.2, pids=[1, 2, 3, 4])))
    first = diagnose_data(*run_of(*pairs)[:1])
    again = diagnose_data(*run_of(*pairs)[:1])
    assert [f.id for f in first] == [f.id for f in again]
    sev = [f.severity for f in first]
    assert sev == sorted(sev, key=("high", "medium", "low").index)
    assert {"fixed-overhead:w", "parallelism-above-slots:w", "fresh-worker-per-trial"} <= ids(first)


# --- uneven-placement ---------------------------------------------------------------

def _placed_run(executors_per_trial, evals=8, p=2, executors=None, spark=None):
    """A spark cell whose trials ran on the given executors; `executors` adds event-log
    executor records (ids alive for the whole cell), `spark` the manifest's session facts."""
    k = cell("spark", p=p, q=p, evals=evals, slots=max(p, 2))
    ts = trials_for(k, concurrency=min(p, evals), pids=list(range(evals)))
    tasks = [{"run_id": "r", "cell_id": k["cell_id"], "tid": t["tid"], "executor_id": e,
              "host": "127.0.0.1", "task_attempt_id": t["tid"], "job_group": k["cell_id"]}
             for t, e in zip(ts, executors_per_trial)]
    for t in ts:
        t["spark_task_attempt_id"] = t["tid"]
    manifest = {"run_id": "r", "environment": {"logical_cores": 2}, "spark": spark or {}}
    trials, cells, frame_tasks = build_frames(manifest, ts, [cell_record(k, ts)], tasks)
    alive = pd.DataFrame([{"app_id": "app", "executor_id": e, "host": "h", "cores": 1,
                           "added_ts": T0 - 60, "removed_ts": None} for e in executors or []])
    run = RunData(path=None, manifest=manifest, trials=trials, cells=cells,
                  spark_tasks=frame_tasks, spark_executors=alive)
    return run, analyze(run)


def test_uneven_placement_fires_on_a_pile_up_only():
    piled = _placed_run(["0", "0", "0", "0", "0", "0", "1", "1"])
    even = _placed_run(["0", "1"] * 4)
    few = _placed_run(["0", "0", "0", "1"], evals=4)
    found = rules.uneven_placement(*piled)
    assert [f.rule for f in found] == ["uneven-placement"]
    assert found[0].evidence["unevenness"] == pytest.approx(1.5)
    assert rules.uneven_placement(*even) == []
    assert rules.uneven_placement(*few) == []


def test_uneven_placement_fires_when_every_trial_ran_on_one_of_several_executors():
    # event log: two executors alive; the second ran nothing
    found = rules.uneven_placement(*_placed_run(["0"] * 8, executors=["0", "1"]))
    assert [f.rule for f in found] == ["uneven-placement"]
    assert found[0].evidence["executors"] == 2 and found[0].evidence["executors_used"] == 1
    assert found[0].evidence["unevenness"] == pytest.approx(2.0)
    # no event log: the session's executor count says the same
    found = rules.uneven_placement(*_placed_run(["0"] * 8, spark={"executors": 2,
                                                                   "master": "spark://x"}))
    assert [f.rule for f in found] == ["uneven-placement"]


def test_uneven_placement_fires_for_30_of_47_executors_used_while_trials_queued():
    """The shape of a report against hyperopt 0.2.7 / Spark 3.3: 47 executors, trials queued
    two deep on 30 of them while 17 ran nothing."""
    executors = [str(i) for i in range(47)]
    placed = [str(i % 30) for i in range(60)]
    found = rules.uneven_placement(*_placed_run(placed, evals=60, p=47, executors=executors))
    assert [f.rule for f in found] == ["uneven-placement"]
    ev = found[0].evidence
    assert (ev["executors"], ev["executors_used"]) == (47, 30)
    assert ev["unevenness"] == pytest.approx(2 * 47 / 60, abs=0.01)


def test_uneven_placement_silent_for_the_most_even_spread_over_idle_executors():
    # 60 trials on 47 executors as evenly as possible (13 ran two, 34 ran one): max/mean is
    # 1.57 here too, but no trial waited on a busy executor while another was free
    executors = [str(i) for i in range(47)]
    placed = [str(i % 47) for i in range(60)]
    assert rules.uneven_placement(*_placed_run(placed, evals=60, p=47,
                                               executors=executors)) == []
    # fewer trials than executors, one each: nothing piled up
    assert rules.uneven_placement(*_placed_run([str(i) for i in range(8)], evals=8, p=8,
                                               executors=executors)) == []


# --- driver-contention --------------------------------------------------------------

def test_driver_contention_fires_for_a_busy_driver_only():
    native, busy = cell("serial"), cell("serial", condition="busy")
    k = cell("spark", p=2, q=2)
    quiet_ts = trials_for(native, objective=0.2)
    busy_ts = trials_for(busy, objective=2.0, start=T0 + 50)
    spark_ts = trials_for(k, objective=0.2, concurrency=2, start=T0 + 100)
    for t in quiet_ts:
        t["other_busy_cores"] = 0.05
    for t in busy_ts:
        t["other_busy_cores"] = 1.0
    for t in spark_ts:  # a sibling trial keeps the other core busy: not contention
        t["other_busy_cores"] = 1.0
    run, an = run_of((native, quiet_ts), (busy, busy_ts), (k, spark_ts))
    found = rules.driver_contention(run, an)
    assert ids(found) == {"driver-contention:busy"}
    ev = found[0].evidence
    assert ev["other_busy_cores"] == 1.0 and ev["emulated"] is True
    assert ev["objective_slowdown_vs_native_serial"] == {"w n_jobs=None": 10.0}


# --- what-ifs -----------------------------------------------------------------------

def test_what_ifs_pair_cells_that_differ_only_in_the_change():
    from bench.analysis.whatif import pinned_threads_effect, queue_length_effect

    q1, q2 = cell("spark", p=2, q=1), cell("spark", p=2, q=2)
    s0, k0 = cell("serial", n_jobs=0), cell("spark", p=1, n_jobs=0)
    s1, k1 = cell("serial", n_jobs=1), cell("spark", p=1, n_jobs=1)
    run, an = run_of(
        (q1, trials_for(q1, objective=1.0, delay=1.0)),                          # wall 8 s
        (q2, trials_for(q2, objective=1.0, delay=1.0, concurrency=2, start=T0 + 50)),  # 4 s
        (s0, trials_for(s0, objective=4.0, start=T0 + 100)),
        (k0, trials_for(k0, objective=0.25, start=T0 + 200)),
        (s1, trials_for(s1, objective=0.3, start=T0 + 300)),
        (k1, trials_for(k1, objective=0.3, start=T0 + 400)))
    q = queue_length_effect(an.walls)
    assert len(q) == 1 and q[0]["change"] == "max_queue_len 1 -> 2"
    assert (q[0]["before_s"], q[0]["after_s"], q[0]["effect"]) == (8.0, 4.0, 2.0)
    t = pinned_threads_effect(run)
    assert [r["change"] for r in t] == ["n_jobs 0 -> 1 (both modes)"]
    assert (t[0]["gap_before"], t[0]["gap_after"]) == (16.0, 1.0)
