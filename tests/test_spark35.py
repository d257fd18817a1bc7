"""PySpark 3.5 (the spark35 stack and fresh venvs): the harness and TunedSparkTrials beside the
Spark a user already runs. Marked `spark35`: run by .ci/run as its own timed step (it builds
the stack, downloading PySpark 3.5 once). The conformance suite on this stack is in
tests/test_conformance.py (same marker). What pip reports is kept in reports/spark35/.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench import stacks
from bench.storage import RunFolder
from tests.conftest import ROOT, SCENARIOS
from tests.test_conformance import stack_python

pytestmark = pytest.mark.spark35

PYSPARK = "pyspark==3.5.9"  # the spark35 stack's pin
OUT = ROOT / "reports" / "spark35"


def _run(cmd, env=None, timeout=1200, cwd=ROOT):
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=cwd,
                         timeout=timeout, env=env or os.environ)
    assert out.returncode == 0, (cmd, out.stdout[-2000:], out.stderr[-3000:])
    return out


def test_smoke_scenario_runs_on_spark35(tmp_path):
    python = stack_python("spark35")
    out = _run([sys.executable, "-m", "bench", "run", SCENARIOS / "smoke.py", "--stack",
                "spark35", "--quiet", "--results-dir", tmp_path, "--report"],
               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip().splitlines()[-1].endswith("report.md")
    folder = RunFolder(next(tmp_path.iterdir()))
    env = folder.manifest()["environment"]
    assert env["stack"]["name"] == "spark35" and env["packages"]["pyspark"].startswith("3.5.")
    assert env["pyspark_python"] == python
    trials = folder.committed().trials
    assert trials and all(t["status"] == "ok" for t in trials)
    spark = [t for t in trials if t["mode"] == "spark"]
    driver = {t["pid"] for t in trials if t["mode"] == "serial"}
    assert spark and all(t["spark_task_attempt_id"] is not None for t in spark)
    assert not driver & {t["pid"] for t in spark}


#: The README's "Your notebook" example with a small objective of its own, plus the same
#: call with TunedSparkTrials; run as a notebook runs it (objective in __main__).
OBSERVE_EXAMPLE = '''
import sys
import numpy as np
from hyperopt import SparkTrials, Trials, hp, tpe

import bench
from bench.tuned import TunedSparkTrials

X = np.arange(50.0)
y = 3 * X


def hyp_obj(params):
    return float(np.mean((params["w"] * X - y) ** 2))


search_space = {"w": hp.uniform("w", 0, 6)}
with bench.observe("rf-notebook", results_dir=sys.argv[1]) as obs:
    best = obs.fmin(fn=hyp_obj, space=search_space, algo=tpe.suggest, max_evals=6,
                    trials=SparkTrials(parallelism=2))
    best_serial = obs.fmin(fn=hyp_obj, space=search_space, algo=tpe.suggest, max_evals=6,
                           trials=Trials())
    best_tuned = obs.fmin(fn=hyp_obj, space=search_space, algo=tpe.suggest, max_evals=6,
                          trials=TunedSparkTrials(parallelism=2))
print(obs.path)
'''


def test_observe_example_runs_on_spark35(tmp_path):
    python = stack_python("spark35")
    script = tmp_path / "notebook.py"
    script.write_text(OBSERVE_EXAMPLE)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": python,
           "SPARK_LOCAL_IP": "127.0.0.1"}
    env.pop("VIRTUAL_ENV", None)
    out = _run([python, script, tmp_path / "results"], env=env)
    path = out.stdout.strip().splitlines()[-1]
    folder = RunFolder(path)
    assert folder.manifest()["status"] == "finished"
    cells = sorted(folder.committed().cells, key=lambda c: c["order"])
    assert [(c["mode"], c["variant"], c["trials_ok"]) for c in cells] == [
        ("spark", None, 6), ("serial", None, 6), ("spark", "tuned", 6)]
    spark_pids = {t["pid"] for t in folder.committed().trials if t["mode"] == "spark"}
    serial_pids = {t["pid"] for t in folder.committed().trials if t["mode"] == "serial"}
    assert spark_pids and not spark_pids & serial_pids
    _run([python, "-m", "bench", "diagnose", path], env=env)
    report = _run([python, "-m", "bench", "report", path, "--out", tmp_path / "report"],
                  env=env)
    assert report.stdout.strip().splitlines()[-1].endswith(".md")


def _venv(folder) -> str:
    _run([sys.executable, "-m", "venv", folder])
    return str(folder / "bin" / "python")


def _pip(python, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return _run([python, "-m", "pip", "install", "--disable-pip-version-check",
                 "--progress-bar", "off", *args], env=env, timeout=2400)


def _show(python, package) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return _run([python, "-m", "pip", "show", package], env=env).stdout


def test_pip_install_beside_pyspark35_keeps_it(tmp_path):
    """A user's environment with PySpark 3.5 first, then the harness: PySpark stays."""
    python = _venv(tmp_path / "venv")
    _pip(python, PYSPARK)
    _pip(python, "-e", ROOT)
    shown = _show(python, "pyspark")
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    listed = json.loads(_run([python, "-m", "pip", "list", "--format=json"], env=clean).stdout)
    resolved = ", ".join(f"{p['name']} {p['version']}" for p in listed if p["name"].lower() in
                         ("hyperopt", "numpy", "pandas", "scikit-learn", "lightgbm", "pyarrow"))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pip-install-beside-pyspark35.txt").write_text(
        f"$ pip install {PYSPARK}\n$ pip install -e .\n$ pip show pyspark\n{shown}\n"
        f"resolved beside it: {resolved}\n")
    assert "Version: 3.5.9" in shown, shown
    code = "import bench.runner, bench.tuned, pyspark; print(pyspark.__version__)"
    assert _run([python, "-c", code], env=clean, cwd=tmp_path).stdout.strip() == "3.5.9"


def test_no_deps_install_runs_tuned_spark_trials_on_pyspark35(tmp_path):
    """The README's route for TunedSparkTrials alone: a runtime with PySpark 3.5 and hyperopt,
    then `pip install --no-deps`: nothing else is installed, and a tuned fmin runs."""
    python = _venv(tmp_path / "venv")
    _pip(python, PYSPARK, "hyperopt")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def installed():
        out = _run([python, "-m", "pip", "list", "--format=json"], env=env, cwd=tmp_path)
        return {p["name"].lower() for p in json.loads(out.stdout)}

    before = installed()
    _pip(python, "--no-deps", "-e", ROOT)
    assert installed() - before == {"sparktrials-bench"}
    env.update(PYSPARK_PYTHON=python, SPARK_LOCAL_IP="127.0.0.1")
    out = _run([python, ROOT / "tests" / "dropin_child.py", "bare"], env=env, cwd=tmp_path)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["states"] == [2] * 4 and got["tuned"] and got["loaded"] == [], got
    assert all(r["pid"] != got["driver_pid"] and r["python"] == python
               for r in got["results"]), got
    assert "Version: 3.5.9" in _show(python, "pyspark") and "pandas" not in installed()
    assert stacks.get("spark35").packages[0] == PYSPARK
