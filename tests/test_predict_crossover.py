"""The break-even measured directly over objectives of several fixed lengths
(bench.predict.crossover), and the model checked against it."""
from __future__ import annotations

import pandas as pd
import pytest

from bench.predict.crossover import _crossing, fixed_lengths, measured_crossovers


def _frames(spark_walls: dict, serial_walls: dict, lengths: dict, p=2, q=1, n=8):
    """Cells (one per mode and length; spark walls per length as given) and serial trials
    of exactly each length."""
    cells, trials = [], []
    for workload, t in lengths.items():
        cells.append({"workload": workload, "mode": "serial", "variant": None,
                      "parallelism": None, "max_queue_len": 1, "max_evals": n,
                      "failed": False, "wall_s": serial_walls[workload]})
        for wall in spark_walls[workload]:
            cells.append({"workload": workload, "mode": "spark", "variant": "stock",
                          "parallelism": p, "max_queue_len": q, "max_evals": n,
                          "failed": False, "wall_s": wall})
        trials += [{"workload": workload, "mode": "serial", "status": "ok",
                    "objective_s": t * (1 + d)} for d in (-0.01, 0.0, 0.0, 0.01)]
    return pd.DataFrame(cells), pd.DataFrame(trials)


def test_the_crossover_is_interpolated_between_the_lengths_that_bracket_it():
    assert _crossing([1.0, 2.0, 3.0], [4.0, 2.0, -2.0]) == pytest.approx(2.5)
    assert _crossing([1.0, 2.0], [1.0, 0.5]) is None          # spark slower throughout
    assert _crossing([1.0, 2.0], [-1.0, -2.0]) is None        # faster throughout


def test_measured_crossover_from_median_walls_per_length():
    lengths = {"sleep_1s": 1.0, "sleep_2s": 2.0, "sleep_3s": 3.0}
    serial = {"sleep_1s": 8.0, "sleep_2s": 16.0, "sleep_3s": 24.0}
    # spark medians 12, 17, 21: gaps +4, +1, -3 -> crosses at 2 + 1/4
    spark = {"sleep_1s": [12.0, 11.0, 13.0], "sleep_2s": [17.0, 30.0, 16.0],
             "sleep_3s": [21.0, 20.0, 22.0]}
    cells, trials = _frames(spark, serial, lengths)
    (row,) = measured_crossovers(cells, trials)
    assert row["crossover_s"] == pytest.approx(2.25)
    assert row["gaps_s"] == [4.0, 1.0, -3.0]
    assert (row["parallelism"], row["max_queue_len"], row["max_evals"]) == (2, 1, 8)
    # never crossing: no number, a note saying how far it was measured
    slow = {k: [w + 20.0 for w in v] for k, v in spark.items()}
    (row,) = measured_crossovers(*_frames(slow, serial, lengths))
    assert row["crossover_s"] is None and "up to 3.0" in row["note"]


def test_only_workloads_of_a_fixed_length_count():
    trials = pd.DataFrame({"workload": ["sleep_1s"] * 4 + ["rf"] * 4, "mode": "serial",
                           "status": "ok",
                           "objective_s": [1.0, 1.01, 0.99, 1.0, 0.2, 0.9, 0.4, 1.5]})
    assert fixed_lengths(trials) == {"sleep_1s": pytest.approx(1.0)}


def test_a_run_of_one_length_has_no_measured_crossover_to_check(tmp_path):
    """The loop run's sleep objective at one length gives no crossover to compare with;
    the check then stays empty rather than inventing one."""
    from bench.analysis import load_run
    from bench.predict import calibrate
    from bench.predict.validate import measured_break_even_check
    from tests.test_predict import write_loop_run

    run = load_run(write_loop_run(tmp_path).path)
    assert measured_break_even_check(run, calibrate(run), draws=3) == []
