"""Workloads: seeded synthetic data, default search spaces and the objectives that train.

Objectives are small classes rather than closures so that what SparkTrials pickles for every
trial is explicit: the class by reference (bench is installed where the trial runs) and the
training data by value, which is the cost users pay when their objective captures a DataFrame.
"""
from __future__ import annotations

import hashlib
import importlib
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from hyperopt import hp

from .errors import BenchError
from .trial_result import is_number


def make_data(rows: int, features: int, noise: float = 10.0, seed: int = 0):
    """A regression problem split 75/25 into (X_train, y_train, X_valid, y_valid)."""
    from sklearn.datasets import make_regression

    X, y = make_regression(n_samples=rows, n_features=features, n_informative=max(1, features // 2),
                           noise=noise, random_state=seed)
    X = X.astype(np.float32)
    cut = max(1, int(rows * 0.75))
    if cut >= rows:  # too few rows to hold any out: validate on the training rows
        return X, y, X, y
    return X[:cut], y[:cut], X[cut:], y[cut:]


def _rf_space() -> dict:
    return {
        "n_estimators": hp.choice("n_estimators", [20, 40]),
        "max_depth": hp.choice("max_depth", [4, 8, 16]),
        "min_samples_split": hp.quniform("min_samples_split", 2, 8, 1),
        "bootstrap": hp.choice("bootstrap", [True, False]),
    }


def _lgbm_space() -> dict:
    return {
        "n_estimators": hp.choice("n_estimators", [50, 100]),
        "num_leaves": hp.quniform("num_leaves", 8, 64, 8),
        "learning_rate": hp.loguniform("learning_rate", math.log(0.01), math.log(0.3)),
        "min_child_samples": hp.quniform("min_child_samples", 5, 40, 5),
    }


def _sleep_space() -> dict:
    return {"x": hp.uniform("x", -1.0, 1.0)}


def _ints(params: dict, keys) -> dict:
    """hyperopt's quniform gives floats; models want ints."""
    return {k: (int(v) if k in keys and v is not None else v) for k, v in params.items()}


def _mse(y_true, y_pred) -> float:
    return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))


def openmp_threads() -> int | None:
    """Threads the OpenMP runtime will use by default in this process."""
    from threadpoolctl import threadpool_info

    pools = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "openmp"]
    return max(pools) if pools else None


def booster_threads(params: dict):
    """num_threads from a fitted booster's params under any of LightGBM's aliases: 4.x stores
    'num_threads', 3.x keeps the sklearn name 'n_jobs'."""
    for key in ("num_threads", "n_jobs", "num_thread", "nthread", "nthreads"):
        if params.get(key) is not None:
            return params[key]
    return None


class _ModelObjective:
    """A regressor trained on captured data with one thread setting and fixed extra params;
    loss = validation MSE. A subclass names the model's module, its integer parameters,
    how to construct it and how many threads it really used."""

    #: imported by `prepare`, outside the timed objective (the probe's set-up time)
    MODULE = ""
    #: hyperparameters hyperopt draws as floats (quniform) that the model takes as ints
    INT_PARAMS: tuple[str, ...] = ()

    def __init__(self, data, n_jobs=None, params: dict | None = None):
        self.data, self.n_jobs, self.fixed = data, n_jobs, dict(params or {})

    @classmethod
    def prepare(cls):
        importlib.import_module(cls.MODULE)

    def model(self, **params):
        raise NotImplementedError

    def threads_used(self, model) -> int | None:
        raise NotImplementedError

    def __call__(self, params: dict) -> dict:
        Xtr, ytr, Xva, yva = self.data
        model = self.model(**_ints({**self.fixed, **params}, self.INT_PARAMS)).fit(Xtr, ytr)
        return {"loss": _mse(yva, model.predict(Xva)), "status": "ok",
                "model_threads_requested": self.n_jobs,
                "model_threads_effective": self.threads_used(model)}


class RandomForestObjective(_ModelObjective):
    """sklearn RandomForestRegressor on the captured data; loss = validation MSE."""

    MODULE = "sklearn.ensemble"
    INT_PARAMS = ("n_estimators", "max_depth", "min_samples_split")

    def model(self, **params):
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(n_jobs=self.n_jobs, random_state=0, **params)

    def threads_used(self, model) -> int:
        from joblib import effective_n_jobs

        return int(effective_n_jobs(self.n_jobs))


class LightGBMObjective(_ModelObjective):
    """LightGBM LGBMRegressor on the captured data; loss = validation MSE.

    n_jobs=0 means 'OpenMP default' (which honours OMP_NUM_THREADS): LightGBM 3.x's default
    behaviour. n_jobs=None is LightGBM 4.x's default: physical cores, ignoring OMP_NUM_THREADS.
    """

    MODULE = "lightgbm"
    INT_PARAMS = ("n_estimators", "num_leaves", "min_child_samples", "max_depth")

    def model(self, **params):
        from lightgbm import LGBMRegressor

        return LGBMRegressor(n_jobs=self.n_jobs, verbose=-1, random_state=0, **params)

    def threads_used(self, model) -> int | None:
        used = booster_threads(model.booster_.params)
        if used is None or int(used) <= 0:
            used = openmp_threads()
        return None if used is None else int(used)


def _burn_until(deadline: float) -> None:
    """Keep one core busy until the deadline; hashlib releases the GIL on large buffers,
    so several of these threads really run in parallel."""
    block = b"\0" * (1 << 18)
    h = hashlib.sha256()
    while time.perf_counter() < deadline:
        h.update(block)


def sleep_threads(n_jobs, default: int) -> int:
    """Busy threads of the sleep workload, read like a model's n_jobs: None -> the scenario's
    default, 0 -> OpenMP default (honours OMP_NUM_THREADS), -1 -> all logical cores."""
    if n_jobs is None:
        return default
    if n_jobs == 0:
        return int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)
    if n_jobs < 0:
        return max((os.cpu_count() or 1) + 1 + n_jobs, 1)
    return n_jobs


class SleepObjective:
    """Calibration workload: known duration and a known number of busy threads.

    threads=0 sleeps; threads=k keeps k cores busy for `seconds`. loss = x**2.
    """

    def __init__(self, seconds: float, threads: int = 0, n_jobs=None):
        self.seconds, self.default_threads, self.n_jobs = seconds, threads, n_jobs

    def __call__(self, params: dict) -> dict:
        k = sleep_threads(self.n_jobs, self.default_threads)
        deadline = time.perf_counter() + self.seconds
        if k <= 0:
            time.sleep(self.seconds)
        else:
            workers = [threading.Thread(target=_burn_until, args=(deadline,)) for _ in range(k - 1)]
            for w in workers:
                w.start()
            _burn_until(deadline)
            for w in workers:
                w.join()
        return {"loss": float(params.get("x", 0.0)) ** 2, "status": "ok",
                "model_threads_requested": self.n_jobs, "model_threads_effective": k}


def accepts_n_jobs(fn: Callable) -> bool:
    """Does an own objective take the cell's thread setting, as objective(params, data, n_jobs)?"""
    import inspect

    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any((p.name == "n_jobs" and p.kind != p.POSITIONAL_ONLY) or p.kind == p.VAR_KEYWORD
               for p in params)


class CustomObjective:
    """A scenario's own objective(params, data) or objective(params, data, n_jobs): returns a
    loss or a dict with 'loss' (hyperopt's conventions, checked by the probe)."""

    def __init__(self, fn: Callable, data: Any, n_jobs=None):
        self.fn, self.data, self.n_jobs = fn, data, n_jobs
        self.takes_n_jobs = accepts_n_jobs(fn)

    def __call__(self, params: dict):
        if not self.takes_n_jobs:
            return self.fn(params, self.data)
        out = self.fn(params, self.data, n_jobs=self.n_jobs)
        if isinstance(out, dict):
            return {"model_threads_requested": self.n_jobs, **out}
        if is_number(out):  # hyperopt's own reading of a bare number
            return {"loss": out, "status": "ok", "model_threads_requested": self.n_jobs}
        return out  # hyperopt rejects it; the probe says why


def load_data(workload: dict, index: int):
    """Call an own workload's data loader; its failure is the user's to fix, so it becomes one
    line naming the loader, not a traceback from the middle of a run."""
    try:
        return workload["data"]()
    except Exception as exc:
        text = str(exc).strip().splitlines()
        raise BenchError(f"workloads[{index}].data: the data loader raised "
                         f"{type(exc).__name__}: {text[0] if text else ''}") from None


def _data_settings(workload: dict, settings: dict) -> dict:
    """The synthetic data's settings: the scenario's, overridden by the workload's own."""
    own = workload.get("data")
    return {**settings["data"], **(own if isinstance(own, dict) else {})}


def _model(cls: type) -> Callable:
    def make(workload: dict, settings: dict, n_jobs):
        return cls(make_data(**_data_settings(workload, settings)), n_jobs=n_jobs,
                   params=workload.get("params"))
    return make


def _sleep(workload: dict, settings: dict, n_jobs) -> SleepObjective:
    s = settings["sleep"]
    seconds = workload.get("sleep_seconds", s.get("seconds", 0.3))
    return SleepObjective(seconds, s.get("threads", 0), n_jobs)


@dataclass(frozen=True)
class Builtin:
    """A workload that ships with bench: its default search space and how a scenario's
    entry becomes its objective under one thread setting."""

    space: Callable[[], dict]
    objective: Callable[[dict, dict, Any], Callable[[dict], dict]]


SLEEP = "sleep"
#: The built-in workloads by name: the one list scenarios, the grid and `build` use.
BUILTINS: dict[str, Builtin] = {
    "rf": Builtin(_rf_space, _model(RandomForestObjective)),
    "lgbm": Builtin(_lgbm_space, _model(LightGBMObjective)),
    SLEEP: Builtin(_sleep_space, _sleep),
}


def builtin_of(workload: dict) -> Builtin | None:
    """The built-in a scenario's workload runs ('sleep_0.2s' runs sleep); None for an own
    objective (or a name that is not built in)."""
    if "objective" in workload:
        return None
    return BUILTINS.get(workload.get("builtin", workload["name"]))


def build(workload: dict, settings: dict, n_jobs) -> tuple[Callable[[dict], dict], Any]:
    """(objective, space) for one workload of a scenario under one thread setting."""
    if "objective" in workload:
        index = [w["name"] for w in settings["workloads"]].index(workload["name"])
        data = (load_data(workload, index) if "data" in workload
                else make_data(**_data_settings(workload, settings)))
        return CustomObjective(workload["objective"], data, n_jobs), workload["space"]
    builtin = builtin_of(workload)
    return (builtin.objective(workload, settings, n_jobs),
            workload.get("space") or builtin.space())
