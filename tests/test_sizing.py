"""Cluster sizing table on hand-made cells (pure)."""
from __future__ import annotations

import pytest

from bench.analysis import build_frames
from bench.analysis.sizing import cluster_sizing
from bench.shapes import parse_label


def cell(cluster, wall, ok=4, mode="spark", repeat=0, slots=2):
    return {"run_id": "r", "cell_id": f"w.{mode}.{cluster}.r{repeat}", "mode": mode,
            "workload": "w", "parallelism": 2 if mode == "spark" else None,
            "max_queue_len": 2 if mode == "spark" else 1, "n_jobs": None, "max_evals": 4,
            "repeat": repeat, "condition": "native", "cluster": cluster if mode == "spark" else None,
            "start_ts": 0.0, "end_ts": wall, "wall_s": wall, "trials_ok": ok,
            "trials_failed": 0, "task_slots": slots, "error": None}


def test_parse_label():
    assert parse_label("2x1") == (2, 1, 1)
    assert parse_label("1x2/tc2") == (1, 2, 2)
    assert parse_label("") is None and parse_label("local") is None


def test_core_seconds_per_trial_known_numbers():
    cells = [cell("2x1", 8.0), cell("2x1", 12.0, repeat=1), cell("1x2/tc2", 10.0, ok=5, slots=1),
             cell(None, 1.0, mode="serial")]
    _, frame, _ = build_frames({}, [], cells, [])
    sz = cluster_sizing(frame).set_index("cluster_label")
    assert set(sz.index) == {"2x1", "1x2/tc2"}
    # 2x1: walls 8 and 12 s on 2 cores, 4 trials each: 4 and 6 core-s per trial, median 5
    assert sz.loc["2x1", "core_s_per_trial"] == pytest.approx(5.0)
    assert sz.loc["2x1", "wall_median_s"] == pytest.approx(10.0)
    assert sz.loc["2x1", "cells"] == 2 and sz.loc["2x1", "total_cores"] == 2
    # 1x2 with task cpus 2: 10 s x 2 cores / 5 trials
    assert sz.loc["1x2/tc2", "core_s_per_trial"] == pytest.approx(4.0)
    assert sz.loc["1x2/tc2", "task_cpus"] == 2 and sz.loc["1x2/tc2", "task_slots"] == 1


def test_each_configuration_is_its_own_row_per_shape():
    """Two thread environments on one shape are two configurations, not one median; an
    incomplete cell (fewer ok trials than asked) is no measure of the shape's cost."""
    passive = {**cell("2x1", 20.0, repeat=1), "cell_id": "w.spark.2x1.passive",
               "thread_env_set": {"OMP_WAIT_POLICY": "passive"}}
    cut = {**cell("2x1", 1.0, ok=2, repeat=2), "cell_id": "w.spark.2x1.cut"}
    _, frame, _ = build_frames({}, [], [cell("2x1", 8.0), passive, cut], [])
    sz = cluster_sizing(frame)
    assert len(sz) == 2 and sorted(sz["wall_median_s"]) == [8.0, 20.0]
    assert sorted(zip(sz["env_label"], sz["wall_median_s"], sz["cells"])) == [
        ("", 8.0, 1), ("OMP_WAIT_POLICY=passive", 20.0, 1)]
    assert sorted(sz["configuration"]) == ["spark p=2 {OMP_WAIT_POLICY=passive}",
                                           "spark p=2 {env as is}"]
