"""The spin-wait collapse rule, cluster shapes in the core-counting rules, and the
`unexplained` rule, on hand-made records shaped like the runs they are about."""
from __future__ import annotations

import pytest

from bench.diagnosis import diagnose_data, rules
from bench.diagnosis.common import covered, same
from bench.analysis.whatif import thread_setting_effect
from bench.report.whatif import env_objective_text
from tests.test_diagnosis import T0, cell_record, trials_for
from tests.test_diagnosis import run_of as diagnosis_run_of

SHAPES = [{"label": "2x1", "shape": "2x1", "workers": 2, "cores": 1, "task_cpus": 1},
          {"label": "1x2", "shape": "1x2", "workers": 1, "cores": 2, "task_cpus": 1},
          {"label": "1x2/tc2", "shape": "1x2", "workers": 1, "cores": 2, "task_cpus": 2}]
SLOTS = {"2x1": 2, "1x2": 2, "1x2/tc2": 1}
POINTS = [{"n_estimators": 100, "num_leaves": 8 * (i + 1)} for i in range(4)]


def lgbm_cell(mode, n_jobs, cluster=None, env=None, evals=4):
    where = "native" if mode == "serial" else f"{cluster}.p2q2"
    return {"cell_id": f"lgbm.{mode}.{where}.nj{n_jobs}.{env or ''}.e{evals}.r0", "mode": mode,
            "workload": "lgbm", "parallelism": 2 if mode == "spark" else None,
            "max_queue_len": 2 if mode == "spark" else 1, "n_jobs": n_jobs, "max_evals": evals,
            "repeat": 0, "condition": "native", "emulated": False, "cluster": cluster,
            "thread_env_set": env or {},
            "task_slots": SLOTS[cluster] if mode == "spark" else None,
            "closure_bytes": 10_000 if mode == "spark" else None}


def lgbm_trials(c, *, objective, threads, eff, concurrency=1, start=T0, seen_env=None):
    out = trials_for(c, objective=objective, threads=threads, eff=eff,
                     concurrency=concurrency, start=start)
    for t, point in zip(out, POINTS):
        t.update(params=point, cluster=c["cluster"], thread_env_set=c["thread_env_set"],
                 thread_env={"OMP_NUM_THREADS": "1", **(seen_env or {})}
                 if c["mode"] == "spark" else dict(seen_env or {}),
                 threadpools=[{"library": "libgomp", "api": "openmp", "num_threads": threads}])
    return out


def run_of(*pairs, cores=2):
    return diagnosis_run_of(*pairs, cores=cores, grid={"clusters": SHAPES}, spark={})


def sizing_run(n_jobs: int, passive: bool = False):
    """The cluster_sizing case: LightGBM with n_jobs threads, serial in the driver and at
    parallelism 2 on 2x1 (two 1-core executors), 1x2 (two trials share 2 cores) and
    1x2/tc2 (one trial at a time with 2 cores). With 2 threads, the two shapes that run
    two trials at once collapse (measured: 34-57 s per trial against 0.04-0.10 s)."""
    slow = n_jobs > 1
    pairs = [(lgbm_cell("serial", n_jobs), dict(objective=0.07, threads=n_jobs, eff=1.8 if slow else 1.0)),
             (lgbm_cell("spark", n_jobs, "2x1"),
              dict(objective=45.0 if slow else 0.1, threads=n_jobs, eff=1.0, concurrency=2)),
             (lgbm_cell("spark", n_jobs, "1x2"),
              dict(objective=39.0 if slow else 0.1, threads=n_jobs, eff=1.0, concurrency=2)),
             (lgbm_cell("spark", n_jobs, "1x2/tc2"),
              dict(objective=0.09, threads=n_jobs, eff=1.8 if slow else 1.0))]
    if passive:
        env = {"OMP_WAIT_POLICY": "passive"}
        pairs.append((lgbm_cell("spark", n_jobs, "2x1", env),
                      dict(objective=0.2, threads=n_jobs, eff=1.0, concurrency=2, seen_env=env)))
        pairs.append((lgbm_cell("serial", n_jobs, env=env),
                      dict(objective=0.07, threads=n_jobs, eff=1.8, seen_env=env)))
    built = []
    for i, (c, kw) in enumerate(pairs):
        built.append((c, lgbm_trials(c, start=T0 + 1000 * i, **kw)))
    return run_of(*built)


def test_collapse_fires_on_2x1_and_1x2_with_its_evidence():
    run, an = sizing_run(n_jobs=2)
    found = {f.id: f for f in rules.spin_wait_collapse(run, an)}
    assert set(found) == {"spin-wait-collapse:lgbm:spark:p2:2x1:nj2:native",
                          "spin-wait-collapse:lgbm:spark:p2:1x2:nj2:native"}
    f = found["spin-wait-collapse:lgbm:spark:p2:2x1:nj2:native"]
    ev = f.evidence
    assert f.severity == "high"
    assert (ev["threads_per_trial"], ev["cores"], ev["trials_at_once"]) == (2, 1, 1)
    assert ev["objective_s"] == 45.0 and ev["objective_s_reference"] == 0.08
    # serial and 1x2/tc2 trials at the same points: both are the reference
    assert ev["reference_settings"] == ["serial", "spark p=2 @1x2/tc2"]
    assert ev["points_matched"] == 4 and ev["slowdown"] == pytest.approx(562.5)
    assert ev["effective_cores"] == 1.0 and ev["effective_cores_reference"] == 1.8
    assert ev["openmp_runtime"] == "libgomp" and ev["OMP_WAIT_POLICY"] == "unset"
    assert ev["GOMP_SPINCOUNT"] == "unset" and ev["KMP_BLOCKTIME"] == "unset"
    one_x_two = found["spin-wait-collapse:lgbm:spark:p2:1x2:nj2:native"].evidence
    assert (one_x_two["cores"], one_x_two["trials_at_once"]) == (2, 2)
    # the fixes, in order: threads = task cpus, task cpus = threads, passive waiting
    rec = f.recommendation
    assert rec.index("= spark.task.cpus") < rec.index("raise\nspark.task.cpus".replace("\n", " ")) \
        < rec.index("OMP_WAIT_POLICY=passive")
    assert "45.0 s" in f.summary and "0.080 s" in f.summary


def test_collapse_silent_with_one_thread_per_trial():
    run, an = sizing_run(n_jobs=1)
    assert rules.spin_wait_collapse(run, an) == []


def test_oversubscription_counts_cores_per_executor_on_cluster_shapes():
    run, an = sizing_run(n_jobs=2)
    found = {f.id: f for f in rules.oversubscription(run, an)}
    assert set(found) == {"oversubscription:lgbm:spark:p2:2x1:nj2:native",
                          "oversubscription:lgbm:spark:p2:1x2:nj2:native"}
    assert found["oversubscription:lgbm:spark:p2:2x1:nj2:native"].evidence["cores"] == 1


def test_collapse_names_the_measured_alternatives_and_whatif_shows_them():
    run, an = sizing_run(n_jobs=2, passive=True)
    found = {f.id: f for f in rules.spin_wait_collapse(run, an)}
    f = found["spin-wait-collapse:lgbm:spark:p2:2x1:nj2:native"]
    assert f.evidence["measured_alternatives"] == {"as_run": 45.0,
                                                   "with OMP_WAIT_POLICY=passive": 0.2}
    # passive waiting is not oversubscription-free, but it does not collapse: no finding
    assert not [i for i in found if "passive" in i]
    rows = thread_setting_effect(run, an.walls)
    passive = [r for r in rows if r["change"] == "set OMP_WAIT_POLICY=passive"
               and "2x1" in r["setting"]]
    assert len(passive) == 1 and env_objective_text(passive[0]) == "45.000 s -> 0.200 s (225.00×)"


def test_no_unexplained_when_every_large_gap_is_covered():
    run, an = sizing_run(n_jobs=2, passive=True)
    findings = diagnose_data(run, an)
    assert "spin-wait-collapse" in {f.rule for f in findings}
    assert [f.id for f in findings if f.rule == "unexplained"] == []


def test_unexplained_reports_a_10x_slowdown_no_rule_covers():
    # one thread per trial, one trial at a time, no fixed cost: nothing explains 10x
    serial = lgbm_cell("serial", 1)
    spark = {**lgbm_cell("spark", 1, "1x2/tc2"), "parallelism": 1, "max_queue_len": 1}
    run, an = run_of((serial, lgbm_trials(serial, objective=0.3, threads=1, eff=1.0)),
                     (spark, lgbm_trials(spark, objective=3.0, threads=1, eff=1.0,
                                         start=T0 + 100)))
    findings = diagnose_data(run, an)
    found = [f for f in findings if f.rule == "unexplained"]
    assert len(found) == 1, [f.id for f in findings]
    ev = found[0].evidence
    assert ev["objective_vs_reference"] == pytest.approx(10.0)
    assert ev["wall_vs_reference"] == pytest.approx(10.0)
    assert ev["objective_s"] == 3.0 and ev["reference_objective_s"] == 0.3
    assert ev["threads_per_trial"] == 1 and ev["effective_cores"] == 1.0
    assert any("passive" in h for h in ev["cells_that_would_help"])
    assert "10.00×" in found[0].summary


def test_on_a_loaded_machine_the_passive_twin_is_the_reference():
    # every 2-thread cell shared its cores (the serial ones with neighbours keeping 1.9
    # cores busy), so no cell had the cores to itself; the passive cells show the spinning
    env = {"OMP_WAIT_POLICY": "passive"}
    built = []
    for i, (c, kw) in enumerate([
            (lgbm_cell("serial", 2), dict(objective=9.0, eff=0.3)),
            (lgbm_cell("serial", 2, env=env), dict(objective=0.8, eff=0.5, seen_env=env)),
            (lgbm_cell("spark", 2, "2x1"), dict(objective=5.0, eff=0.3, concurrency=2)),
            (lgbm_cell("spark", 2, "2x1", env), dict(objective=0.05, eff=0.5, concurrency=2,
                                                     seen_env=env))]):
        ts = lgbm_trials(c, threads=2, start=T0 + 1000 * i, **kw)
        for t in ts:
            t["other_busy_cores"] = 1.9 if c["mode"] == "serial" else 1.0
        built.append((c, ts))
    run, an = run_of(*built)
    found = {f.id: f for f in rules.spin_wait_collapse(run, an)}
    assert set(found) == {"spin-wait-collapse:lgbm:spark:p2:2x1:nj2:native",
                          "spin-wait-collapse:lgbm:serial:nj2:native"}
    ev = found["spin-wait-collapse:lgbm:spark:p2:2x1:nj2:native"].evidence
    assert ev["reference"].startswith("with OMP_WAIT_POLICY=passive")
    assert ev["objective_s_reference"] == 0.05 and ev["slowdown"] == pytest.approx(100.0)
    serial = found["spin-wait-collapse:lgbm:serial:nj2:native"].evidence
    assert serial["other_processes_busy_cores"] == 1.9 and serial["slowdown"] == pytest.approx(11.25)
    # a fast passive twin alone is not a collapse: 1.5x slower than passive does not fire
    for c, ts in built:
        if c["mode"] == "spark" and not c["thread_env_set"]:
            for t in ts:
                t["objective_s"] = 0.075
    run, an = run_of(*built)
    assert "spin-wait-collapse:lgbm:spark:p2:2x1:nj2:native" not in {
        f.id for f in rules.spin_wait_collapse(run, an)}


def test_coverage_filters_compare_missing_settings_safely():
    import pandas as pd

    # a serial row has no parallelism (pandas NA): a filter naming one must not match it
    assert not same(pd.NA, 2) and same(pd.NA, None) and same(2, 2.0)
    f = rules.Finding(id="x", rule="x", severity="medium", summary="",
                      covers=[{"mode": "spark", "parallelism": 2, "gap": "wall"}])
    serial = {"mode": "serial", "parallelism": pd.NA}
    assert covered([f], serial, "wall") == []
    assert covered([f], {"mode": "spark", "parallelism": 2}, "wall") == ["x"]
    assert covered([f], {"mode": "spark", "parallelism": 2}, "objective") == []
