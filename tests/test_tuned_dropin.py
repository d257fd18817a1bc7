"""TunedSparkTrials as a drop-in for SparkTrials, on real local Spark (no mocks).

What hyperopt's own SparkTrials suite checks runs in tests/test_conformance.py (a separate
step); these are the cases that suite lacks: every search algorithm, an objective that raises
under worker reuse (same trial state and error text as stock), early stopping, loss_threshold
and timeout cancellation under 20 ms polling, Spark's task retries, pinned-thread mode off,
isolation on request, an unknown hyperopt shape, concurrent fmin calls, and an install that
has hyperopt and pyspark only. Every Spark path checks that trials ran in an executor.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
import time

import pytest

from bench import variants
from bench.algorithms import suggests_several
from bench.collect import SuggestClock
from bench.errors import BenchError
from bench.points import Replay
from tests.conftest import ROOT

pytestmark = pytest.mark.spark


def _space():
    from hyperopt import hp

    return {"x": hp.uniform("x", 0, 1)}


def _quiet_fmin(fn, trials, algo=None, max_evals=4, **kwargs):
    from hyperopt import fmin, rand

    return fmin(fn, _space(), algo=algo or rand.suggest, max_evals=max_evals, trials=trials,
                show_progressbar=False, **kwargs)


def _ok_objective(params):
    return {"loss": params["x"], "status": "ok", "pid": os.getpid()}


def _points(xs) -> Replay:
    """Fixed points in suggestion order (the same for stock and tuned)."""
    return Replay([{"x": [float(x)]} for x in xs])


def _executor_pids(trials) -> set:
    pids = {t["result"].get("pid") for t in trials.trials if t["result"].get("pid")}
    assert pids and os.getpid() not in pids, pids
    return pids


# --- the queue only where the algorithm takes it -------------------------------------------
def test_queue_is_raised_only_for_algorithms_that_take_several_points():
    from hyperopt import anneal, atpe, mix, rand, tpe

    several = [tpe.suggest, rand.suggest, atpe.suggest, anneal.suggest_batch,
               functools.partial(tpe.suggest, n_startup_jobs=3), SuggestClock(tpe.suggest),
               functools.partial(mix.suggest, p_suggest=[(0.5, tpe.suggest), (0.5, rand.suggest)]),
               _points([0.1])]
    one = [anneal.suggest, SuggestClock(anneal.suggest), functools.partial(anneal.suggest),
           functools.partial(mix.suggest, p_suggest=[(0.5, tpe.suggest), (0.5, anneal.suggest)]),
           mix.suggest, lambda new_ids, domain, trials, seed: []]
    assert [suggests_several(a) for a in several] == [True] * len(several)
    assert [suggests_several(a) for a in one] == [False] * len(one)
    assert variants.queue_len("tuned", 1, 4, tpe.suggest) == 4
    assert variants.queue_len("tuned", 1, 4, anneal.suggest) == 1
    assert variants.queue_len("tuned", 3, 4, anneal.suggest) == 3   # the user's own value stays
    assert variants.queue_len("stock", 1, 4, tpe.suggest) == 1


def _algorithms():
    from hyperopt import anneal, mix, rand, tpe

    algos = {"tpe": (tpe.suggest, 2), "rand": (rand.suggest, 2), "anneal": (anneal.suggest, 1),
             "mix_tpe_rand": (functools.partial(mix.suggest, p_suggest=[
                 (0.5, tpe.suggest), (0.5, rand.suggest)]), 2),
             "mix_with_anneal": (functools.partial(mix.suggest, p_suggest=[
                 (0.3, tpe.suggest), (0.3, rand.suggest), (0.4, anneal.suggest)]), 1)}
    return algos


@pytest.mark.parametrize("name", ["tpe", "rand", "anneal", "mix_tpe_rand", "mix_with_anneal"])
def test_every_hyperopt_algorithm_runs_under_tuned(spark, name):
    from bench.tuned import TunedSparkTrials

    algo, queue = _algorithms()[name]
    trials = TunedSparkTrials(parallelism=2, spark_session=spark)
    _quiet_fmin(_ok_objective, trials, algo=algo, max_evals=5,
                rstate=__import__("numpy").random.default_rng(3))
    assert [t["result"]["status"] for t in trials.trials] == ["ok"] * 5
    assert trials.tuned and trials.max_queue_len_used == queue
    _executor_pids(trials)


def test_atpe_fails_under_tuned_as_under_stock(spark):
    """atpe reads the loss of every trial, also of those still running, so it cannot run with
    SparkTrials at any queue length (KeyError: 'loss'); tuned fails the same way."""
    atpe = pytest.importorskip("hyperopt.atpe")  # needs lightgbm and scikit-learn
    from hyperopt.spark import SparkTrials

    from bench.tuned import TunedSparkTrials

    for trials in (SparkTrials(parallelism=1, spark_session=spark),
                   TunedSparkTrials(parallelism=1, spark_session=spark)):
        with pytest.raises(KeyError, match="loss"):
            _quiet_fmin(_ok_objective, trials, algo=atpe.suggest, max_evals=4)
        _executor_pids(trials)
    assert trials.max_queue_len_used == 1 and not variants.patched()


# --- same behaviour as stock -----------------------------------------------------------------
def _raising_objective(params):
    if params["x"] >= 0.5:
        raise ValueError(f"x={params['x']:.2f} is out of range")
    return {"loss": params["x"], "status": "ok", "pid": os.getpid()}


def test_objective_that_raises_gives_the_same_trials_as_stock(spark):
    from hyperopt.spark import SparkTrials

    from bench.tuned import TunedSparkTrials

    xs = [0.1, 0.7, 0.2, 0.9]
    runs = {}
    for name, trials in [("stock", SparkTrials(parallelism=2, spark_session=spark)),
                         ("tuned", TunedSparkTrials(parallelism=2, spark_session=spark)),
                         ("isolated", TunedSparkTrials(parallelism=2, spark_session=spark,
                                                       reuse_workers=False))]:
        _quiet_fmin(_raising_objective, trials, algo=_points(xs), return_argmin=False)
        _executor_pids(trials)
        runs[name] = [(t["tid"], t["state"], t["misc"].get("error"),
                       {k: v for k, v in t["result"].items() if k != "pid"})
                      for t in sorted(trials._dynamic_trials, key=lambda t: t["tid"])]
    assert runs["tuned"] == runs["stock"] and runs["isolated"] == runs["stock"]
    from hyperopt.base import JOB_STATE_DONE, JOB_STATE_ERROR

    assert [state for _, state, _, _ in runs["stock"]] == [JOB_STATE_DONE, JOB_STATE_ERROR] * 2
    error = runs["tuned"][1][2]
    assert "ValueError" in error[0] and "x=0.70 is out of range" in error[1]
    assert "Traceback (most recent call last)" in error[1]


def test_early_stop_fn_under_fast_polling(spark):
    from hyperopt import STATUS_OK

    from bench.tuned import TunedSparkTrials

    def after_three_ok(trials, *args):
        return sum(t["result"].get("status") == STATUS_OK for t in trials) >= 3, []

    trials = TunedSparkTrials(parallelism=2, spark_session=spark)
    _quiet_fmin(_ok_objective, trials, max_evals=30, early_stop_fn=after_three_ok)
    assert 3 <= trials.count_successful_trials() < 30
    assert trials._fmin_cancelled_reason == "early stopping condition"
    _executor_pids(trials)


def test_loss_threshold_under_fast_polling(spark):
    from bench.tuned import TunedSparkTrials

    xs = [0.9, 0.8, 0.05, 0.7, 0.6, 0.65, 0.75, 0.85, 0.95, 0.55]
    trials = TunedSparkTrials(parallelism=2, spark_session=spark)
    best = _quiet_fmin(_ok_objective, trials, algo=_points(xs), max_evals=len(xs),
                       loss_threshold=0.1)
    assert best == {"x": 0.05}
    # fmin stopped at the threshold: once 0.05's result was recorded, only trials already
    # queued (max_queue_len 2) or enqueued before fmin's next look at the losses (2 more)
    # started; the rest of the points did not. (How many started *before* it came back
    # depends on how long its own task took: a slow first task on one slot lets the other
    # slot run several quick ones meanwhile.)
    done = next(t for t in trials.trials if t["misc"]["vals"]["x"] == [0.05])
    after = [t["misc"]["vals"]["x"][0] for t in trials.trials
             if t.get("book_time") and t["book_time"] > done["refresh_time"]]
    assert len(after) <= 2 + 2, (after, [t["misc"]["vals"] for t in trials.trials])
    assert len(trials.trials) >= 3
    _executor_pids(trials)


def test_timeout_cancels_running_trials_under_fast_polling(spark):
    from hyperopt.base import JOB_STATE_CANCEL, JOB_STATE_DONE

    from bench.tuned import TunedSparkTrials

    def objective(params):
        time.sleep(60 if params["x"] < 0.5 else 0.1)  # the slow ones must be cancelled
        return {"loss": params["x"], "status": "ok", "pid": os.getpid()}

    trials = TunedSparkTrials(parallelism=2, spark_session=spark, timeout=8)
    t0 = time.monotonic()
    _quiet_fmin(objective, trials, algo=_points([0.9, 0.8, 0.1, 0.2, 0.7]), max_evals=5)
    assert time.monotonic() - t0 < 50  # returned long before the 60 s trials could finish
    assert trials._fmin_cancelled and trials._fmin_cancelled_reason == "fmin run timeout"
    states = [t["state"] for t in sorted(trials._dynamic_trials, key=lambda t: t["tid"])]
    assert states[:2] == [JOB_STATE_DONE, JOB_STATE_DONE]
    assert states[2:4] == [JOB_STATE_CANCEL, JOB_STATE_CANCEL], states
    _executor_pids(trials)
    assert not variants.patched()
    # the session serves the next tuned fmin after its workers were cancelled
    again = TunedSparkTrials(parallelism=2, spark_session=spark)
    _quiet_fmin(_ok_objective, again, max_evals=2)
    assert again.count_successful_trials() == 2


def _child(mode: str, extra_env=None, timeout=400, python=sys.executable) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": sys.executable,
           "SPARK_LOCAL_IP": "127.0.0.1", **(extra_env or {})}
    env.pop("VIRTUAL_ENV", None)
    out = subprocess.run([python, str(ROOT / "tests" / "dropin_child.py"), mode],
                         capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_spark_task_retries_as_stock():
    """local[2,3]: an objective's exception is returned, not retried; a worker that dies is a
    failed Spark task and is retried, with worker reuse as without."""
    from hyperopt.base import JOB_STATE_DONE, JOB_STATE_ERROR

    got = _child("retries")
    for name in ("stock", "tuned"):
        r = got[name]
        assert r["raising_states"] == [JOB_STATE_ERROR] * 2 and r["raising_calls"] == 2, r
        assert r["crash_states"] == [JOB_STATE_DONE], r
        assert r["retry_pid"] not in (r["crash_pid"], got["driver_pid"]), r


@pytest.mark.slow
def test_pinned_thread_mode_off_runs_as_stock():
    from hyperopt.base import JOB_STATE_DONE

    got = _child("pin-off", {"PYSPARK_PIN_THREAD": "false"})
    stock, tuned = got["stock"], got["tuned"]
    assert stock["pinned"] is False and tuned["pinned"] is False
    assert tuned["job_cancelling"] == stock["job_cancelling"]
    for r in (stock, tuned):
        assert r["states"] == [JOB_STATE_DONE] * 4
        assert got["driver_pid"] not in r["pids"] and None not in r["pids"]
    assert tuned["max_queue_len"] == 2


def test_pinned_thread_mode_jobs_carry_the_fmin_job_group(spark):
    from bench.tuned import TunedSparkTrials

    trials = TunedSparkTrials(parallelism=2, spark_session=spark)
    assert trials._spark_pinned_threads_enabled  # PySpark's default (ClientServer gateway)
    sc = spark.sparkContext
    sc.setLocalProperty("spark.jobGroup.id", "dropin-pinned")
    try:
        _quiet_fmin(_ok_objective, trials, max_evals=3)
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)
    # every trial's job ran under the caller's job group (what timeout cancellation cancels)
    assert len(sc.statusTracker().getJobIdsForGroup("dropin-pinned")) == 3
    _executor_pids(trials)


# --- isolation on request ---------------------------------------------------------------------
def _counting_objective(params):
    """Counts calls in a process-wide attribute: shows what trials in one process share."""
    n = getattr(sys, "_dropin_trials_seen", 0) + 1
    sys._dropin_trials_seen = n
    return {"loss": params["x"], "status": "ok", "pid": os.getpid(), "seen": n}


def test_reuse_workers_false_gives_every_trial_a_fresh_worker(spark):
    from bench.tuned import TunedSparkTrials

    shared = TunedSparkTrials(parallelism=2, spark_session=spark)
    shared.prewarm(_counting_objective)
    _quiet_fmin(_counting_objective, shared, max_evals=6)
    isolated = TunedSparkTrials(parallelism=2, spark_session=spark, reuse_workers=False)
    _quiet_fmin(_counting_objective, isolated, max_evals=6)
    assert shared.reuse_workers and not isolated.reuse_workers and isolated.tuned
    assert isolated.max_queue_len_used == 2
    # shared workers: later trials see what earlier ones left in the process
    assert len(_executor_pids(shared)) < 6
    assert max(t["result"]["seen"] for t in shared.trials) > 1
    # isolated: no worker serves two of its trials (as with stock, a first trial may take a
    # worker an earlier draining job left idle in PySpark's pool: here the shared run's)
    assert len(_executor_pids(isolated)) == 6
    assert sum(t["result"]["seen"] == 1 for t in isolated.trials) >= 6 - 2


# --- an unknown hyperopt shape -----------------------------------------------------------
def test_unknown_hyperopt_shape_warns_and_runs_stock_unless_strict(spark, monkeypatch):
    from bench.tuned import TunedFallbackWarning, TunedSparkTrials

    monkeypatch.setattr(variants, "_source", lambda obj: "")  # e.g. a build without sources
    with pytest.warns(TunedFallbackWarning, match="Running stock SparkTrials"):
        trials = TunedSparkTrials(parallelism=2, spark_session=spark)
    assert not trials.tuned and not trials.reuse_workers
    assert variants.hyperopt_version() in trials.fallback_reason
    patched_during = []

    def watching(new_ids, domain, trials_, seed):
        patched_during.append(variants.patched())
        from hyperopt import rand
        return rand.suggest(new_ids, domain, trials_, seed)

    _quiet_fmin(_ok_objective, trials, algo=watching, max_evals=3)
    assert patched_during and not any(patched_during)
    assert trials.max_queue_len_used == 1
    assert len(_executor_pids(trials)) == 3  # stock: a fresh worker per trial
    with pytest.raises(BenchError, match="Refusing rather than measuring stock"):
        TunedSparkTrials(parallelism=2, spark_session=spark, strict=True)
    with pytest.raises(BenchError, match="code shape"):  # the harness never falls back
        variants.spark_trials("tuned", parallelism=2, spark_session=spark)


def test_worker_reuse_switched_off_warns_and_runs_isolated(spark, monkeypatch):
    from bench.tuned import TunedFallbackWarning, TunedSparkTrials

    said = "spark.python.worker.reuse=false in this session"
    monkeypatch.setattr(variants, "session_problem", lambda v, s: said if v.reuse else None)
    monkeypatch.setattr(sys.modules["bench.tuned"], "session_problem", variants.session_problem)
    with pytest.warns(TunedFallbackWarning, match="running without worker reuse"):
        trials = TunedSparkTrials(parallelism=2, spark_session=spark)
    assert trials.tuned and not trials.reuse_workers and said in trials.fallback_reason
    with pytest.raises(BenchError, match="worker.reuse=false"):
        TunedSparkTrials(parallelism=2, spark_session=spark, strict=True)


# --- concurrent fmin calls -------------------------------------------------------------------
def _in_thread(results: dict, key: str, target):
    def run():
        try:
            results[key] = target()
        except BaseException as exc:  # re-raised by the test
            results[key] = exc
    thread = threading.Thread(target=run, name=f"dropin-{key}")
    thread.start()
    return thread


def test_two_tuned_fmins_in_threads_while_stock_keeps_its_one_second_loops(spark, monkeypatch):
    """Tuned A runs; stock S starts inside A's fmin; tuned B is created and runs inside S's."""
    from hyperopt import rand
    from hyperopt.spark import SparkTrials

    from bench.tuned import TunedSparkTrials

    sleeps = []  # (thread, requested s, perf_counter at the call)
    real_sleep = time.sleep

    def recording_sleep(seconds):
        sleeps.append((threading.current_thread(), seconds, time.perf_counter()))
        real_sleep(seconds)

    monkeypatch.setattr(time, "sleep", recording_sleep)
    started = {k: threading.Event() for k in ("A", "S")}
    dispatchers, windows, seen_patched = {}, {}, {}

    def run(key, trials, fn, max_evals):
        def algo(new_ids, domain, trials_, seed):
            started[key].set() if key in started else None
            return rand.suggest(new_ids, domain, trials_, seed)

        def early_stop(trials_, *args):  # called in the dispatcher thread
            dispatchers[key] = threading.current_thread()
            return False, []

        t0 = time.perf_counter()
        _quiet_fmin(fn, trials, algo=algo, max_evals=max_evals, early_stop_fn=early_stop)
        windows[key] = (threading.current_thread(), t0, time.perf_counter())
        return trials

    def slow(params):
        time.sleep(0.3)
        return _ok_objective(params)

    def tuned_b():
        started["S"].wait(60)
        seen_patched["B"] = variants.patched()  # A's shims are installed right now
        return run("B", TunedSparkTrials(parallelism=1, spark_session=spark), slow, 4)

    def stock_s():
        started["A"].wait(60)
        return run("S", SparkTrials(parallelism=1, spark_session=spark), _ok_objective, 4)

    results: dict = {}
    threads = [_in_thread(results, "A", lambda: run(
                   "A", TunedSparkTrials(parallelism=1, spark_session=spark), slow, 8)),
               _in_thread(results, "S", stock_s), _in_thread(results, "B", tuned_b)]
    for thread in threads:
        thread.join(300)
    for key in ("A", "S", "B"):
        if isinstance(results.get(key), BaseException):
            raise results[key]
    assert seen_patched == {"B": True}
    assert results["A"].tuned and results["B"].tuned  # B did not fall back to stock
    for key, trials in results.items():
        assert trials.count_successful_trials() == (8 if key == "A" else 4), key
        _executor_pids(trials)
    # the three fmin calls overlapped
    assert windows["S"][1] < windows["A"][2] and windows["B"][1] < windows["S"][2]

    def slept(thread):
        return [(s, at) for th, s, at in sleeps if th is thread]

    for key in ("A", "B"):  # tuned: fmin loop and dispatcher on the short poll
        for thread in (windows[key][0], dispatchers[key]):
            assert slept(thread) and max(s for s, _ in slept(thread)) <= variants.FAST_POLL_S
    for thread in (windows["S"][0], dispatchers["S"]):  # stock: hyperopt's 1 s loops, measured
        loop = slept(thread)
        assert len(loop) >= 2 and all(s == 1 for s, _ in loop), loop
        gaps = [b - a for (_, a), (_, b) in zip(loop, loop[1:])]
        assert min(gaps) >= 0.95, gaps
    assert not variants.patched()


# --- an install with hyperopt and pyspark only ----------------------------------------------
@pytest.mark.slow
def test_tuned_needs_only_hyperopt_and_pyspark(tmp_path):
    """import bench.tuned, prewarm and fmin in a venv holding hyperopt, pyspark and what they
    need (linked from this one), driver and workers alike."""
    from tests.dropin_child import HARNESS_ONLY, bare_venv

    python = bare_venv(str(tmp_path / "bare"))
    got = _child("bare", {"PYSPARK_PYTHON": python}, python=python)
    assert got["python"] == python and got["states"] == [2] * 4 and got["tuned"], got
    assert got["loaded"] == [], f"imported by bench.tuned: {got['loaded']}"
    pids = {r["pid"] for r in got["results"]}
    assert got["driver_pid"] not in pids and pids <= set(got["prewarmed_pids"])
    for r in got["results"]:  # the executors ran the bare venv too
        assert r["python"] == python and r["absent"] == list(HARNESS_ONLY), r


# --- what the records say ------------------------------------------------------------------
def test_observe_records_tuned_calls_with_their_queue_and_shared_workers(spark, tmp_path):
    import bench
    from hyperopt import anneal, tpe
    from hyperopt.spark import SparkTrials

    from bench.storage import RunFolder
    from bench.tuned import TunedSparkTrials

    with bench.observe("tuned-notebook", results_dir=tmp_path) as obs:
        for trials, algo in [(TunedSparkTrials(parallelism=2, spark_session=spark), tpe.suggest),
                             (TunedSparkTrials(parallelism=2, spark_session=spark,
                                               reuse_workers=False), anneal.suggest),
                             (SparkTrials(parallelism=2, spark_session=spark), tpe.suggest)]:
            obs.fmin(fn=_ok_objective, space=_space(), algo=algo, max_evals=3, trials=trials,
                     show_progressbar=False)
    folder = RunFolder(obs.path)
    got = [(c["variant"], c["max_queue_len"], c["shared_workers"], c["trials_ok"])
           for c in sorted(folder.committed().cells, key=lambda c: c["order"])]
    assert got == [("tuned", 2, True, 3), ("tuned", 1, False, 3), (None, 1, False, 3)]
    assert all(t["pid"] != os.getpid() for t in folder.committed().trials)
