"""Analysis functions on hand-made records whose answers are known by construction."""
from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

from bench.analysis import (analyze, best_loss_curves, bootstrap_median, bootstrap_median_ratio,
                            build_frames, concurrency_stats, concurrency_steps, group_walls,
                            join_spark_tasks, karp_flatt, latency_split, load_run,
                            placement_table, placement_unevenness, speedups, unevenness)
from bench.analysis.clocks import clock_offsets
from bench.analysis.frames import n_jobs_label, setting_label
from bench.errors import BenchError
from tests import fixture_records as fr


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    folder = fr.write_known_run(tmp_path_factory.mktemp("known"))
    run = load_run(folder.path)
    return run, analyze(run)


def row(df: pd.DataFrame, **where) -> pd.Series:
    mask = np.ones(len(df), dtype=bool)
    for col, value in where.items():
        mask &= (df[col] == value).to_numpy()
    assert mask.sum() == 1, f"expected one row for {where}, got {mask.sum()}"
    return df[mask].iloc[0]


# --- statistics -----------------------------------------------------------------------------
def test_bootstrap_ci_contains_median_and_is_deterministic():
    values = [3.1, 2.9, 3.4, 3.0, 5.0, 2.8, 3.2]
    first = bootstrap_median(values)
    again = bootstrap_median(values)
    assert first == again
    assert first.value == 3.1
    assert first.low <= first.value <= first.high
    assert first.low < first.high
    assert first.n == 7


def test_bootstrap_single_value_and_empty():
    one = bootstrap_median([4.0, float("nan")])
    assert (one.value, one.low, one.high, one.n) == (4.0, 4.0, 4.0, 1)
    assert math.isnan(bootstrap_median([]).value)


def test_bootstrap_ratio_of_medians_is_exact():
    est = bootstrap_median_ratio(fr.SERIAL_WALLS, fr.SPARK2_WALLS)
    assert est.value == pytest.approx(2.0)
    assert est.low <= 2.0 <= est.high
    assert est == bootstrap_median_ratio(fr.SERIAL_WALLS, fr.SPARK2_WALLS)


@pytest.mark.parametrize("speedup,p,expected", [
    (2.0, 2, 0.0),            # perfect scaling
    (1.6, 4, 0.5),            # (1/1.6 - 1/4) / (1 - 1/4) = 0.375 / 0.75
    (1.0, 4, 1.0),            # no speedup at all: everything serial
    (4.0, 8, 1.0 / 7.0),      # (0.25 - 0.125) / 0.875
])
def test_karp_flatt_known_numbers(speedup, p, expected):
    assert karp_flatt(speedup, p) == pytest.approx(expected)


def test_karp_flatt_undefined_for_one_processor():
    assert math.isnan(karp_flatt(1.5, 1))
    assert math.isnan(karp_flatt(float("nan"), 4))


def test_unevenness():
    assert unevenness([3, 1]) == pytest.approx(1.5)
    assert unevenness([2, 2, 2]) == 1.0


# --- frames ---------------------------------------------------------------------------------
def test_n_jobs_labels_keep_none_zero_and_minus_one_apart():
    assert [n_jobs_label(v) for v in (None, float("nan"), 0, -1, 2.0, "auto")] == \
        ["None", "None", "0", "-1", "2", "auto"]


def test_labels_show_only_settings_that_vary():
    assert setting_label("spark", "native", 4, 4, "1", 50) == "spark p=4"
    assert setting_label("spark", "native", 4, 4, "1", 50, show={"max_queue_len"}) == \
        "spark p=4 q=4"
    assert setting_label("serial", "busy", None, 1, "None", 50, show={"n_jobs_label"}) == \
        "serial [busy] n_jobs=None"
    assert setting_label("spark", "native", 2, 1, "1", 50, "2x1", show={"cluster_label"}) == \
        "spark p=2 @2x1"


def test_cluster_shapes_are_separate_configurations():
    base = {"mode": "spark", "workload": "w", "parallelism": 2, "max_queue_len": 1,
            "n_jobs": 1, "max_evals": 4, "wall_s": 5.0}
    cells = [{**base, "cell_id": "a", "repeat": 0, "cluster": None, "task_slots": 2},
             {**base, "cell_id": "b", "repeat": 0, "cluster": "1x1", "task_slots": 1,
              "wall_s": 9.0},
             {"cell_id": "s", "mode": "serial", "workload": "w", "n_jobs": 1, "max_evals": 4,
              "max_queue_len": 1, "repeat": 0, "wall_s": 10.0}]
    _, cell_frame, _ = build_frames({}, [], cells, [])
    walls = group_walls(cell_frame)
    assert walls["setting"].tolist() == ["serial", "spark p=2 @local", "spark p=2 @1x1"]
    out = speedups(cell_frame).set_index("setting")
    assert out.loc["spark p=2 @1x1", "speedup"] == pytest.approx(10.0 / 9.0)
    assert out.loc["spark p=2 @1x1", "ideal"] == 1.0
    assert out.loc["spark p=2 @local", "speedup"] == pytest.approx(2.0)


def test_frames_derive_latency_totals(known):
    run, _ = known
    spark = run.trials[run.trials["mode"] == "spark"]
    assert spark["total_s"].tolist() == pytest.approx([sum(fr.SPARK_PARTS)] * len(spark))
    assert spark["overhead_s"].tolist() == pytest.approx([1.0] * len(spark))
    assert spark["start_rel_s"].min() == pytest.approx(0.75)


def test_load_run_rejects_a_folder_without_manifest(tmp_path):
    with pytest.raises(BenchError, match="manifest.json: missing"):
        load_run(tmp_path)
    with pytest.raises(BenchError, match="no such results folder"):
        load_run(tmp_path / "nope")


def test_load_run_names_a_corrupt_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(BenchError, match="manifest.json: not valid JSON"):
        load_run(tmp_path)


# --- wall time and speedup ------------------------------------------------------------------
def test_group_walls_median_and_ci(known):
    _, a = known
    serial = row(a.walls, setting="serial")
    assert (serial["wall_median_s"], serial["wall_low_s"], serial["wall_high_s"]) == \
        pytest.approx((8.0, 7.9, 8.1))
    assert serial["cells"] == 3
    assert row(a.walls, setting="spark p=4")["wall_median_s"] == pytest.approx(3.0)


def test_speedup_exactly_two(known):
    _, a = known
    s = row(a.speedups, setting="spark p=2", serial_condition="native")
    assert s["speedup"] == pytest.approx(2.0)
    assert s["speedup_low"] <= 2.0 <= s["speedup_high"]
    assert s["efficiency"] == pytest.approx(1.0)
    assert s["ideal"] == 2.0
    assert s["karp_flatt"] == pytest.approx(0.0)
    assert not s["serial_emulated"]


def test_speedup_ideal_capped_by_task_slots_and_karp_flatt(known):
    _, a = known
    s = row(a.speedups, setting="spark p=4", serial_condition="native")
    assert s["speedup"] == pytest.approx(8.0 / 3.0)
    assert s["ideal"] == 2.0  # 4 requested, 2 slots
    # trials beyond the slots queue: the processor count is the ideal, not the parallelism
    assert s["efficiency"] == pytest.approx(8.0 / 3.0 / 2)
    assert s["karp_flatt"] == pytest.approx((3.0 / 8.0 - 0.5) / 0.5)


def test_speedup_per_serial_condition_marks_emulation(known):
    _, a = known
    s = row(a.speedups, setting="spark p=2", serial_condition="busy_driver")
    assert s["speedup"] == pytest.approx(4.0)
    assert s["serial_emulated"]
    assert len(a.speedups) == 4  # two spark settings x two serial conditions


def test_speedup_matches_only_equal_workload_njobs_and_evals():
    cells = [
        {"cell_id": "a", "mode": "serial", "workload": "w", "n_jobs": 1, "max_evals": 4,
         "max_queue_len": 1, "repeat": 0, "wall_s": 10.0},
        {"cell_id": "b", "mode": "spark", "workload": "w", "n_jobs": 2, "max_evals": 4,
         "parallelism": 2, "max_queue_len": 1, "repeat": 0, "wall_s": 5.0},
        {"cell_id": "c", "mode": "spark", "workload": "w", "n_jobs": 1, "max_evals": 8,
         "parallelism": 2, "max_queue_len": 1, "repeat": 0, "wall_s": 5.0},
    ]
    _, cell_frame, _ = build_frames({}, [], cells, [])
    assert speedups(cell_frame).empty
    cells[1]["n_jobs"] = 1
    _, cell_frame, _ = build_frames({}, [], cells, [])
    out = speedups(cell_frame, manifest_task_slots=8)
    assert out["speedup"].tolist() == [2.0]
    assert out["ideal"].tolist() == [2.0]


def test_failed_cells_are_left_out_of_walls():
    cells = [{"cell_id": f"s{i}", "mode": "serial", "workload": "w", "n_jobs": 1,
              "max_evals": 4, "max_queue_len": 1, "repeat": i, "wall_s": w,
              "error": "ValueError: boom" if i == 2 else None}
             for i, w in enumerate([2.0, 4.0, 100.0])]
    _, cell_frame, _ = build_frames({}, [], cells, [])
    walls = group_walls(cell_frame)
    assert walls["wall_median_s"].tolist() == [3.0]
    assert walls["cells_failed"].tolist() == [1]


# --- latency --------------------------------------------------------------------------------
def test_latency_shares_known(known):
    _, a = known
    spark = row(a.latency, setting="spark p=2")
    assert [spark["share_" + p] for p in ("wait_dispatch_s", "dispatch_to_start_s",
                                          "objective_s", "return_s")] == \
        pytest.approx([0.125, 0.25, 0.5, 0.125])
    assert spark["share_pre_objective"] == pytest.approx(0.375)
    assert spark["median_dispatch_to_start_s"] == pytest.approx(0.5)
    serial = row(a.latency, setting="serial")
    assert serial["share_objective_s"] == pytest.approx(0.95)
    assert serial["median_overhead_s"] == pytest.approx(0.1)


def test_latency_shares_skip_incomplete_trials():
    base = {"cell_id": "c", "mode": "spark", "workload": "w", "parallelism": 2,
            "max_queue_len": 1, "n_jobs": 1, "max_evals": 2, "repeat": 0}
    trials = [{**base, "tid": 0, "wait_dispatch_s": 1.0, "dispatch_to_start_s": 1.0,
               "objective_s": 2.0, "return_s": 0.0},
              {**base, "tid": 1, "wait_dispatch_s": None, "dispatch_to_start_s": 9.0,
               "objective_s": 9.0, "return_s": 9.0}]
    trial_frame, _, _ = build_frames({}, trials, [], [])
    out = latency_split(trial_frame)
    assert out["share_objective_s"].tolist() == [0.5]
    assert out["trials"].tolist() == [2] and out["trials_complete"].tolist() == [1]


def test_spark_side_split_joined_by_trial(known):
    _, a = known
    s = row(a.spark_latency, setting="spark p=2")
    assert s["trials_joined"] == 12
    assert s["median_submit_s"] == pytest.approx(fr.SPARK_TASK["submit"])
    assert s["median_schedule_s"] == pytest.approx(fr.SPARK_TASK["schedule"])
    assert s["median_python_start_s"] == pytest.approx(fr.SPARK_TASK["python_start"])
    assert s["median_launch_to_start_s"] == pytest.approx(
        fr.SPARK_PARTS[1] - fr.SPARK_TASK["submit"] - fr.SPARK_TASK["schedule"])


def test_spark_tasks_join_by_attempt_id_when_unnamed(known):
    run, _ = known
    tasks = run.spark_tasks.assign(cell_id=None, tid=None)
    joined = join_spark_tasks(run.trials, tasks)
    assert len(joined) == (run.trials["mode"] == "spark").sum()
    assert joined["python_start_s"].to_numpy() == pytest.approx(fr.SPARK_TASK["python_start"])


def _two_app_tasks():
    """A cell re-run after a resume: its job group and task attempt id 0 appear in two Spark
    applications; only the second run's trial was committed (book 500, refresh 503)."""
    base = {"mode": "spark", "workload": "w", "parallelism": 1, "max_queue_len": 1,
            "n_jobs": 1, "max_evals": 1, "repeat": 0, "cell_id": "c", "hostname": "h"}
    trial = {**base, "tid": 0, "pid": 10, "spark_task_attempt_id": 0, "book_ts": 500.0,
             "refresh_ts": 503.0, "start_ts": 501.0, "end_ts": 502.0, "objective_s": 1.0}
    task = {"task_attempt_id": 0, "job_group": "c", "host": "h", "run_s": 1.0}
    second = {**task, "app_id": "app-2", "executor_id": "2", "launch_ts": 500.1,
              "finish_ts": 502.1}
    first = {**task, "app_id": "app-1", "executor_id": "1", "launch_ts": 100.1,
             "finish_ts": 102.1}
    return trial, first, second


def test_same_attempt_ids_in_two_applications_never_cross_join():
    trial, first, second = _two_app_tasks()
    trial_frame, _, both = build_frames({}, [trial], [], [second, first])
    joined = join_spark_tasks(trial_frame, both)
    assert joined["executor_id"].tolist() == ["2"]
    _, _, only_other = build_frames({}, [trial], [], [first])  # its own task is missing
    assert len(join_spark_tasks(trial_frame, only_other)) == 0


_RUN_NUMBER = itertools.count()


def _known_records(tmp_path, skew=0.0, fastest_return=None):
    """The known run's records with every spark trial's probe clock (executor host) shifted
    by `skew` seconds, its split computed from the shifted stamps as collect.py does it;
    `fastest_return` sets one task's finish that long after its objective's end."""
    from bench.storage import read_jsonl
    folder = fr.write_known_run(tmp_path, run_id=f"skew{next(_RUN_NUMBER)}")
    trials = read_jsonl(folder.trials_path).records
    tasks = read_jsonl(folder.spark_tasks_path).records
    for t in trials:
        if t["mode"] == "spark":
            t.update(hostname="executor-host", start_ts=t["start_ts"] + skew,
                     end_ts=t["end_ts"] + skew)
            t.update(dispatch_to_start_s=t["start_ts"] - t["book_ts"],
                     return_s=t["refresh_ts"] - t["end_ts"])
    if fastest_return is not None:
        first = next(t for t in trials if t["mode"] == "spark")
        task = next(k for k in tasks if (k["cell_id"], k["tid"]) == (first["cell_id"], first["tid"]))
        task["finish_ts"] = first["end_ts"] - skew + fastest_return
    return trials, read_jsonl(folder.cells_path).records, tasks


@pytest.mark.parametrize("skew", [3.0, -3.0])
def test_executor_clock_skew_is_corrected_per_host(tmp_path, skew):
    parts = ["dispatch_to_start_s", "return_s", "start_ts", "end_ts"]
    truth, cells, tasks = _known_records(tmp_path, 0.0, fastest_return=0.0)
    want, _, _ = build_frames({}, truth, cells, tasks)
    shifted, _, _ = _known_records(tmp_path, skew, fastest_return=0.0)
    got, _, task_frame = build_frames({}, shifted, cells, tasks)
    spark = got["mode"] == "spark"
    # one task's finish was stamped in its objective's last millisecond: the offset is
    # exact to the stamps' resolution (the bound allows for the finish stamp's truncation)
    assert got.loc[spark, parts].to_numpy() == pytest.approx(
        want.loc[spark, parts].to_numpy(), abs=fr_resolution() + 1e-6)
    assert got.loc[~spark, parts].equals(want.loc[~spark, parts])  # driver trials untouched
    assert not got["clock_uncertain"].any()
    (host,) = clock_offsets(got, task_frame).to_dict("records")
    assert host["host"] == "executor-host" and host["skewed"]
    assert host["offset_s"] == pytest.approx(skew, abs=fr_resolution() + 1e-6)
    assert host["feasible_low_s"] <= host["offset_s"] <= host["feasible_high_s"]
    # same records, every task finishing 10 ms after its objective (the fixture's own): the
    # error is that fastest return, as documented, and no more
    shifted, _, tasks10 = _known_records(tmp_path, skew)
    truth10, _, _ = _known_records(tmp_path, 0.0)
    got, want = build_frames({}, shifted, cells, tasks10)[0], build_frames({}, truth10, cells, tasks10)[0]
    err = (got.loc[spark, parts] - want.loc[spark, parts]).abs().to_numpy().max()
    assert err <= 0.01 + fr_resolution() + 1e-6


def _written_by_the_collector(folder, skew: float) -> list[dict]:
    """The known run's trials as bench.collect writes them when every executor's clock is
    `skew` seconds ahead of the driver's (the probe stamps on the executor's clock)."""
    from bench.collect import trial_record
    from bench.model import PROBE_FIELDS
    from bench.storage import read_jsonl

    cells = {c["cell_id"]: c for c in folder.manifest()["cells"]}
    out = []
    for t in read_jsonl(folder.trials_path).records:
        probe = {k: t.get(k) for k in PROBE_FIELDS}
        if t["mode"] == "spark":
            probe.update(start_ts=t["start_ts"] + skew, end_ts=t["end_ts"] + skew,
                         hostname="executor-host")
        doc = {"tid": t["tid"], "state": 2, "misc": {"vals": {}},
               "result": {"status": "ok", "loss": t["loss"], "probe": probe},
               "book_time": t["book_ts"], "refresh_time": t["refresh_ts"]}
        out.append(trial_record(doc, cells[t["cell_id"]], folder.run_id, t["suggest_ts"],
                                t["params"]).to_dict())
    return out


def test_trial_records_agree_with_the_report_when_executor_clocks_are_ahead(tmp_path):
    """Executors 3 s ahead: the report finds the offset and splits each trial on the driver's
    clock; trials.jsonl must not keep a different split (4.27 s start-up, -2.94 s return
    before), so it stores the raw stamps only and every reader derives the split."""
    from bench.analysis import load_run
    from bench.storage import RunFolder, append_jsonl, read_jsonl

    parts = ["wait_dispatch_s", "dispatch_to_start_s", "return_s"]
    truth = fr.write_known_run(tmp_path / "a", run_id="clocks-truth")
    skewed = RunFolder(tmp_path / "b" / "clocks-ahead").create(
        {**truth.manifest(), "run_id": "clocks-ahead"})
    records = _written_by_the_collector(truth, 3.0)
    for cell in read_jsonl(truth.cells_path).records:
        skewed.append_cell({**cell, "run_id": "clocks-ahead"},
                           [r for r in records if r["cell_id"] == cell["cell_id"]])
    append_jsonl(skewed.spark_tasks_path, read_jsonl(truth.spark_tasks_path).records)
    want, got = load_run(truth.path).trials, load_run(skewed.path).trials
    spark = got["mode"] == "spark"
    assert spark.sum() == 24 and (got.loc[spark, "clock_offset_s"] - 3.0).abs().max() < 0.011
    # the report's split is the true one (to the fastest return, 10 ms in this fixture)
    assert (got[parts] - want[parts]).abs().to_numpy().max() <= 0.01 + fr_resolution() + 1e-6
    stored = read_jsonl(skewed.trials_path).records
    report = got.set_index(["cell_id", "tid"])
    for rec in stored:
        row = report.loc[(rec["cell_id"], rec["tid"])]
        for part in parts:  # whatever a record says about the split, the report agrees
            if rec.get(part) is not None:
                assert rec[part] == pytest.approx(row[part], abs=0.011), (part, rec["cell_id"])
    assert not any(part in rec for rec in stored for part in parts)  # schema 4: derived on read
    raw = {(r["cell_id"], r["tid"]): r["start_ts"] for r in stored}
    assert all(raw[(r["cell_id"], r["tid"])] == r["host_start_ts"]  # raw stamps kept
               for r in got.to_dict("records"))


def fr_resolution():
    from bench.model import STAMP_RESOLUTION_S
    return STAMP_RESOLUTION_S


def test_unskewed_clocks_are_left_alone_and_a_clock_step_is_flagged(tmp_path):
    trials, cells, tasks = _known_records(tmp_path, 0.0)
    frame, _, _ = build_frames({}, trials, cells, tasks)
    assert (frame["start_ts"] == frame["host_start_ts"]).all() and not frame["clock_uncertain"].any()
    # the executor clock steps back 2 s half way through the run: no one offset fits
    spark = [t for t in trials if t["mode"] == "spark"]
    for t in spark[len(spark) // 2:]:
        t.update(start_ts=t["start_ts"] - 2.0, end_ts=t["end_ts"] - 2.0)
    frame, _, _ = build_frames({}, trials, cells, tasks)
    assert 0 < frame["clock_uncertain"].sum() < len(spark)


# --- concurrency ----------------------------------------------------------------------------
def test_concurrency_of_overlapping_trials():
    steps = concurrency_steps([0.0, 1.0], [2.0, 3.0])
    stats = concurrency_stats(steps, 0.0, 4.0)
    assert stats["mean"] == pytest.approx(1.0)  # 4 objective-seconds over 4 s
    assert stats["max"] == 2
    assert concurrency_stats(steps)["mean"] == pytest.approx(4.0 / 3.0)


def test_back_to_back_trials_do_not_overlap():
    steps = concurrency_steps([0.0, 1.0, 2.0], [1.0, 2.0, 3.0])
    stats = concurrency_stats(steps)
    assert stats["max"] == 1
    assert stats["mean"] == pytest.approx(1.0)


def test_cell_concurrency_known(known):
    _, a = known
    assert row(a.concurrency, setting="spark p=2")["mean_concurrency"] == pytest.approx(1.0)
    assert row(a.concurrency, setting="spark p=2")["max_concurrency"] == 2
    p4 = row(a.concurrency, setting="spark p=4")
    assert p4["mean_concurrency"] == pytest.approx(4.0 / 3.0)
    assert (p4["max_concurrency"], p4["requested"]) == (4, 4)
    assert row(a.concurrency, setting="serial")["max_concurrency"] == 1


# --- threads, quality, placement -------------------------------------------------------------
def test_thread_usage(known):
    _, a = known
    serial, spark = row(a.threads, setting="serial"), row(a.threads, setting="spark p=2")
    assert (serial["effective_cores_median"], spark["effective_cores_median"]) == (2.0, 1.0)
    assert (serial["omp_num_threads"], spark["omp_num_threads"]) == ("unset", "1")
    assert (serial["model_threads_effective"], spark["model_threads_effective"]) == ("2", "1")
    assert serial["peak_threads_median"] == 9.0


def test_best_loss_after_k(known):
    _, a = known
    curve = a.loss_curves[a.loss_curves["setting"] == "serial"].sort_values("k")
    assert curve["k"].tolist() == [1, 2, 3, 4]
    assert curve["best_loss_median"].tolist() == pytest.approx([0.5, 0.3, 0.3, 0.2])
    spark = a.loss_curves[a.loss_curves["setting"] == "spark p=2"].sort_values("k")
    assert spark["best_loss_median"].tolist() == pytest.approx([0.6, 0.5, 0.35, 0.35])
    assert row(a.final_loss, setting="spark p=4")["final_best_loss_median"] == \
        pytest.approx(0.35)


def test_failed_trial_keeps_previous_best():
    base = {"cell_id": "c", "mode": "serial", "workload": "w", "max_queue_len": 1,
            "n_jobs": 1, "max_evals": 3, "repeat": 0}
    trials = [{**base, "tid": 2, "loss": 0.1}, {**base, "tid": 0, "loss": 0.5},
              {**base, "tid": 1, "loss": None, "status": "fail"}]
    trial_frame, _, _ = build_frames({}, trials, [], [])
    curve = best_loss_curves(trial_frame)
    assert curve["tid"].tolist() == [0, 1, 2]
    assert curve["best_loss"].tolist() == pytest.approx([0.5, 0.5, 0.1])


def test_placement_counts_workers_and_pids(known):
    _, a = known
    spark = row(a.placement, mode="spark")
    assert (spark["worker"], spark["trials"], spark["distinct_pids"]) == \
        ("executor driver", 24, 24)
    assert spark["trials_per_pid"] == 1.0
    serial = row(a.placement, mode="serial")
    assert (serial["worker"], serial["distinct_pids"]) == ("driver", 1)
    assert row(a.unevenness, setting="spark p=2")["unevenness_median"] == 1.0


def test_placement_unevenness_over_two_executors():
    base = {"mode": "spark", "workload": "w", "parallelism": 2, "max_queue_len": 1,
            "n_jobs": 1, "max_evals": 4, "repeat": 0, "cell_id": "c", "hostname": "h"}
    trials = [{**base, "tid": i, "pid": 10 + i, "spark_task_attempt_id": i} for i in range(4)]
    tasks = [{"task_attempt_id": i, "job_group": "c", "executor_id": "0" if i < 3 else "1",
              "host": "h"} for i in range(4)]
    trial_frame, _, task_frame = build_frames({}, trials, [], tasks)
    joined = join_spark_tasks(trial_frame, task_frame)
    table = placement_table(trial_frame, joined)
    assert table.set_index("worker")["trials"].to_dict() == {"executor 0": 3, "executor 1": 1}
    assert placement_unevenness(trial_frame, joined)["unevenness_median"].tolist() == [1.5]


# --- completeness ---------------------------------------------------------------------------
def test_completeness_of_an_interrupted_run(tmp_path):
    folder = fr.write_known_run(tmp_path, extra_planned=3)
    missing = fr.interrupt_run(folder, torn="cells")
    c = analyze(load_run(folder.path)).completeness
    assert (c.planned, c.finished) == (15, 12)
    assert [m["cell_id"] for m in c.missing_cells][0] == missing["cell_id"]
    assert len(c.missing_cells) == 3
    assert c.bad_lines == {"cells.jsonl": [13]}
    assert c.orphan_trials == missing["max_evals"]
    assert c.status == "interrupted" and c.partial


def test_completeness_with_torn_trial_line(tmp_path):
    folder = fr.write_known_run(tmp_path, extra_planned=1)
    fr.interrupt_run(folder, torn="trials")
    run = load_run(folder.path)
    c = analyze(run).completeness
    n_lines = len(folder.trials_path.read_text().splitlines())
    assert c.bad_lines == {"trials.jsonl": [n_lines]}
    assert c.orphan_trials == 2
    assert len(run.trials) == 48  # 12 finished cells x 4 trials


def test_finished_run_is_complete(known):
    _, a = known
    assert not a.completeness.partial
    assert a.completeness.missing_cells == []


def test_fixture_files_are_json_lines(known):
    run, _ = known
    for name in ("trials.jsonl", "cells.jsonl", "spark_tasks.jsonl"):
        lines = (run.path / name).read_text().splitlines()
        assert lines and all(isinstance(json.loads(line), dict) for line in lines)
