"""Out-of-sample validation across repeats, intervals that carry the repeat spread, and the
stability rule they judge by (bench.predict.holdout, intervals; bench.analysis.stability)."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from bench.analysis import load_run
from bench.cli import main
from bench.predict import calibrate, holdout
from bench.predict.grouping import ClassKey
from bench.predict.holdout import HoldoutRow, held_out, summary
from bench.predict.intervals import interval, repeat_ratios
from bench.predict.prepare import prepare
from tests.test_predict import write_loop_run


def test_the_interval_combines_every_draw_with_every_repeat_ratio():
    walls = [10.0] * 20
    assert interval(walls) == (10.0, 10.0)
    low, high = interval(walls, np.array([0.8, 1.0, 1.25]))
    assert low == pytest.approx(8.0) and high == pytest.approx(12.5)


def test_repeat_ratios_are_walls_over_their_configurations_median_per_class():
    cells = pd.DataFrame({
        "mode": ["spark"] * 5 + ["serial"],
        "workload": ["lgbm"] * 3 + ["rf"] * 2 + ["lgbm"],
        "n_jobs_label": ["2"] * 3 + ["None"] * 2 + ["2"],
        "env_label": "",
        "config_id": [0, 0, 0, 1, 2, 3],
        "wall_s": [10.0, 20.0, 15.0, 5.0, 7.0, 1.0]})
    ratios = repeat_ratios(cells)
    # rf has one cell per configuration: no spread measured; serial cells never count
    assert list(ratios) == [ClassKey("lgbm", "2")]
    assert sorted(ratios[ClassKey("lgbm", "2")]) == pytest.approx([10 / 15, 1.0, 20 / 15])


def _row(walls, predicted, low, high, setting="spark p=2 q=2", stability="stable"):
    return HoldoutRow(setting=setting, workload="lgbm", n_jobs="2", walls=tuple(walls),
                      stability=stability, predicted_s=predicted, low_s=low, high_s=high)


def test_errors_over_stable_configurations_and_coverage_over_all():
    rows = [_row([10, 10, 11], 11.0, 9.0, 12.0, "a"),         # +10%, covered
            _row([20, 21, 22], 16.8, 15.0, 18.0, "b"),        # -20%, not covered
            _row([12, 19, 13], 26.0, 10.0, 30.0, "c", "unstable")]  # +100%, covered
    s = summary(rows)
    assert s["median_error"] == pytest.approx(0.15) and s["worst_error"] == pytest.approx(0.2)
    assert s["coverage"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["configurations"] == 3 and s["judged_by_error"] == 2
    assert s["unstable"] == ["lgbm c"]
    assert s["within_target"] is True
    assert summary(None)["note"].startswith("in-sample only")


def test_holding_a_repeat_out_removes_its_cells_and_trials(tmp_path):
    run = load_run(write_loop_run(tmp_path, repeats=3).path)
    prepared = prepare(run)
    rest = held_out(prepared, 1)
    assert set(rest.cells["repeat"]) == {0, 2}
    assert set(rest.trials["cell_id"]) <= set(rest.cells["cell_id"])
    assert not rest.trials["cell_id"].isin(
        prepared.cells.loc[prepared.cells["repeat"] == 1, "cell_id"]).any()
    whole = calibrate(run, prepared=prepared)
    part = calibrate(run, prepared=rest)
    key = ClassKey("sleep", "1")
    assert part.trials_used[key] * 3 == whole.trials_used[key] * 2


def test_one_repeat_is_in_sample_only(tmp_path):
    run = load_run(write_loop_run(tmp_path, repeats=1).path)
    assert holdout.out_of_sample(run, draws=3) is None
    rows = holdout.in_sample(run, draws=3)
    assert len(rows) == 3 and {r.stability for r in rows} == {"single"}


def test_rows_carry_the_runs_stability_classification(tmp_path):
    run = load_run(write_loop_run(tmp_path, repeats=2).path)
    # every trial of the loop run takes the same time: one regime everywhere
    assert {r.stability for r in holdout.in_sample(run, draws=3)} == {"stable"}


def test_validate_json_gives_both_summaries_as_fractions(tmp_path, capsys):
    folder = write_loop_run(tmp_path, repeats=3)
    assert main(["predict", str(folder.path), "--validate", "--json", "--draws", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    for part in ("in_sample", "out_of_sample"):
        s = out["summary"][part]
        assert s["configurations"] == 3
        # the loop run's walls are whole loop turns the model replays exactly
        assert s["median_error"] == 0.0 and s["worst_error"] == 0.0 and s["coverage"] == 1.0
    rows = out["out_of_sample_rows"]
    assert [r["walls_s"] for r in rows] == [[13.4] * 3, [8.4] * 3, [7.4] * 3]
    assert main(["predict", str(folder.path), "--validate", "--draws", "3"]) == 0
    text = capsys.readouterr().out
    assert "Out of sample: median error 0.0%" in text and "coverage 100% of 3" in text


def test_default_draws_go_on_until_the_interval_stops_moving():
    from bench.predict import Shape, predict
    from bench.predict.calibrate import Calibration
    from bench.predict.predict import DRAW_BATCH, MAX_DRAWS, MIN_DRAWS, settled
    from tests.test_predict import inputs

    assert settled([10.0, 20.0], [10.1, 20.2], 15.0)          # moved 0.2 <= 2% of 15
    assert not settled([10.0, 20.0], [10.0, 21.0], 15.0)
    cal = Calibration(run_id="r", variant="stock", host_cores=2, task_cpus=1)
    key = ClassKey("sleep", "1")
    shape = Shape(4, 1, parallelism=4, max_queue_len=0)
    cal.inputs[key] = inputs(objective=1.0, period=1e-3)
    fixed = predict(cal, key, shape, 40)                      # nothing varies: one check
    assert fixed.draws == MIN_DRAWS + DRAW_BATCH
    spread = np.exp(np.random.default_rng(0).normal(0.0, 1.0, 400))  # log-normal times
    cal.inputs[key] = dataclasses.replace(inputs(period=1e-3), objective_s=spread)
    varied = predict(cal, key, shape, 40)
    assert MIN_DRAWS + DRAW_BATCH < varied.draws <= MAX_DRAWS
    assert len(varied.walls) == varied.draws
    assert predict(cal, key, shape, 40, draws=7).draws == 7
