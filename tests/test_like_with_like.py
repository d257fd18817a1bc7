"""Every what-if, cure row, advice and compare label compares like with like: configurations
that differ in exactly the axis studied (bench.analysis.setup), never two workloads, variants,
thread environments or n_jobs values pooled in one median, and never two configurations
under one label. Hand-made records (tests.test_diagnosis builders) with known answers."""
from __future__ import annotations

import pytest

from bench.analysis.cure import cell_ideals, variant_savings, wall_over_ideal
from bench.analysis.whatif import (pinned_threads_effect, queue_length_effect,
                                   thread_setting_effect)
from bench.compare import compare_runs
from bench.diagnosis.cure import advice
from bench.keys import env_label
from tests.test_diagnosis import T0, cell, run_of, trials_for

PASSIVE = {"OMP_WAIT_POLICY": "passive"}


def cfg(mode="spark", workload="w", p=2, q=1, n_jobs=None, env=None, variant=None, evals=4,
        condition="native", **record):
    """A cell with its thread environment and variant (and any cell record fields)."""
    c = cell(mode, workload=workload, p=p, q=q, n_jobs=n_jobs, evals=evals,
             condition=condition)
    c["cell_id"] += f".{variant or 'stock'}.{env_label(env) or 'inherited'}"
    c["thread_env_set"] = dict(env or {})
    if variant:
        c["variant"] = variant
    return {**c, **record}


def trials(c, start_s=0.0, keep=None, **kw):
    """trials_for(c) carrying the cell's thread environment and variant (first `keep`)."""
    out = trials_for(c, start=T0 + start_s, **kw)[:keep]
    for t in out:
        t["thread_env_set"] = c["thread_env_set"]
        t["variant"] = c.get("variant")
    return out


def _pairs(*specs):
    """(cell, its trials) for (cell, objective) specs, 100 s apart."""
    return [(c, trials(c, 100.0 * i, objective=obj)) for i, (c, obj) in enumerate(specs)]


def test_thread_setting_pairs_stay_within_a_variant():
    """Stock and tuned, each with and without OMP_WAIT_POLICY=passive: two pairs, never a
    tuned 'before' against a stock 'after'."""
    cells = [cfg(q=2), cfg(q=2, env=PASSIVE), cfg(q=2, variant="tuned"),
             cfg(q=2, variant="tuned", env=PASSIVE)]
    run, an = run_of(*_pairs(*zip(cells, (1.0, 3.0, 0.5, 0.7))))
    rows = [r for r in thread_setting_effect(run, an.walls)
            if r["change"] == "set OMP_WAIT_POLICY=passive"]
    got = sorted((r["objective_before_s"], r["objective_after_s"]) for r in rows)
    assert got == [(0.5, 0.7), (1.0, 3.0)]


def test_what_if_objective_medians_keep_workloads_apart():
    """Two workloads whose configurations print under the same label ('serial {env as is}'):
    each what-if row quotes its own workload's objective time."""
    specs = [(cfg("serial", workload=w, env=env), obj) for w, base in (("a", 0.1), ("b", 1.0))
             for env, obj in ((None, base), (PASSIVE, 2 * base))]
    run, an = run_of(*_pairs(*specs))
    rows = {r["workload"]: r for r in thread_setting_effect(run, an.walls)}
    assert (rows["a"]["objective_before_s"], rows["a"]["objective_after_s"]) == (0.1, 0.2)
    assert (rows["b"]["objective_before_s"], rows["b"]["objective_after_s"]) == (1.0, 2.0)


def test_queue_effect_pairs_each_configuration_with_its_own_queue_of_one():
    """max_queue_len 1 and 2 under two thread environments: two pairs, each with its own
    numbers (the old grouping took the first of several 'before' rows)."""
    specs = [(cfg(q=1), 1.0), (cfg(q=2), 0.5), (cfg(q=1, env=PASSIVE), 3.0),
             (cfg(q=2, env=PASSIVE), 1.0)]
    run, an = run_of(*_pairs(*specs))
    rows = queue_length_effect(an.walls)
    walls = dict(zip(run.cells["cell_id"], run.cells["wall_s"]))
    got = sorted((round(r["before_s"], 6), round(r["after_s"], 6)) for r in rows)
    want = sorted((round(walls[b["cell_id"]], 6), round(walls[a["cell_id"]], 6))
                  for b, a in ((specs[0][0], specs[1][0]), (specs[2][0], specs[3][0])))
    assert got == want and len({r["setting"] for r in rows}) == 2


def test_pinned_threads_keep_thread_environments_apart():
    """n_jobs 0 -> 1 in both modes, inherited and passive: one row per environment, each
    gap from its own four configurations."""
    specs = []
    for env, (s0, k0, s1, k1) in ((None, (4.0, 0.25, 0.3, 0.3)), (PASSIVE, (1.0, 0.5, 0.6, 0.3))):
        specs += [(cfg("serial", n_jobs=0, env=env), s0), (cfg(p=1, n_jobs=0, env=env), k0),
                  (cfg("serial", n_jobs=1, env=env), s1), (cfg(p=1, n_jobs=1, env=env), k1)]
    run, _ = run_of(*_pairs(*specs))
    rows = pinned_threads_effect(run)
    assert sorted((r["gap_before"], r["gap_after"]) for r in rows) == [(2.0, 2.0), (16.0, 1.0)]
    assert {r["env_label"] for r in rows} == {"", "OMP_WAIT_POLICY=passive"}


def test_variant_savings_pair_each_variant_with_its_own_stock():
    """Stock and tuned at n_jobs 0 and 1: each tuned configuration is compared with the stock
    one of its own n_jobs."""
    specs = [(cfg(n_jobs=0), 1.0), (cfg(n_jobs=0, q=2, variant="tuned"), 0.4),
             (cfg(n_jobs=1), 3.0), (cfg(n_jobs=1, q=2, variant="tuned"), 0.5)]
    run, _ = run_of(*_pairs(*specs))
    sav = variant_savings(cell_ideals(run.trials, run.cells))
    walls = dict(zip(run.cells["cell_id"], run.cells["wall_s"]))
    assert len(sav) == 4
    for n_jobs, (stock, tuned) in (("0", specs[:2]), ("1", specs[2:])):
        row = sav[(sav["variant"] == "tuned") & (sav["n_jobs_label"] == n_jobs)].iloc[0]
        assert row["wall_saved_s"] == pytest.approx(walls[stock[0]["cell_id"]]
                                                    - walls[tuned[0]["cell_id"]])
        assert row["share_of_saving"] == pytest.approx(1.0)


def test_wall_over_ideal_keeps_thread_environments_apart_under_their_own_labels():
    run, _ = run_of(*_pairs((cfg(), 1.0), (cfg(env=PASSIVE), 2.0)))
    lines = wall_over_ideal(cell_ideals(run.trials, run.cells))
    assert len(lines) == 2
    assert sorted(lines["setting"]) == ["spark p=2 {OMP_WAIT_POLICY=passive}",
                                        "spark p=2 {env as is}"]


def test_cell_ideals_leave_out_incomplete_cells():
    """A cell cut off before its evaluations finished (a timeout) is no measure of speed."""
    done, cut = cfg(), cfg(q=2)
    run, _ = run_of((done, trials(done, objective=1.0)),
                    (cut, trials(cut, 100.0, keep=2, objective=1.0)))
    assert bool(run.cells.set_index("cell_id").loc[cut["cell_id"], "incomplete"])
    assert list(cell_ideals(run.trials, run.cells)["cell_id"]) == [done["cell_id"]]


def test_advice_compares_the_setup_with_its_one_axis_fixes():
    """The grid puts n_jobs=0 first: the public knob and the tuned variant are measured
    against the n_jobs=0 stock cell, not a median over every n_jobs; tuned counts its
    warm-up before the clock."""
    specs = [(cfg(n_jobs=0), 1.0), (cfg(n_jobs=1), 6.0), (cfg(n_jobs=0, q=2), 0.5),
             (cfg(n_jobs=1, q=2), 9.0),
             (cfg(n_jobs=0, q=2, variant="tuned", prewarm_s=2.0, workers_prewarmed=2), 0.1)]
    run, _ = run_of(*_pairs(*specs), grid={"n_jobs": [0, 1], "max_queue_len": [1, 2]})
    walls = dict(zip(run.cells["cell_id"], run.cells["wall_s"]))
    stock, queued, tuned = (walls[specs[i][0]["cell_id"]] for i in (0, 2, 4))
    text = advice(run, "w")
    assert (f"(measured at parallelism 2 on the current setup, stock SparkTrials, "
            f"max_queue_len 1, n_jobs=0, inherited thread environment: {stock:.1f} s -> "
            f"{queued:.1f} s)") in text
    assert (f"measured {tuned + 2.0:.2f} s (2.00 s starting its workers + {tuned:.2f} s fmin) "
            f"against stock {stock:.1f} s at parallelism 2 on this run "
            f"({stock / (tuned + 2.0):.1f}x; {tuned:.2f} s, {stock / tuned:.1f}x, with its "
            "workers already running)") in text


def test_compare_labels_every_configuration_apart():
    """Two configurations that differ only in their thread environment never share a label
    (the passive cells printed as '{env as is}')."""
    specs = [(cfg("serial", n_jobs=0), 1.0), (cfg("serial", n_jobs=0, env=PASSIVE), 2.0)]
    run, _ = run_of(*_pairs(*specs))
    labels = [r.label for r in compare_runs(run, run).rows]
    assert sorted(labels) == ["w serial {OMP_WAIT_POLICY=passive}", "w serial {env as is}"]


def test_trial_errors_are_counted_per_configuration():
    """Failed trials per configuration, out of that configuration's own trials."""
    a, b = cfg("serial", n_jobs=0), cfg("serial", n_jobs=0, env=PASSIVE)
    ta, tb = trials(a, objective=1.0), trials(b, 100.0, objective=1.0)
    for t in ta[:1] + tb[:3]:
        t.update(status="fail", error="ValueError: bad")
    run, an = run_of((a, ta), (b, tb))
    got = sorted(zip(an.errors["setting"], an.errors["trials"], an.errors["of_trials"]))
    assert got == [("serial {OMP_WAIT_POLICY=passive}", 3, 4), ("serial {env as is}", 1, 4)]
