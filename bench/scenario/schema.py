"""The scenario schema: every key of SCENARIO with its type and meaning, the defaults, the
profiles, and the checks that turn a scenario's dict into resolved settings or one line
naming the file, the key and the problem."""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from .. import fixes
from ..errors import BenchError
from ..model import MODES, NATIVE
from ..shapes import parse_shape, shape_label
from ..workloads import BUILTINS, SLEEP, accepts_n_jobs

PROFILES = ("quick", "full")  # every scenario has these; it may declare more
PROFILE_NAME = re.compile(r"[a-z][a-z0-9_-]*")
ALGOS = ("tpe", "rand")

#: key -> (accepted types, description) for the top level of SCENARIO.
KEYS: dict[str, tuple[tuple, str]] = {
    "name": ((str,), "scenario name"),
    "description": ((str,), "one-paragraph description"),
    "workloads": ((list,), f"workload names ({', '.join(BUILTINS)}) or dicts"),
    "data": ((dict,), "synthetic data: rows, features, noise, seed"),
    "sleep": ((dict,), "sleep workload: seconds, threads"),
    "max_evals": ((int, list), "evaluations per fmin call"),
    "modes": ((list,), "'serial' and/or 'spark'"),
    "parallelism": ((int, list), "SparkTrials parallelism values"),
    "max_queue_len": ((int, str, list), "fmin max_queue_len values (int or 'parallelism')"),
    "n_jobs": ((list,), "model thread settings: None, 0, -1, 1, k"),
    "repeats": ((int,), "how many times each cell runs"),
    "algo": ((str,), "'tpe' or 'rand'"),
    "timeout_s": ((int, float), "seconds per cell, passed to fmin(timeout=...); running "
                                "spark trials are cancelled when it expires"),
    "seed": ((int,), "seed for data, search and cell order"),
    "conditions": ((dict,), "emulated driver conditions applied to serial cells"),
    "thread_env": ((list,), "thread environment axis: a list of dicts of variables set for "
                            "the trial, e.g. [{}, {'OMP_WAIT_POLICY': 'passive'}] ({} = as "
                            "inherited); serial cells get them in a fresh driver process, "
                            "spark cells via spark.executorEnv (one session each)"),
    "spark_conf": ((dict,), "Spark settings for the run's session"),
    "variants": ((list,), "SparkTrials variants for spark cells: stock, queue, reuse, "
                          "fastpoll, tuned (all but stock/queue MODIFY hyperopt)"),
    "points": ((str,), "'search' (the algo suggests) or 'shared' (every mode evaluates the "
                       "same pre-drawn points in the same order; see bench.points)"),
    "clusters": ((list,), "standalone cluster shapes for spark cells: 'NxC' or "
                          "{'shape': 'NxC', 'task_cpus': k, 'memory': '1g'}"),
    "fixes": ((dict,), "run the named axes as one-axis fixes from the current setup (each "
                       "axis' first value) instead of crossing them: {axis: {'modes': [...], "
                       "'parallelism': [...]}} (see bench.fixes)"),
    "profiles": ((dict,), "per-profile overrides: {'quick': {...}, 'full': {...}}; other "
                          "names add profiles of their own"),
    "stack": ((str,), "software stack (stacks.toml) the scenario runs on; run --stack "
                      "overrides it"),
}
DATA_KEYS = {"rows": int, "features": int, "noise": (int, float), "seed": int}
SLEEP_KEYS = {"seconds": (int, float, list), "threads": int}
WORKLOAD_KEYS = {"name": str, "space": object, "objective": object, "data": object,
                 "params": dict, "description": str, "n_jobs": list, "conditions": list,
                 "thread_env": list}
CONDITION_KEYS = {"description": str, "omp_threads": int, "background_load": int}
CLUSTER_KEYS = {"shape": str, "task_cpus": int, "memory": str}

DEFAULTS: dict[str, Any] = {
    "description": "",
    "data": {"rows": 2000, "features": 20, "noise": 10.0, "seed": 0},
    "sleep": {"seconds": 0.3, "threads": 0},
    "max_evals": 8,
    "modes": ["serial", "spark"],
    "parallelism": [1, 2],
    "max_queue_len": [1],
    "n_jobs": [None],
    "repeats": 1,
    "algo": "tpe",
    "seed": 0,
    "conditions": {},
    "thread_env": [{}],
    "spark_conf": {},
    "clusters": [],
    "timeout_s": None,
    "variants": ["stock"],
    "points": "search",
    "fixes": None,
}


def _type_name(types) -> str:
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join(t.__name__ for t in types)


def _is(value, types) -> bool:
    types = types if isinstance(types, tuple) else (types,)
    if object in types:
        return True
    # bool is an int in Python; a True where a number belongs is a mistake.
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


class _Checker:
    """Raises BenchError with 'file: key: problem' for the first problem found."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, problem: str):
        raise BenchError(f"{self.path}: {key}: {problem}")

    def entry(self, key: str, value, short_key: str, allowed: dict, short: str) -> dict:
        """A list entry given as a short string or a dict: always returned as a checked dict."""
        if isinstance(value, str):
            value = {short_key: value}
        if not isinstance(value, dict):
            self.fail(key, f"expected {short} or a dict, got {type(value).__name__}")
        self.check_dict(key, value, allowed)
        return value

    def check_dict(self, key: str, value: dict, allowed: dict):
        for k, v in value.items():
            if k not in allowed:
                self.fail(f"{key}.{k}", f"unknown key (allowed: {', '.join(allowed)})")
            if not _is(v, allowed[k]):
                self.fail(f"{key}.{k}", f"expected {_type_name(allowed[k])}, got {type(v).__name__}")


def validate(settings: dict, path: Path) -> dict:
    """Check a resolved settings dict; returns it with list-valued axes normalised. The
    first problem found is raised, in the order the checks below run."""
    c = _Checker(path)
    _check_keys(settings, c)
    _check_data(settings, c)
    settings["workloads"] = _workloads(settings, c)
    _normalise_axes(settings, c)
    _check_run_options(settings, c)
    _check_conditions(settings["conditions"], c)
    settings["thread_env"] = _thread_envs(settings["thread_env"], "thread_env", c)
    for i, w in enumerate(settings["workloads"]):
        if "thread_env" in w:
            w["thread_env"] = _thread_envs(w["thread_env"], f"workloads[{i}].thread_env", c)
    settings["clusters"] = _clusters(settings.get("clusters", []), c)
    _check_variants_and_points(settings, c)
    fixes.check(settings, c.fail)
    for k, v in settings["spark_conf"].items():
        if not isinstance(k, str) or not _is(v, (str, int, float, bool)):
            c.fail(f"spark_conf.{k}", "keys must be strings and values scalars")
    return settings


def _check_keys(settings: dict, c: _Checker) -> None:
    """Known top-level keys of the right types; a name and some workloads."""
    for key, value in settings.items():
        if key not in KEYS:
            c.fail(key, f"unknown key (allowed: {', '.join(KEYS)})")
        types, _ = KEYS[key]
        if value is None and DEFAULTS.get(key, "") is None:
            continue  # an optional key left unset
        if not _is(value, types):
            c.fail(key, f"expected {_type_name(types)}, got {type(value).__name__}")
    if "name" not in settings or not settings["name"].strip():
        c.fail("name", "missing or empty")
    if "workloads" not in settings:
        c.fail("workloads", f"missing: name at least one workload ({', '.join(BUILTINS)} "
               "or a dict)")


def _check_data(settings: dict, c: _Checker) -> None:
    """The synthetic data and the sleep workload's settings."""
    c.check_dict("data", settings["data"], DATA_KEYS)
    for k in ("rows", "features"):
        if settings["data"].get(k, 1) < 1:
            c.fail(f"data.{k}", "must be >= 1")
    c.check_dict("sleep", settings["sleep"], SLEEP_KEYS)
    lengths = _as_list(settings["sleep"].get("seconds", 0))
    if not lengths:
        c.fail("sleep.seconds", "empty grid: no values")
    if any(not _is(x, (int, float)) or x < 0 for x in lengths) \
            or settings["sleep"].get("threads", 0) < 0:
        c.fail("sleep", "seconds and threads must be >= 0")


def _workloads(settings: dict, c: _Checker) -> list[dict]:
    """Every workload entry checked, as dicts, with the sleep workload's lengths expanded."""
    workloads = []
    for i, w in enumerate(settings["workloads"]):
        w = _workload_entry(w, f"workloads[{i}]", settings["conditions"], c)
        workloads.extend(_sleep_axis(w, settings["sleep"]))
    if not workloads:
        c.fail("workloads", "empty grid: no workloads")
    names = [w["name"] for w in workloads]
    if len(set(names)) != len(names):
        c.fail("workloads", f"duplicate workload names {names}")
    return workloads


def _workload_entry(w, key: str, conditions: dict, c: _Checker) -> dict:
    """One workload: a built-in's name, or a dict with its own objective and space."""
    w = c.entry(key, w, "name", WORKLOAD_KEYS, "a workload name")
    name = w.get("name")
    if not isinstance(name, str) or not name:
        c.fail(f"{key}.name", "missing")
    if name not in BUILTINS and "objective" not in w:
        c.fail(f"{key}.name", f"unknown workload {name!r} (built in: "
               f"{', '.join(BUILTINS)}; or give 'objective' and 'space')")
    if "objective" in w:
        if not callable(w["objective"]):
            c.fail(f"{key}.objective", "must be a function objective(params, data)")
        if "space" not in w:
            c.fail(f"{key}.space", "a workload with its own objective needs its own space")
        if "n_jobs" in w and not accepts_n_jobs(w["objective"]):
            c.fail(f"{key}.n_jobs", "the objective takes no n_jobs: define it as "
                   "objective(params, data, n_jobs) to sweep thread settings")
    if "data" in w:
        if "objective" in w and not callable(w["data"]):
            c.fail(f"{key}.data", "must be a function returning the data the objective takes")
        if "objective" not in w:
            if not isinstance(w["data"], dict):
                c.fail(f"{key}.data", "expected a dict overriding rows/features/noise/seed")
            c.check_dict(f"{key}.data", w["data"], DATA_KEYS)
    for v in w.get("n_jobs", []):
        if v is not None and not _is(v, int):
            c.fail(f"{key}.n_jobs", f"expected None or a whole number, got {v!r}")
    if "n_jobs" in w and not w["n_jobs"]:
        c.fail(f"{key}.n_jobs", "empty grid: no values")
    for cname in w.get("conditions", []):
        if cname not in conditions:
            c.fail(f"{key}.conditions", f"unknown condition {cname!r} (declared: "
                   f"{', '.join(conditions) or 'none'})")
    return w


def _normalise_axes(settings: dict, c: _Checker) -> None:
    """The grid's axes as non-empty lists of valid values."""
    settings["max_evals"] = _as_list(settings["max_evals"])
    settings["parallelism"] = _as_list(settings["parallelism"])
    settings["max_queue_len"] = _as_list(settings["max_queue_len"])
    for key in ("max_evals", "parallelism"):
        if not settings[key]:
            c.fail(key, "empty grid: no values")
        for v in settings[key]:
            if not _is(v, int):
                c.fail(key, f"expected whole numbers, got {v!r}")
            if v < 1:
                c.fail(key, f"must be >= 1, got {v}")
    for v in settings["max_queue_len"]:
        if not (v == "parallelism" or (_is(v, int) and v >= 1)):
            c.fail("max_queue_len", f"expected a number >= 1 or 'parallelism', got {v!r}")
    if not settings["max_queue_len"]:
        c.fail("max_queue_len", "empty grid: no values")
    for v in settings["n_jobs"]:
        if v is not None and not _is(v, int):
            c.fail("n_jobs", f"expected None or a whole number, got {v!r}")
    if not settings["n_jobs"]:
        c.fail("n_jobs", "empty grid: no values (use [None] for the model's default)")
    if not settings["modes"]:
        c.fail("modes", "empty grid: no modes")
    for m in settings["modes"]:
        if m not in MODES:
            c.fail("modes", f"unknown mode {m!r} (allowed: {', '.join(MODES)})")


def _check_run_options(settings: dict, c: _Checker) -> None:
    """timeout, repeats and the search algorithm."""
    if settings["timeout_s"] is not None and settings["timeout_s"] <= 0:
        c.fail("timeout_s", f"must be > 0 seconds, got {settings['timeout_s']}")
    if settings["repeats"] < 1:
        c.fail("repeats", f"must be >= 1, got {settings['repeats']}")
    if settings["algo"] not in ALGOS:
        c.fail("algo", f"unknown algorithm {settings['algo']!r} (allowed: {', '.join(ALGOS)})")


def _check_conditions(conditions: dict, c: _Checker) -> None:
    """Emulated driver conditions: named, each emulating something."""
    for cname, cond in conditions.items():
        if cname == NATIVE:
            c.fail(f"conditions.{NATIVE}", f"'{NATIVE}' is reserved for unemulated cells")
        if not isinstance(cond, dict):
            c.fail(f"conditions.{cname}", "expected a dict of emulation knobs")
        c.check_dict(f"conditions.{cname}", cond, CONDITION_KEYS)
        if not any(k in cond for k in ("omp_threads", "background_load")):
            c.fail(f"conditions.{cname}", "emulates nothing: set omp_threads and/or background_load")


def _clusters(entries: list, c: _Checker) -> list[dict]:
    """Cluster shapes as dicts, each label once."""
    clusters = [_cluster_entry(entry, i, c) for i, entry in enumerate(entries)]
    labels = [cl["label"] for cl in clusters]
    if len(set(labels)) != len(labels):
        c.fail("clusters", f"duplicate cluster shapes {labels}")
    return clusters


def _check_variants_and_points(settings: dict, c: _Checker) -> None:
    """SparkTrials variants and where the evaluated points come from."""
    from .. import points, variant_table

    if not settings["variants"]:
        c.fail("variants", "empty grid: no variants (use ['stock'])")
    for v in settings["variants"]:
        if v not in variant_table.VARIANTS:
            c.fail("variants", f"unknown variant {v!r} (allowed: {', '.join(variant_table.VARIANTS)})")
    if settings["points"] not in points.POINTS_OPTIONS:
        c.fail("points", f"unknown option {settings['points']!r} "
               f"(allowed: {', '.join(points.POINTS_OPTIONS)})")
    if "pool" in settings["modes"] and settings["points"] != "shared":
        c.fail("modes", "'pool' evaluates pre-drawn points: set \"points\": \"shared\"")


def _sleep_axis(w: dict, sleep: dict) -> list[dict]:
    """The built-in sleep workload with a list of lengths becomes one workload per length
    ('sleep_0.2s'), so trial length is a grid axis like any other."""
    lengths = sleep.get("seconds")
    if w["name"] != SLEEP or "objective" in w or not isinstance(lengths, list):
        return [w]
    return [{**w, "name": f"{SLEEP}_{s:g}s", "builtin": SLEEP, "sleep_seconds": s}
            for s in lengths]


def _thread_envs(value: list, key: str, c: "_Checker") -> list[dict]:
    """A thread environment axis: a non-empty list of distinct {NAME: value} dicts."""
    envs = []
    for i, env in enumerate(value):
        if not isinstance(env, dict):
            c.fail(f"{key}[{i}]", f"expected a dict of environment variables, got "
                   f"{type(env).__name__}")
        for k, v in env.items():
            if not isinstance(k, str) or not k or "=" in k or not _is(v, (str, int)):
                c.fail(f"{key}[{i}].{k}", "names must be strings and values strings or "
                       "whole numbers")
        envs.append({k: str(v) for k, v in env.items()})
    if not envs:
        c.fail(key, "empty grid: no values (use [{}] for the inherited environment)")
    if len({tuple(sorted(e.items())) for e in envs}) != len(envs):
        c.fail(key, "duplicate thread environments")
    return envs


def _cluster_entry(entry, i: int, c: "_Checker") -> dict:
    """A cluster shape as {shape, workers, cores, task_cpus, memory, label}."""
    key = f"clusters[{i}]"
    entry = c.entry(key, entry, "shape", CLUSTER_KEYS, "'NxC'")
    if "shape" not in entry:
        c.fail(f"{key}.shape", "missing, e.g. '2x1' (2 workers x 1 core)")
    try:
        workers, cores = parse_shape(entry["shape"])
    except BenchError as exc:
        c.fail(f"{key}.shape", str(exc))
    task_cpus = entry.get("task_cpus", 1)
    if task_cpus < 1 or task_cpus > cores:
        c.fail(f"{key}.task_cpus", f"must be between 1 and the worker's {cores} core(s), "
               f"got {task_cpus} (a task needing more cores than a worker has never runs)")
    return {"shape": shape_label(workers, cores), "workers": workers, "cores": cores,
            "task_cpus": task_cpus, "memory": entry.get("memory", "1g"),
            "label": shape_label(workers, cores, task_cpus)}


def resolve(raw: dict, profile: str, path: Path) -> dict:
    """Defaults, then the scenario's keys, then its profile's overrides."""
    raw = dict(raw)
    profiles = raw.pop("profiles", {}) or {}
    if not isinstance(profiles, dict):
        raise BenchError(f"{path}: profiles: expected dict, got {type(profiles).__name__}")
    for pname in profiles:
        if not isinstance(pname, str) or not PROFILE_NAME.fullmatch(pname):
            raise BenchError(f"{path}: profiles.{pname}: a profile name is lower-case letters, "
                             "digits, '-' or '_', starting with a letter")
    if profile not in profile_names(profiles):
        raise BenchError(f"--profile: unknown profile {profile!r} (allowed: "
                         f"{', '.join(profile_names(profiles))})")
    settings = copy.deepcopy(DEFAULTS)
    for source in (raw, profiles.get(profile) or {}):
        if not isinstance(source, dict):
            raise BenchError(f"{path}: profiles.{profile}: expected dict")
        for key, value in source.items():
            if key in ("data", "sleep") and isinstance(value, dict):
                settings[key] = {**settings[key], **value}
            else:
                settings[key] = value
    if "profiles" in (profiles.get(profile) or {}):
        raise BenchError(f"{path}: profiles.{profile}.profiles: profiles cannot nest")
    return validate(settings, path)


def profile_names(profiles: dict) -> list[str]:
    """quick and full (every scenario has them), then the scenario's own, in its order."""
    return list(PROFILES) + [p for p in profiles if p not in PROFILES]
