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
import inspect

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
    problems += _spark_problems()
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


def unjoined_note(tasks: list[dict], trials: list[dict]) -> str | None:
    """A warning when spark trials could not be joined to their Spark tasks, saying whether
    hyperopt ran their jobs under a job group of its own (the cell's was not adopted)."""
    from .eventlog import trials_without_task

    lost = trials_without_task(tasks, trials)
    if not lost:
        return None
    cells = {t.get("cell_id") for t in lost}
    groups = sorted({str(t.get("job_group")) for t in tasks
                     if t.get("cell_id") is None and t.get("job_group") not in cells})
    import hyperopt

    text = (f"{len(lost)} spark trial(s) in {len(cells)} cell(s) could not be joined to a "
            f"Spark task; Spark-side timings are missing for them")
    if groups:
        text += (f" (their jobs ran under job group(s) {', '.join(groups[:3])}"
                 f"{', ...' if len(groups) > 3 else ''}, not the cell's: hyperopt "
                 f"{getattr(hyperopt, '__version__', '?')} did not adopt the job group)")
    return text
