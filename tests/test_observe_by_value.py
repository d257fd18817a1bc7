"""bench.observe on executors that have the user's libraries but not bench: the probe (and
TunedSparkTrials' task wrapper) travel by value, so every trial runs and is measured.

The executors' Python is a second venv (tests/executor_venv.py: hyperopt, pyspark,
scikit-learn); the driver runs in a child process from a folder outside the repository, so
nothing on the executors' path leads back to bench."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench.storage import RunFolder
from tests.conftest import ROOT
from tests.executor_venv import executor_python

pytestmark = [pytest.mark.spark, pytest.mark.long]

DRIVER = '''
import importlib.util, json, os, sys
sys.path.insert(0, {root!r})  # bench for the driver only: not installed, not on PYTHONPATH

import numpy as np
from hyperopt import SparkTrials, hp, tpe

import bench
from bench.tuned import TunedSparkTrials

X = np.arange(60.0).reshape(-1, 1)
y = (X[:, 0] % 7) * 1.5


def objective(params):
    from sklearn.ensemble import RandomForestRegressor

    model = RandomForestRegressor(n_estimators=int(params["trees"]), random_state=0).fit(X, y)
    return {{"loss": float(np.mean((model.predict(X) - y) ** 2)), "status": "ok",
             "bench_importable": importlib.util.find_spec("bench") is not None,
             "python": sys.executable}}


space = {{"trees": hp.quniform("trees", 2, 6, 1)}}
with bench.observe("by-value", results_dir={results!r}) as obs:
    obs.fmin(objective, space, tpe.suggest, max_evals=4, trials=SparkTrials(parallelism=2),
             rstate=np.random.default_rng(0), show_progressbar=False)
    tuned = TunedSparkTrials(parallelism=2)
    tuned.prewarm(objective)
    obs.fmin(objective, space, tpe.suggest, max_evals=4, trials=tuned,
             rstate=np.random.default_rng(0), show_progressbar=False)
print(json.dumps({{"path": str(obs.path), "driver_pid": os.getpid()}}))
'''


def test_observed_fmin_runs_on_executors_without_bench(tmp_path):
    python, built_s = executor_python()
    print(f"executor venv {python.parent.parent.name}: "
          + (f"built in {built_s:.0f} s" if built_s else "cached"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYSPARK_PYTHON"] = str(python)
    probe = subprocess.run([str(python), "-c", "import hyperopt, pyspark, sklearn, importlib.util;"
                            "print(importlib.util.find_spec('bench') is None)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert probe.stdout.strip() == "True", probe.stderr  # the user's libraries, no bench
    script = tmp_path / "notebook.py"
    script.write_text(DRIVER.format(root=str(ROOT), results=str(tmp_path / "results")))
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-4000:]
    ran = json.loads(out.stdout.strip().splitlines()[-1])
    folder = RunFolder(ran["path"])
    cells = folder.committed().cells
    assert [(c["trials_ok"], c["trials_failed"]) for c in cells] == [(4, 0), (4, 0)]
    trials = folder.committed().trials
    assert len(trials) == 8 and all(t["status"] == "ok" for t in trials), \
        [t["error"] for t in trials]
    for t in trials:  # ran in the second venv, without bench, and the probe measured it
        assert t["extra"] == {"bench_importable": False, "python": str(python)}
        assert t["objective_s"] > 0 and t["cpu_s"] is not None and t["pid"] is not None
        assert t["spark_task_attempt_id"] is not None and isinstance(t["threadpools"], list)
    assert ran["driver_pid"] not in {t["pid"] for t in trials}  # executors' workers
