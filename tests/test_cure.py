"""The cure's pure parts on hand-made records: ideal, wall ÷ ideal, what each variant removes,
and the diagnosis' view of installed hyperopt with the tuned variant's measured gain."""
from __future__ import annotations

import pytest

from bench.analysis.cure import cell_ideals, variant_savings, wall_over_ideal
from bench.analysis.frames import RunData, build_frames
from bench.diagnosis.cure import advice, installed_only

T0 = 1_800_000_000.0


def _cell(mode, variant, wall, wait, start_up, ret, p=2, q=1):
    cid = f"sleep.{mode}.{variant or 'x'}"
    cell = {"cell_id": cid, "mode": mode, "workload": "sleep", "parallelism": p if mode != "serial" else None,
            "max_queue_len": q, "n_jobs": None, "max_evals": 2, "repeat": 0, "condition": "native",
            "variant": variant, "start_ts": T0, "end_ts": T0 + wall, "wall_s": wall,
            "task_slots": 2 if mode != "serial" else None, "error": None}
    trials = []
    for tid in range(2):
        book = T0 + wait
        start = book + start_up
        end = start + 1.0
        trials.append({"cell_id": cid, "mode": mode, "workload": "sleep",
                       "parallelism": cell["parallelism"], "max_queue_len": q, "n_jobs": None,
                       "max_evals": 2, "repeat": 0, "variant": variant, "tid": tid,
                       "status": "ok", "loss": 0.1, "suggest_ts": T0, "book_ts": book,
                       "start_ts": start, "end_ts": end, "refresh_ts": end + ret,
                       "objective_s": 1.0, "wait_dispatch_s": wait,
                       "dispatch_to_start_s": start_up, "return_s": ret, "setup_s": 0.0})
    return cell, trials


def _run():
    parts = [_cell("serial", None, 2.1, 0.0, 0.0, 0.0),
             _cell("spark", "stock", 5.0, 1.0, 1.5, 0.1),
             _cell("spark", "reuse", 4.0, 1.0, 0.1, 0.1),
             _cell("spark", "tuned", 1.5, 0.05, 0.1, 0.05, q=2),
             _cell("pool", None, 1.1, 0.0, 0.0, 0.0)]
    cells = [c for c, _ in parts]
    trials = [t for _, ts in parts for t in ts]
    tr, ce, tasks = build_frames({}, trials, cells, [])
    return RunData(path=None, manifest={}, trials=tr, cells=ce, spark_tasks=tasks)


def test_ideal_is_objective_time_over_usable_slots():
    run = _run()
    per = cell_ideals(run.trials, run.cells).set_index("cell_id")
    assert per.loc["sleep.serial.x", "ideal_s"] == pytest.approx(2.0)
    assert per.loc["sleep.spark.stock", "ideal_s"] == pytest.approx(1.0)
    assert per.loc["sleep.spark.stock", "wall_over_ideal"] == pytest.approx(5.0)
    assert per.loc["sleep.pool.x", "wall_over_ideal"] == pytest.approx(1.1)
    assert per.loc["sleep.spark.stock", "tail_s"] == pytest.approx(5.0 - 3.5)
    lines = wall_over_ideal(per.reset_index())
    assert set(lines["line"]) == {"serial", "stock", "reuse", "tuned", "pool"}


def test_savings_per_variant_against_stock_and_share_of_tuned():
    run = _run()
    sav = variant_savings(cell_ideals(run.trials, run.cells)).set_index("variant")
    assert list(sav.index) == ["stock", "reuse", "tuned"]
    assert sav.loc["stock", "fixed_s"] == pytest.approx(1.0 + 1.5 + 0.1)
    assert sav.loc["reuse", "fixed_removed_s"] == pytest.approx(1.4)
    assert sav.loc["tuned", "share_of_saving"] == pytest.approx(1.0)
    assert sav.loc["reuse", "share_of_saving"] == pytest.approx(1.0 / 3.5)


def test_diagnosis_sees_installed_hyperopt_and_quotes_tuned():
    run = _run()
    base = installed_only(run)
    assert set(base.cells["variant_label"]) == {"", "stock"}
    assert set(base.cells["mode"]) == {"serial", "spark"}
    text = advice(run, "sleep")
    assert "max_queue_len=2" in text and "measured 1.50 s against stock 5.0 s" in text
    assert "modifies hyperopt" in text
