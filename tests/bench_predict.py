"""Speed of the SparkTrials model: 1,000 cluster shapes x 200 evaluations.

Target: under 10 s on a 2-core machine for the whole prediction with 5 draws a shape, then
the sizing rule; the default (DEFAULT_DRAWS: draws until the interval is stable, at least
20 a shape) costs about 4x that. Measured, never asserted (the machine is shared and noisy):

    pytest tests/bench_predict.py
    pytest tests/bench_predict.py --benchmark-timer time.process_time   # CPU time only

One draw per shape (the point prediction alone) is measured beside it. On a machine busy
with other work, the CPU-time figure says what the prediction itself costs.
"""
from __future__ import annotations

import pytest

from bench.analysis import load_run
from bench.predict import DEFAULT_DRAWS, build_shapes, calibrate, predict_many, recommend
from tests.test_predict import write_loop_run

EVALS = 200


@pytest.fixture(scope="module")
def calibration(tmp_path_factory):
    return calibrate(load_run(write_loop_run(tmp_path_factory.mktemp("loop")).path))


@pytest.fixture(scope="module")
def shapes():
    # 250 executor counts x 4 executor sizes; queue 1 (hyperopt's default, the slow regime)
    out = build_shapes(executors=tuple(range(1, 251)), cores=(1, 2, 4, 8), max_queue_len=1)
    assert len(out) == 1000
    return out


@pytest.mark.parametrize("draws", [5, DEFAULT_DRAWS, 1])
def test_predict_1000_shapes(benchmark, calibration, shapes, draws):
    def work():
        preds = predict_many(calibration, shapes, EVALS, draws=draws)
        return preds, recommend(preds)

    preds, rec = benchmark.pedantic(work, rounds=3, iterations=1)
    assert len(preds) == 1000 and rec.recommended.wall_s > 0
