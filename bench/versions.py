"""hyperopt internals the harness relies on, checked once at start-up.

The harness reads more of hyperopt than its public `fmin`: the trial documents' state codes
and `book_time` / `refresh_time`, `Trials._dynamic_trials`, and the way SparkTrials adopts
the caller's Spark job group (how every trial is joined to its Spark task). A hyperopt that
changed any of these would give wrong numbers silently, so a mismatch stops the run with the
version named. TESTED lists the versions the harness is tested on (pyproject.toml states the
same range).
"""
from __future__ import annotations

import functools
import importlib.util
import inspect
import re
import sys
from pathlib import Path

from .errors import BenchError

#: hyperopt versions the test suite runs on: 0.3.0 (current), 0.2.7 (2022; still shipped in
#: Databricks runtimes; the may2022 stack)
TESTED = ("0.2.7", "0.3.0")
#: what the harness reads: JOB_STATE_* name -> code (collect.py reads state 2 as done)
STATE_CODES = {"JOB_STATE_NEW": 0, "JOB_STATE_RUNNING": 1, "JOB_STATE_DONE": 2,
               "JOB_STATE_ERROR": 3}
#: fmin keyword arguments the runner passes
FMIN_ARGS = ("max_queue_len", "rstate", "timeout", "show_progressbar", "return_argmin")
#: the local property SparkTrials reads as its job group (set by the runner per cell)
JOB_GROUP_PROPERTY = "spark.jobGroup.id"
#: hyperopt internals the readers use, read from hyperopt's source without importing it
#: (readers need no hyperopt): name -> (file of the hyperopt package, pattern, fallback).
#: hyperopt_problems() checks each against the imported value.
SOURCE_FACTS = {
    # TPE suggests this many points at random before it models any result
    "tpe_startup_jobs": ("tpe.py", r"^_default_n_startup_jobs\s*=\s*([0-9]+)", 20),
    # fmin's result poll (FMinIter's poll_interval_secs default; SparkTrials' dispatcher
    # sleeps the same 1 s)
    "fmin_poll_s": ("fmin.py", r"poll_interval_secs\s*=\s*([0-9.]+)", 1.0),
}


def hyperopt_version() -> str:
    """The installed hyperopt's version ('not installed' without one)."""
    try:
        import hyperopt

        return getattr(hyperopt, "__version__", "unknown")
    except ImportError:
        return "not installed"


def _source_fact(name: str):
    """A SOURCE_FACTS value as hyperopt's source states it, or None when it cannot be read."""
    filename, pattern, fallback = SOURCE_FACTS[name]
    try:
        spec = importlib.util.find_spec("hyperopt")
        folder = Path(next(iter(spec.submodule_search_locations)))
        text = (folder / filename).read_text(encoding="utf-8")
        return type(fallback)(re.search(pattern, text, re.M).group(1))
    except Exception:  # hyperopt missing, or its source changed (hyperopt_problems says so)
        return None


@functools.lru_cache(maxsize=None)
def source_fact(name: str):
    """A SOURCE_FACTS value of the installed hyperopt; its fallback (what every tested version
    has) when hyperopt or its source is not there to read."""
    found = _source_fact(name)
    return SOURCE_FACTS[name][2] if found is None else found


def tpe_startup_jobs() -> int:
    """Points TPE suggests at random before it models any result (hyperopt's
    tpe._default_n_startup_jobs): up to there parallelism cannot cost the search anything."""
    return source_fact("tpe_startup_jobs")


def fmin_poll_s() -> float:
    """fmin's poll interval, seconds (the dispatcher of SparkTrials sleeps the same)."""
    return source_fact("fmin_poll_s")


def hyperopt_problems() -> list[str]:
    """What differs from the internals the harness relies on; empty when all hold."""
    import hyperopt
    from hyperopt import base

    problems = []
    for name, code in STATE_CODES.items():
        if getattr(base, name, None) != code:
            problems.append(f"hyperopt.base.{name} is {getattr(base, name, None)!r}, "
                            f"expected {code}")
    trials = base.Trials()
    if not isinstance(getattr(trials, "_dynamic_trials", None), list):
        problems.append("Trials has no _dynamic_trials list")
    try:
        doc = trials.new_trial_docs([0], [None], [{"status": "new"}],
                                    [{"tid": 0, "cmd": None, "idxs": {}, "vals": {}}])[0]
        missing = [k for k in ("book_time", "refresh_time", "state") if k not in doc]
        if missing:
            problems.append(f"trial documents lack {', '.join(missing)}")
    except Exception as exc:  # the document API itself changed
        problems.append(f"Trials.new_trial_docs failed: {type(exc).__name__}: {exc}")
    params = inspect.signature(hyperopt.fmin).parameters
    absent = [a for a in FMIN_ARGS if a not in params]
    if absent:
        problems.append(f"fmin() has no {', '.join(absent)} argument")
    problems += _source_problems()
    problems += _spark_problems()
    return problems


def _source_problems() -> list[str]:
    """Each SOURCE_FACTS value read from the source must be the one hyperopt runs with."""
    import hyperopt.fmin  # noqa: F401  (the package attribute `fmin` is the function)
    from hyperopt import tpe

    poll = inspect.signature(sys.modules["hyperopt.fmin"].FMinIter.__init__).parameters.get(
        "poll_interval_secs")
    running = {"tpe_startup_jobs": getattr(tpe, "_default_n_startup_jobs", None),
               "fmin_poll_s": poll.default if poll is not None else None}
    problems = []
    for name, value in running.items():
        read = _source_fact(name)
        if read is None or value is None or read != value:
            filename, pattern, _ = SOURCE_FACTS[name]
            problems.append(f"hyperopt/{filename}: {pattern!r} reads {read!r}, hyperopt runs "
                            f"with {value!r}")
    return problems


def _spark_problems() -> list[str]:
    try:
        from hyperopt import spark
    except ImportError:  # no pyspark: serial cells only, nothing to check
        return []
    state = getattr(spark, "_SparkFMinState", None)
    try:
        source = inspect.getsource(state) if state is not None else ""
    except (OSError, TypeError):
        return []  # no source to read (frozen install): the join check after the run warns
    if JOB_GROUP_PROPERTY not in source:
        return [f"SparkTrials does not read the {JOB_GROUP_PROPERTY} local property: trials "
                f"could not be joined to their Spark tasks"]
    return []


@functools.lru_cache(maxsize=1)
def check_hyperopt() -> str:
    """Raise a one-line BenchError naming the hyperopt version when an internal the harness
    relies on is not there; returns the version otherwise."""
    import hyperopt

    version = getattr(hyperopt, "__version__", "unknown")
    problems = hyperopt_problems()
    if problems:
        raise BenchError(f"hyperopt {version} is not compatible with this harness (tested: "
                         f"{', '.join(TESTED)}): " + "; ".join(problems))
    return version
