"""Each diagnosis rule on hand-made records: where it must fire and where it must not."""
from __future__ import annotations

import pytest

from bench.analysis import RunData, analyze, build_frames
from bench.diagnosis import THRESHOLDS, diagnose_data
from bench.diagnosis import rules
from bench.diagnosis.measures import break_even_objective_s, slot_ready_times

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
                    "effective_cores": eff, "peak_threads": threads + 1,
                    "model_threads_effective": threads, "omp_num_threads": omp,
                    "pid": pids[tid] if pids else 7, "setup_s": 0.0,
                    "wait_dispatch_s": delay, "dispatch_to_start_s": startup, "return_s": ret})
    return out


def cell_record(c, trials):
    return {**c, "run_id": "r", "order": 0, "start_ts": trials[0]["suggest_ts"],
            "end_ts": trials[-1]["refresh_ts"], "wall_s": trials[-1]["refresh_ts"] - trials[0]["suggest_ts"],
            "trials_ok": len(trials), "trials_failed": 0,
            "best_loss": min(t["loss"] for t in trials), "error": None}


def run_of(*pairs, cores=2, **manifest_extra):
    """Records of (cell, trials) pairs as an analysed run; manifest_extra adds or replaces
    top-level manifest keys (e.g. grid clusters, spark facts)."""
    trial_recs, cell_recs = [], []
    for c, ts in pairs:
        trial_recs += ts
        cell_recs.append(cell_record(c, ts))
    manifest = {"run_id": "r", "cells": [c for c, _ in pairs],
                "environment": {"logical_cores": cores, "usable_cores": cores},
                "spark": {"task_slots": 2}, **manifest_extra}
    trials, cells, tasks = build_frames(manifest, trial_recs, cell_recs, [])
    run = RunData(path=None, manifest=manifest, trials=trials, cells=cells, spark_tasks=tasks)
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
    assert ids(found) == {"thread-mismatch:w:njNone:busy"}
    f = found[0]
    assert f.evidence["serial"]["threads"] == 32 and f.evidence["spark_p1"]["threads"] == 1
    assert f.evidence["objective_ratio_serial_over_spark"] == pytest.approx(15.0)
    assert f.evidence["emulated"] is True and "emulated" in f.summary


def test_thread_mismatch_silent_when_threads_equal_or_time_equal():
    s, k = cell("serial"), cell("spark", p=1)
    # equal model threads: a different OMP_NUM_THREADS alone (busy driver) is not the cause
    same_threads = run_of((s, trials_for(s, objective=3.0, threads=1, omp="32")),
                          (k, trials_for(k, objective=0.2, threads=1, omp="1")))
    same_time = run_of((s, trials_for(s, objective=0.2, threads=2)),
                       (k, trials_for(k, objective=0.21, threads=1, omp="1")))
    assert rules.thread_mismatch(*same_threads) == []
    assert rules.thread_mismatch(*same_time) == []


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

def _quality_run(spark_losses, repeats):
    pairs = []
    for r in range(repeats):
        s, k = cell("serial", repeat=r), cell("spark", p=2, q=2, repeat=r)
        pairs.append((s, trials_for(s, losses=[1.0, 0.8, 0.5, 0.4], start=T0 + 100 * r)))
        pairs.append((k, trials_for(k, losses=spark_losses, concurrency=2, start=T0 + 100 * r + 50)))
    return run_of(*pairs)


def test_search_quality_fires_only_with_repeats_and_a_real_gap():
    assert ids(rules.search_quality(*_quality_run([1.0, 0.9, 0.6, 0.5], repeats=2))) == {
        "search-quality:w:njNone"}
    assert rules.search_quality(*_quality_run([1.0, 0.9, 0.6, 0.5], repeats=1)) == []
    assert rules.search_quality(*_quality_run([1.0, 0.9, 0.6, 0.41], repeats=2)) == []


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

def _placed_run(executors_per_trial, evals=8):
    k = cell("spark", p=2, q=2, evals=evals)
    ts = trials_for(k, concurrency=2, pids=list(range(evals)))
    tasks = [{"run_id": "r", "cell_id": k["cell_id"], "tid": t["tid"], "executor_id": e,
              "host": "127.0.0.1", "task_attempt_id": t["tid"], "job_group": k["cell_id"]}
             for t, e in zip(ts, executors_per_trial)]
    for t in ts:
        t["spark_task_attempt_id"] = t["tid"]
    manifest = {"run_id": "r", "environment": {"logical_cores": 2}}
    trials, cells, frame_tasks = build_frames(manifest, ts, [cell_record(k, ts)], tasks)
    run = RunData(path=None, manifest=manifest, trials=trials, cells=cells, spark_tasks=frame_tasks)
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
