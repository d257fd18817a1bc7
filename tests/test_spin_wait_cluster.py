"""LightGBM with 2 threads per trial on a real 2x1 standalone cluster, with the OpenMP wait
policy as a grid axis: the collapse rule fires for active waiting and the what-if shows
passive waiting faster. Run as a user would, in its own process."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench.analysis import analyze, load_run
from bench.diagnosis import diagnose_data
from bench.analysis.whatif import thread_setting_effect
from tests.conftest import ROOT, write_scenario

pytestmark = [pytest.mark.cluster, pytest.mark.spark, pytest.mark.slow]

# small data and 20 trees: alone a fit takes ~0.05 s; two 2-thread fits spinning on two
# 1-core executors of a 2-core machine take seconds
SPIN = '''from hyperopt import hp
SCENARIO = {"name": "spin", "workloads": [{"name": "lgbm", "n_jobs": [2],
    "data": {"rows": 400, "features": 20},
    "space": {"n_estimators": hp.choice("n_estimators", [20]),
              "num_leaves": hp.choice("num_leaves", [8, 16])}}],
    "thread_env": [{"OMP_WAIT_POLICY": "active"}, {"OMP_WAIT_POLICY": "passive"}],
    "clusters": ["2x1"], "max_evals": 4, "modes": ["serial", "spark"], "parallelism": [2],
    "max_queue_len": ["parallelism"], "algo": "rand", "seed": 3}
'''


@pytest.mark.long
def test_collapse_on_2x1_fires_for_active_waiting_and_passive_is_faster(tmp_path):
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    out = subprocess.run([sys.executable, "-m", "bench", "run",
                          str(write_scenario(tmp_path, SPIN)),
                          "--results-dir", str(tmp_path / "results"), "--quiet"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600, env=env)
    assert out.returncode == 0, out.stderr
    run = load_run(next((tmp_path / "results").iterdir()))
    trials = run.trials
    assert len(trials) == 16 and (trials["status"] == "ok").all()
    # what each trial saw: the policy its cell set, through executorEnv or a fresh process
    for _, t in trials.iterrows():
        assert t["thread_env"].get("OMP_WAIT_POLICY") == t["thread_env_set"]["OMP_WAIT_POLICY"]
    spark = trials[trials["mode"] == "spark"]
    serial = trials[trials["mode"] == "serial"]
    assert set(spark["spark_task_attempt_id"].notna()) == {True}
    assert not set(spark["pid"]) & set(serial["pid"])  # spark trials ran in executors
    assert serial.groupby("env_label")["pid"].nunique().tolist() == [1, 1]
    assert serial["pid"].nunique() == 2  # each environment had its own driver process
    sessions = run.manifest.clusters["2x1"]
    assert [s["thread_env_set"] for s in sessions] in (
        [{"OMP_WAIT_POLICY": "active"}, {"OMP_WAIT_POLICY": "passive"}],
        [{"OMP_WAIT_POLICY": "passive"}, {"OMP_WAIT_POLICY": "active"}])
    assert sessions[0]["cluster"]["master_url"] == sessions[1]["cluster"]["master_url"]

    analysis = analyze(run)
    findings = {f.id: f for f in diagnose_data(run, analysis)}
    active = "spin-wait-collapse:lgbm:spark:p2:2x1:nj2:native:OMP_WAIT_POLICY=active"
    assert active in findings, sorted(findings)
    ev = findings[active].evidence
    assert (ev["threads_per_trial"], ev["cores"], ev["trials_at_once"]) == (2, 1, 1)
    assert ev["OMP_WAIT_POLICY"] == "active" and "libgomp" in ev["openmp_runtime"]
    assert "with OMP_WAIT_POLICY=passive" in ev["measured_alternatives"]
    # the what-if: same cells with passive waiting, faster per trial
    by_env = spark.groupby("env_label")["objective_s"].median()
    assert by_env["OMP_WAIT_POLICY=passive"] < by_env["OMP_WAIT_POLICY=active"]
    assert not [i for i in findings if i.startswith("spin-wait-collapse") and "passive" in i]
