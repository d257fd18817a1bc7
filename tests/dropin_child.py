"""A Spark session of its own for tests/test_tuned_dropin.py: settings the suite's shared
session cannot change (pinned-thread mode, task retries, modules that must not be there).

    python tests/dropin_child.py pin-off|retries|bare

(bare: run with the python of `bare_venv`, which has hyperopt and pyspark only.)

Runs stock SparkTrials and TunedSparkTrials side by side (bare: TunedSparkTrials alone) and
prints one JSON line with what happened. Objectives are defined inside functions, so they
travel by value and the executors need nothing from this checkout.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import uuid

#: What the harness needs and TunedSparkTrials must not (absent from the bare venv).
HARNESS_ONLY = ("pandas", "pyarrow", "matplotlib", "lightgbm", "sklearn", "psutil",
                "threadpoolctl", "markdown")


def session(master: str):
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(master).appName("dropin-child")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false").getOrCreate())


def fmin_docs(trials, fn, max_evals: int) -> list:
    import numpy as np
    from hyperopt import fmin, hp, rand

    try:
        fmin(fn, hp.uniform("x", 0, 1), algo=rand.suggest, max_evals=max_evals, trials=trials,
             show_progressbar=False, return_argmin=False, rstate=np.random.default_rng(0))
    except Exception as exc:  # all trials failed: hyperopt says so; the docs tell the rest
        if "no evaluation tasks" not in str(exc):
            raise
    return [{"state": d["state"], "result": d["result"], "error": d["misc"].get("error")}
            for d in trials._dynamic_trials]


def classes():
    from hyperopt.spark import SparkTrials

    from bench.tuned import TunedSparkTrials

    return {"stock": SparkTrials, "tuned": TunedSparkTrials}


def pin_off(spark) -> dict:
    """PYSPARK_PIN_THREAD=false: hyperopt takes its non-pinned path (no job-group cancel on
    PySpark 4); tuned must run there as stock does."""
    def objective(x):
        return {"loss": x, "status": "ok", "pid": os.getpid()}

    out = {}
    for name, cls in classes().items():
        trials = cls(parallelism=2, spark_session=spark)
        docs = fmin_docs(trials, objective, 4)
        out[name] = {"pinned": trials._spark_pinned_threads_enabled,
                     "job_cancelling": trials._spark_supports_job_cancelling,
                     "states": [d["state"] for d in docs],
                     "pids": [d["result"].get("pid") for d in docs],
                     "max_queue_len": getattr(trials, "max_queue_len_used", 1)}
    return out


def retries(spark) -> dict:
    """local[2,3] retries a failed Spark task: an objective's exception is not a task failure
    (no retry, hyperopt returns it), a dead worker is (Spark retries it), stock and tuned."""
    out = {}
    for name, cls in classes().items():
        calls = tempfile.mkdtemp()

        def raising(x, calls=calls):
            open(os.path.join(calls, uuid.uuid4().hex), "w").close()
            raise ValueError("objective failed")

        docs = fmin_docs(cls(parallelism=2, spark_session=spark), raising, 2)
        marker = os.path.join(tempfile.mkdtemp(), "crashed-pid")

        def crash_once(x, marker=marker):
            if not os.path.exists(marker):
                with open(marker, "w") as f:
                    f.write(str(os.getpid()))
                os._exit(3)  # the Python worker dies: a Spark task failure
            return {"loss": x, "status": "ok", "pid": os.getpid()}

        crashed = fmin_docs(cls(parallelism=1, spark_session=spark), crash_once, 1)
        out[name] = {"raising_states": [d["state"] for d in docs],
                     "raising_calls": len(os.listdir(calls)),
                     "crash_states": [d["state"] for d in crashed],
                     "crash_pid": int(open(marker).read()),
                     "retry_pid": crashed[0]["result"].get("pid")}
    return out


def bare(spark) -> dict:
    """TunedSparkTrials in an environment with hyperopt, pyspark and what they need only."""
    from bench.tuned import TunedSparkTrials

    def objective(x):
        import importlib.util
        import sys

        return {"loss": x, "status": "ok", "pid": os.getpid(), "python": sys.executable,
                "absent": [m for m in HARNESS_ONLY if importlib.util.find_spec(m) is None]}

    trials = TunedSparkTrials(parallelism=2, spark_session=spark)
    warm = trials.prewarm(objective)
    docs = fmin_docs(trials, objective, 4)
    return {"states": [d["state"] for d in docs], "results": [d["result"] for d in docs],
            "prewarmed_pids": list(warm.pids), "tuned": trials.tuned,
            "loaded": sorted(m for m in HARNESS_ONLY if m in sys.modules),
            "python": sys.executable}


def _closure(roots: dict) -> set:
    """Distributions that `roots` ({name: extras}) need, by their installed metadata."""
    import importlib.metadata as md

    from packaging.requirements import Requirement

    todo, seen = [(n, frozenset(e)) for n, e in roots.items()], set()
    while todo:
        name, extras = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        for text in md.requires(name) or []:
            req = Requirement(text)
            if req.marker is None or any(req.marker.evaluate({"extra": e})
                                         for e in (extras or {""})):
                todo.append((req.name, frozenset(req.extras)))
    return seen


def bare_venv(folder: str) -> str:
    """A venv holding hyperopt (with its sparktrials extra: pyspark, py4j) and what they
    need, linked from this environment's site-packages, and nothing else; its python."""
    import importlib.metadata as md
    import subprocess
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", folder], check=True)
    site = os.path.join(folder, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}",
                        "site-packages")
    here = sysconfig.get_paths()["purelib"]
    for name in sorted(_closure({"hyperopt": {"sparktrials"}})):
        tops = {str(f).split("/")[0] for f in md.distribution(name).files or []}
        for top in sorted(t for t in tops if t not in ("..", "__pycache__")):
            if os.path.exists(os.path.join(here, top)):
                os.symlink(os.path.join(here, top), os.path.join(site, top))
    return os.path.join(folder, "bin", "python")


def main(mode: str) -> None:
    master = {"retries": "local[2,3]"}.get(mode, "local[2]")
    spark = session(master)
    try:
        result = {"pin-off": pin_off, "retries": retries, "bare": bare}[mode](spark)
    finally:
        spark.stop()
    print(json.dumps({"driver_pid": os.getpid(), **result}))


if __name__ == "__main__":
    main(sys.argv[1])
