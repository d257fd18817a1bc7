"""Speed of the analysis and of the whole report on a large generated run.

Target: 100,000 trial records analysed and the full report (charts included) written in
under 20 s on a 2-core machine. Measured, never asserted (the machine is shared and noisy):

    pytest tests/bench_analysis.py --benchmark-enable

BENCH_TRIALS sets the size of the generated run (default 100000; CI may use a small one).
"""
from __future__ import annotations

import os

import pytest

from bench.analysis import analyze, load_run
from bench.report import build_report
from tests import fixture_records as fr

N_TRIALS = int(os.environ.get("BENCH_TRIALS", "100000"))


@pytest.fixture(scope="module")
def large_run(tmp_path_factory):
    return fr.write_large_run(tmp_path_factory.mktemp("large"), n_trials=N_TRIALS)


def test_load_and_analyze(benchmark, large_run):
    def work():
        return analyze(load_run(large_run.path))

    analysis = benchmark.pedantic(work, rounds=3, iterations=1)
    assert int(analysis.cells["trials"].sum()) == N_TRIALS
    assert len(analysis.speedups) > 0


def test_full_report(benchmark, large_run, tmp_path):
    path = benchmark.pedantic(build_report, args=(large_run.path, tmp_path / "report"),
                              rounds=3, iterations=1)
    text = path.read_text()
    assert "## Summary per workload" in text
    assert "*Chart skipped" not in text
