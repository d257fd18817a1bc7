"""Probe cost: a no-op objective with and without the probe (pytest-benchmark).

Run: pytest tests/bench_probe.py --benchmark-enable
Target: the probe adds < 1 ms per trial and its sampler < 1% of a core while a trial runs.
"""
from __future__ import annotations

from bench.probe import run_probed
from bench.workloads import SleepObjective


def noop(params):
    return {"loss": 0.0, "status": "ok"}


def test_noop_without_probe(benchmark):
    assert benchmark(noop, {})["loss"] == 0.0


def test_noop_with_probe(benchmark):
    run_probed(noop, {})  # first call discovers thread pools; every later trial reuses them
    out = benchmark(run_probed, noop, {})
    assert out["status"] == "ok"


def test_sampler_cpu_share_during_sleep(benchmark):
    """Process CPU during a 1 s sleeping objective is the probe's own (sampler) cost."""
    sleeper = SleepObjective(1.0, threads=0)
    out = benchmark.pedantic(run_probed, args=(sleeper, {"x": 0.0}), rounds=3, iterations=1)
    share = out["probe"]["cpu_s"] / out["probe"]["objective_s"]
    benchmark.extra_info["probe_cpu_share"] = share
    assert out["status"] == "ok"
