"""A user's own job on real local Spark: own scenario from a folder outside the repository,
shipping pre-flight, real error text, hyperopt's result conventions, bench.observe."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from bench import runner
from bench.analysis import analyze, load_run
from bench.diagnosis import diagnose
from bench.report import write_report
from bench.errors import BenchError
from bench.storage import RunFolder
from tests.conftest import ROOT, write_scenario

pytestmark = pytest.mark.spark

OWN = '''
"""Own model on own pandas data; features.py sits next to this file."""
from pathlib import Path

import pandas as pd
from hyperopt import hp
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import mean_squared_error

from features import add_square

CSV = Path(__file__).parent / "data.csv"


def load():
    df = add_square(pd.read_csv(CSV))
    cut = int(len(df) * 0.75)
    X, y = df.drop(columns="y"), df["y"]
    return X[:cut], y[:cut], X[cut:], y[cut:]


def fit(params, data, cast):
    X_train, y_train, X_valid, y_valid = data
    split = int(params["min_samples_split"]) if cast else params["min_samples_split"]
    model = RandomForestRegressor(n_estimators=int(params["n_estimators"]),
                                  min_samples_split=split, random_state=0).fit(X_train, y_train)
    return {"loss": mean_squared_error(y_valid, model.predict(X_valid)), "status": "ok",
            "rows": len(X_train)}


def objective(params, data):
    return fit(params, data, cast=True)


def objective_nocast(params, data):
    return fit(params, data, cast=False)


SPACE = {"n_estimators": hp.quniform("n_estimators", 5, 10, 5),
         "min_samples_split": hp.quniform("min_samples_split", 2, 6, 1)}
SCENARIO = {"name": "own", "max_evals": 3, "parallelism": [2],
            "max_queue_len": ["parallelism"], "algo": "rand",
            "workloads": [
                {"name": "rf-int", "objective": objective, "data": load, "space": SPACE},
                {"name": "rf-float", "objective": objective_nocast, "data": load,
                 "space": SPACE}]}
'''


def _write_user_folder(folder):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(120, 4)), columns=list("abcd"))
    df["y"] = 3 * df["a"] + rng.normal(scale=0.1, size=120)
    df.to_csv(folder / "data.csv", index=False)
    (folder / "features.py").write_text(
        "def add_square(df):\n    return df.assign(a2=df['a'] ** 2)\n")
    return write_scenario(folder, OWN)


@pytest.fixture(scope="module")
def own_run(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("userjob")
    assert ROOT not in folder.parents  # a folder outside the repository
    path = runner.run(_write_user_folder(folder), spark=spark,
                      results_dir=folder / "results", quiet=True)
    return RunFolder(path)


def _by_mode(trials, workload):
    out: dict = {}
    for t in trials:
        if t["workload"] == workload:
            out.setdefault(t["mode"], []).append(t)
    return out


def test_own_objective_runs_in_executors_and_reports(own_run):
    by_mode = _by_mode(own_run.committed().trials, "rf-int")
    statuses = {m: [t["status"] for t in ts] for m, ts in by_mode.items()}
    print("rf-int statuses by mode:", statuses)
    assert statuses == {"serial": ["ok"] * 3, "spark": ["ok"] * 3}
    assert all(t["pid"] != os.getpid() and t["spark_task_attempt_id"] is not None
               for t in by_mode["spark"])
    assert all(t["extra"] == {"rows": 90} for ts in by_mode.values() for t in ts)
    shipping = own_run.manifest()["shipping"]
    assert shipping["rf-int"]["pickled_bytes"] > 1000  # objective, helper and data travel
    report = write_report(own_run.path).read_text()
    assert "### rf-int" in report
    diagnose(own_run.path)


def test_failing_own_objective_names_the_parameter_and_reports_no_speedup(own_run):
    by_mode = _by_mode(own_run.committed().trials, "rf-float")
    statuses = {m: [t["status"] for t in ts] for m, ts in by_mode.items()}
    print("rf-float statuses by mode:", statuses)
    print("first spark error:", by_mode["spark"][0]["error"].splitlines()[0])
    assert statuses == {"serial": ["fail"] * 3, "spark": ["fail"] * 3}
    assert all("min_samples_split" in t["error"] and t["pid"] != os.getpid()
               for t in by_mode["spark"])
    assert all("InvalidParameterError" in t["traceback"] for t in by_mode["spark"])
    analysis = analyze(load_run(own_run.path))
    assert analysis.speedups[analysis.speedups["workload"] == "rf-float"].empty
    walls = analysis.walls[analysis.walls["workload"] == "rf-float"]
    assert walls["wall_median_s"].isna().all() and (walls["cells_incomplete"] == 1).all()
    assert analysis.speedups[analysis.speedups["workload"] == "rf-int"]["speedup"].notna().all()
    report = write_report(own_run.path).read_text()
    rf_float = report.split("### rf-float")[1].split("###")[0]
    assert "**Every spark trial failed**" in rf_float and "**Every serial trial failed**" in rf_float
    assert "## Failed trials" in report and "min_samples_split" in report
    assert not any(f.id.startswith("fixed-overhead:rf-float") for f in diagnose(own_run.path))


UNSHIPPABLE = {
    "lock": ("import threading\nLOCK = threading.Lock()\n"
             "def objective(params, data):\n    with LOCK:\n        return params['x'] ** 2\n",
             "TypeError: cannot pickle '_thread.lock' object"),
    "driver-only module": ("import sys\nsys.path.insert(0, {elsewhere!r})\n"
                           "from driver_only import square\n"
                           "def objective(params, data):\n    return square(params['x'])\n",
                           "ModuleNotFoundError: No module named 'driver_only'"),
}


@pytest.mark.parametrize("case", sorted(UNSHIPPABLE))
def test_unshippable_objective_is_refused_before_any_cell(tmp_path, case):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "driver_only.py").write_text("def square(x):\n    return x * x\n")
    body, expected = UNSHIPPABLE[case]
    (tmp_path / "job").mkdir()  # the module is not next to the scenario: not shipped with it
    scn = write_scenario(tmp_path / "job", body.format(elsewhere=str(elsewhere)) + (
        "from hyperopt import hp\n"
        "SCENARIO = {'name': 'unshippable', 'max_evals': 2, 'parallelism': [1],\n"
        "            'workloads': [{'name': 'mine', 'objective': objective,\n"
        "                           'data': lambda: None, 'space': {'x': hp.uniform('x', 0, 1)}}]}\n"))
    results = tmp_path / "results"
    out = subprocess.run([sys.executable, "-m", "bench", "run", str(scn), "--results-dir",
                          str(results), "--quiet"], capture_output=True, text=True, cwd=ROOT,
                         timeout=300)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "workloads[0].objective: cannot be shipped to executors" in lines[0]
    assert expected in lines[0], lines[0]
    (folder,) = results.iterdir()
    assert not (folder / "cells.jsonl").exists() and RunFolder(folder).manifest()["status"] == "failed"


CONVENTIONS = '''
import numpy as np
from hyperopt import hp

RETURNS = {"status-fail": {"status": "fail", "error": "diverged"}, "string": "0.5",
           "nan": float("nan"), "inf": {"loss": float("inf"), "status": "ok"},
           "array": np.array([1.0, 2.0]), "no-status": {"loss": 0.5},
           "numeric-string": {"loss": "0.25", "status": "ok"},
           "good": {"loss": 0.5, "status": "ok", "auc": 0.75}}


def make(kind):
    def objective(params, data):
        return RETURNS[kind]
    return objective


SCENARIO = {"name": "conventions", "max_evals": 2, "modes": ["serial"], "algo": "rand",
            "workloads": [{"name": k, "objective": make(k), "data": lambda: None,
                           "space": {"x": hp.uniform("x", 0, 1)}} for k in RETURNS]}
'''


def test_the_runner_reads_returns_by_hyperopt_s_rules_and_the_run_goes_on(tmp_path):
    path = runner.run(write_scenario(tmp_path, CONVENTIONS), results_dir=tmp_path / "r",
                      quiet=True)
    folder = RunFolder(path)
    trials = folder.committed().trials
    seen = {t["workload"]: (t["status"], t["loss"], t["loss_nonfinite"]) for t in trials}
    assert seen == {"status-fail": ("fail", None, None), "string": ("fail", None, None),
                    "nan": ("ok", None, "nan"), "inf": ("ok", None, "inf"),
                    "array": ("fail", None, None), "no-status": ("fail", None, None),
                    "numeric-string": ("ok", 0.25, None), "good": ("ok", 0.5, None)}
    errors = {t["workload"]: t["error"] for t in trials if t["status"] == "fail"}
    assert errors["status-fail"] == "objective returned status 'fail': diverged"
    assert errors["no-status"].startswith("hyperopt rejects the objective's return value, dict")
    assert "a result dict needs 'status'" in errors["no-status"]
    assert "str '0.5'" in errors["string"] and "ndarray of shape (2,)" in errors["array"]
    cells = {c["workload"]: c for c in folder.committed().cells}
    assert len(cells) == 8 and all(c["error"] is None for c in cells.values())
    # a non-finite loss is an ok trial (the cell is complete) left out of loss statistics
    assert cells["nan"]["trials_ok"] == cells["inf"]["trials_ok"] == 2
    assert cells["nan"]["best_loss"] is None and cells["inf"]["best_loss"] is None
    analysis = analyze(load_run(path))
    walls = analysis.walls.set_index("workload")
    assert walls.loc["nan", "cells_incomplete"] == 0 and walls.loc["string", "cells_incomplete"] == 1
    final = analysis.final_loss.set_index("workload")["final_best_loss_median"]
    assert np.isnan(final["inf"]) and final["good"] == 0.5
    good = [t for t in trials if t["workload"] == "good"]
    assert all(t["status"] == "ok" and t["extra"] == {"auc": 0.75} for t in good)


def test_data_loader_error_is_one_line_naming_the_loader(tmp_path):
    scn = write_scenario(tmp_path, (
        "import pandas as pd\nfrom hyperopt import hp\n"
        "SCENARIO = {'name': 'noload', 'modes': ['serial'], 'workloads': [\n"
        "  {'name': 'mine', 'objective': lambda p, d: 0.0,\n"
        "   'data': lambda: pd.read_csv('/nonexistent/train.csv'),\n"
        "   'space': {'x': hp.uniform('x', 0, 1)}}]}\n"))
    with pytest.raises(BenchError, match=r"scn.py: workloads\[0\].data: the data loader raised "
                                         r"FileNotFoundError: .*train.csv") as err:
        runner.run(scn, results_dir=tmp_path / "r", quiet=True)
    assert "\n" not in str(err.value)


N_JOBS = '''
import time
from hyperopt import hp

def takes(params, data, n_jobs):
    return {"loss": 0.0, "status": "ok", "n_jobs_seen": n_jobs}

def ignores(params, data):
    time.sleep(0.3)
    return 0.0

SCENARIO = {"name": "threads", "modes": ["serial"], "max_evals": 3, "n_jobs": [1, 2],
            "timeout_s": 0.5, "workloads": [
                {"name": "takes", "objective": takes, "data": lambda: None,
                 "space": {"x": hp.uniform("x", 0, 1)}},
                {"name": "ignores", "objective": ignores, "data": lambda: None,
                 "space": {"x": hp.uniform("x", 0, 1)}EXTRA}]}
'''


def test_n_jobs_reaches_objectives_that_take_it_and_timeout_ends_a_cell(tmp_path):
    bad = N_JOBS.replace("EXTRA", ', "n_jobs": [1, 2]')
    with pytest.raises(BenchError, match=r"workloads\[1\].n_jobs: the objective takes no n_jobs"):
        runner.run(write_scenario(tmp_path, bad, "bad.py"), results_dir=tmp_path / "r")
    path = runner.run(write_scenario(tmp_path, N_JOBS.replace("EXTRA", "")),
                      results_dir=tmp_path / "r", quiet=True)
    folder = RunFolder(path)
    cells = {c["cell_id"]: c for c in folder.committed().cells}
    assert sorted(cells) == ["ignores.serial.native.njNone.e3.r0",
                             "takes.serial.native.nj1.e3.r0", "takes.serial.native.nj2.e3.r0"]
    seen = {(t["n_jobs"], t["extra"]["n_jobs_seen"], t["model_threads_requested"])
            for t in folder.committed().trials if t["workload"] == "takes"}
    assert seen == {(1, 1, 1), (2, 2, 2)}
    # 0.3 s trials under timeout_s 0.5: fmin starts no trial after 0.5 s, so 3 never finish
    assert cells["ignores.serial.native.njNone.e3.r0"]["trials_ok"] < 3
    analysis = analyze(load_run(path))
    row = analysis.walls[analysis.walls["workload"] == "ignores"].iloc[0]
    assert row["cells_incomplete"] == 1 and np.isnan(row["wall_median_s"])


NOTEBOOK = '''
import numpy as np
from hyperopt import SparkTrials, Trials, hp, rand

X_train = np.arange(40.0)
y_train = 2 * X_train


def hyp_obj(params):
    return float(np.mean((params["w"] * X_train - y_train) ** 2))


class DriverOnly:
    """Unpickles only where the module it names exists: not on an executor."""

    def __reduce__(self):
        import importlib
        return importlib.import_module, ("bench_test_driver_only_module",)


HANDLE = DriverOnly()


def broken_obj(params):
    return HANDLE and 0.0
'''


def test_observe_records_a_notebooks_fmin_calls(spark, tmp_path):
    import bench
    from hyperopt import SparkTrials, Trials, fmin, hp, rand

    nb = {"__name__": "__main__"}  # what a notebook's objective is: pickled by value
    exec(NOTEBOOK, nb)
    space = {"w": hp.uniform("w", 0, 4)}
    with bench.observe("rf-notebook", results_dir=tmp_path / "results") as obs:
        best = obs.fmin(fn=nb["hyp_obj"], space=space, algo=rand.suggest, max_evals=3,
                        trials=SparkTrials(parallelism=2, spark_session=spark),
                        rstate=np.random.default_rng(0), show_progressbar=False)
        best_serial = obs.fmin(fn=nb["hyp_obj"], space=space, algo=rand.suggest, max_evals=3,
                               trials=Trials(), rstate=np.random.default_rng(0),
                               show_progressbar=False)
        plain = fmin(fn=nb["hyp_obj"], space=space, algo=rand.suggest, max_evals=3,
                     trials=Trials(), rstate=np.random.default_rng(0), show_progressbar=False)
        # hyperopt's own error when no spark trial succeeded reaches the caller unchanged
        with pytest.raises(Exception, match="There are no evaluation tasks"):
            obs.fmin(fn=nb["broken_obj"], space=space, algo=rand.suggest, max_evals=2,
                     trials=SparkTrials(parallelism=2, spark_session=spark),
                     show_progressbar=False)
    assert best_serial == plain and set(best) == {"w"}
    folder = RunFolder(obs.path)
    assert folder.manifest()["status"] == "finished"
    trials = folder.committed().trials
    counts = {c["cell_id"]: (c["trials_ok"], c["trials_failed"]) for c in folder.committed().cells}
    assert counts == {"hyp_obj.spark.p2q1.njNone.e3.r0": (3, 0),
                      "hyp_obj.serial.native.njNone.e3.r0": (3, 0),
                      "broken_obj.spark.p2q1.njNone.e2.r0": (0, 2)}
    spark_ok = [t for t in trials if t["workload"] == "hyp_obj" and t["mode"] == "spark"]
    assert all(t["status"] == "ok" and t["pid"] != os.getpid() for t in spark_ok)
    broken = [t for t in trials if t["workload"] == "broken_obj"]
    print("first error of a spark task that failed outside the objective:", broken[0]["error"])
    assert all(t["status"] == "error" and "ModuleNotFoundError" in t["error"]
               and "bench_test_driver_only_module" in t["error"] for t in broken)
    findings = diagnose(obs.path)
    assert isinstance(findings, list)
    report = write_report(obs.path).read_text()
    assert "rf-notebook" in report and "bench_test_driver_only_module" in report



AWKWARD = '''
import numpy as np

#: what hyperopt accepts: ok (NaN and +-inf included; a numeric string or a bool as a dict's
#: loss is float()ed) or a failed trial
ACCEPTED = [0.25, float("nan"), float("inf"), {"loss": "0.5", "status": "ok"},
            {"loss": True, "status": "ok"}, np.float32(0.75), {"status": "fail"},
            float("-inf"), 2]
#: what hyperopt rejects: a bare string, a dict without status; then an exception
REJECTED = ["0.5", {"loss": 0.5}]


def accepted(params):
    return ACCEPTED[int(params["i"]) % len(ACCEPTED)]


def every_value(params):
    i = int(params["i"])
    if i == len(ACCEPTED) + len(REJECTED):
        raise ValueError("objective raised")
    return (ACCEPTED + REJECTED)[i]
'''


def _outcome(call):
    """What a call did: its return value, or the exception it raised (type and text)."""
    try:
        return ("returned", call())
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc))


def _history(trials) -> list:
    """hyperopt's own record of every trial: tid, state, point, status, loss (NaN as text)."""
    out = []
    for d in sorted(trials._dynamic_trials, key=lambda d: d["tid"]):
        loss = d["result"].get("loss")
        out.append((d["tid"], d["state"], d["misc"]["vals"], d["result"].get("status"),
                    None if loss is None else repr(float(loss))))
    return out


def test_observe_keeps_hyperopt_s_rules_exactly(spark, tmp_path):
    """The same fmin with and without bench.observe, for objectives returning every awkward
    value: same return value (or the same exception), same trials (tids, states, points,
    statuses, losses) — serial Trials under TPE and SparkTrials."""
    import functools

    import bench
    from hyperopt import SparkTrials, Trials, fmin, hp, tpe

    from bench.points import Replay

    nb = {"__name__": "__main__"}  # a notebook's objectives: pickled by value
    exec(AWKWARD, nb)
    n = len(nb["ACCEPTED"]) + len(nb["REJECTED"]) + 1
    every = [{"i": [i]} for i in range(n)]
    tpe3 = functools.partial(tpe.suggest, n_startup_jobs=3)  # TPE uses the history early
    calls = {  # name -> (fn, space, algo maker, trials maker, max_evals, fmin options)
        "serial-tpe": (nb["accepted"], {"i": hp.randint("i", 30)}, lambda: tpe3, Trials,
                       14, {}),
        "serial-rejected": (nb["every_value"], {"i": hp.randint("i", n)},
                            lambda: Replay(every), Trials, n, {}),
        "spark-every-value": (nb["every_value"], {"i": hp.randint("i", n)},
                              lambda: Replay(every),
                              lambda: SparkTrials(parallelism=2, spark_session=spark), n,
                              {"max_queue_len": 2}),
    }
    got = {}
    with bench.observe("awkward", results_dir=tmp_path / "results") as obs:
        for name, (fn, space, algo, make, evals, opts) in calls.items():
            for who, fmin_fn in (("hyperopt", fmin), ("observed", obs.fmin)):
                trials = make()
                did = _outcome(lambda: fmin_fn(
                    fn=fn, space=space, algo=algo(), max_evals=evals, trials=trials,
                    rstate=np.random.default_rng(7), show_progressbar=False, **opts))
                got[name, who] = (did, _history(trials))
    for name in calls:
        print(name, got[name, "hyperopt"][0], [h[1:] for h in got[name, "hyperopt"][1]])
        assert got[name, "observed"] == got[name, "hyperopt"], name
    # the awkward values were really met, and hyperopt treated them as documented
    losses = {h[4] for h in got["serial-tpe", "hyperopt"][1]}
    assert got["serial-tpe", "hyperopt"][0][0] == "returned" and {"nan", "inf", "-inf"} <= losses
    assert got["serial-rejected", "hyperopt"][0][:2] == ("raised", "ValueError")
    spark_history = got["spark-every-value", "hyperopt"][1]
    assert [h[1] for h in spark_history] == [2] * len(nb["ACCEPTED"]) + [3] * 3  # 3 = error
    # the records: NaN and inf are ok trials, flagged; what hyperopt rejected is an error
    records = [t for t in RunFolder(obs.path).committed().trials
               if t["cell_id"].startswith("every_value.spark")]
    assert [(t["status"], t["loss_nonfinite"]) for t in records][:3] == [
        ("ok", None), ("ok", "nan"), ("ok", "inf")]
    assert [t["status"] for t in records][-3:] == ["error"] * 3
    assert "ValueError: objective raised" in records[-1]["error"]
    assert all(t["pid"] != os.getpid() for t in records if t["status"] == "ok")
