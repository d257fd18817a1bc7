"""The probe in the driver process: ground truth from the sleep workload."""
from __future__ import annotations

import os

import numpy as np
import pytest

from bench.probe import Probed, run_probed, thread_count, threadpools
from bench.workloads import SleepObjective, sleep_threads


def test_sleep_ground_truth_in_process():
    out = Probed(SleepObjective(0.3, threads=0))({"x": 0.5})
    p = out["probe"]
    assert out["status"] == "ok" and out["loss"] == 0.25
    assert abs(p["objective_s"] - 0.3) < 0.015
    assert p["effective_cores"] < 0.2  # sleeping keeps no core busy
    assert p["pid"] == os.getpid() and p["model_threads_effective"] == 0


def test_busy_threads_raise_peak_threads():
    before = thread_count()
    out = Probed(SleepObjective(0.2, threads=3))({"x": 0.0})
    assert out["probe"]["peak_threads"] >= before + 2
    assert out["probe"]["model_threads_effective"] == 3


def test_failing_objective_becomes_failed_result():
    def boom(params):
        raise ValueError("bad params")

    out = run_probed(boom, {})
    assert out["status"] == "fail" and out["error"] == "ValueError: bad params"
    assert "loss" not in out and out["probe"]["objective_s"] >= 0


#: What objectives return, awkward ones included, and how hyperopt reads each.
ACCEPTED = {  # hyperopt: status ok (or fail) with this loss
    "float": (0.25, "ok", 0.25), "int": (3, "ok", 3.0), "bool": (True, "ok", 1.0),
    "np.float32": (np.float32(0.5), "ok", 0.5), "nan": (float("nan"), "ok", float("nan")),
    "inf": ({"loss": float("inf"), "status": "ok"}, "ok", float("inf")),
    "-inf": (float("-inf"), "ok", float("-inf")),
    "numeric string loss": ({"loss": "0.5", "status": "ok"}, "ok", 0.5),
    "bool loss": ({"loss": False, "status": "ok"}, "ok", 0.0),
    "0-d array loss": ({"loss": np.array(2.0), "status": "ok"}, "ok", 2.0),
    "fail": ({"status": "fail", "error": "diverged"}, "fail", None),
}
REJECTED = {  # hyperopt raises while reading it
    "string": "0.5", "none": None, "array": np.array([1.0, 2.0]),
    "dict without status": {"loss": 0.5}, "unknown status": {"loss": 0.5, "status": "done"},
    "no loss": {"status": "ok"}, "none loss": {"status": "ok", "loss": None},
    "text loss": {"status": "ok", "loss": "abc"},
    "array loss": {"status": "ok", "loss": np.array([1.0, 2.0])},
}


def _hyperopt_evaluate(value):
    """hyperopt's own reading: Domain.evaluate of an objective that returns `value`."""
    from hyperopt import hp
    from hyperopt.base import Domain

    return Domain(lambda p: value, {"x": hp.uniform("x", 0, 1)}).evaluate(
        {"x": 0.5}, ctrl=None, attach_attachments=False)


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b))


@pytest.mark.parametrize("kind", sorted(ACCEPTED))
def test_what_hyperopt_accepts_stays_ok_with_hyperopt_s_loss(kind):
    from bench.trial_result import read

    value, status, loss = ACCEPTED[kind]
    theirs = _hyperopt_evaluate(value)
    assert read(value) == theirs or _same(read(value)["loss"], theirs["loss"])
    out = run_probed(lambda p: value, {})
    assert out["status"] == theirs["status"] == status
    if status == "ok":  # NaN and inf stay ok: flagged in the record, never a failure
        assert _same(out["loss"], theirs["loss"]) and _same(out["loss"], loss)
        assert type(out["loss"]) is float
    exact = run_probed(lambda p: value, {}, exact=True)
    assert {k: v for k, v in exact.items() if k != "probe"}.keys() == theirs.keys()
    assert all(_same(exact[k], v) for k, v in theirs.items())


@pytest.mark.parametrize("kind", sorted(REJECTED))
def test_what_hyperopt_rejects_fails_the_harness_trial_and_reaches_hyperopt_unchanged(kind):
    from bench.trial_result import read

    value = REJECTED[kind]
    with pytest.raises(Exception) as theirs:
        _hyperopt_evaluate(value)
    with pytest.raises(type(theirs.value)) as ours:
        read(value)
    assert str(ours.value) == str(theirs.value)
    out = run_probed(lambda p: value, {})  # a harness cell: the trial fails, the cell goes on
    assert out["status"] == "fail" and "loss" not in out and out["probe"]["objective_s"] >= 0
    assert out["error"].startswith("hyperopt rejects the objective's return value"), out["error"]
    # bench.observe hands hyperopt the very object, so hyperopt raises what it raises
    assert run_probed(lambda p: value, {}, exact=True) is value


def test_harness_messages_for_fail_status_and_a_dict_without_status():
    out = run_probed(lambda p: {"status": "fail", "why": "diverged"}, {})
    assert out["error"] == "objective returned status 'fail'"
    out = run_probed(lambda p: {"status": "fail", "error": "diverged"}, {})
    assert out["error"] == "objective returned status 'fail': diverged"
    out = run_probed(lambda p: {"loss": 0.5}, {})
    assert "a result dict needs 'status'" in out["error"]


def test_exact_probe_lets_the_objective_s_exception_through():
    def boom(params):
        raise ValueError("bad params")

    with pytest.raises(ValueError, match="bad params"):
        run_probed(boom, {}, exact=True)


def test_extra_keys_are_kept_and_traceback_has_the_last_frames():
    out = run_probed(lambda p: {"loss": np.float32(0.25), "status": "ok", "auc": 0.9,
                                "attachments": {"model": b"xyz"}}, {})
    assert out["status"] == "ok" and out["loss"] == 0.25
    assert out["auc"] == 0.9 and out["attachments"] == {"model": b"xyz"}

    def inner(params):
        raise KeyError("missing column")

    out = run_probed(lambda p: inner(p), {})
    assert out["error"] == "KeyError: 'missing column'"
    assert "in inner" in out["traceback"].splitlines()[-3]


def test_threadpools_lists_openmp_after_lightgbm_import():
    import lightgbm  # noqa: F401

    apis = {p["api"] for p in threadpools()}
    assert "openmp" in apis


@pytest.mark.parametrize("n_jobs, env, expected", [
    (None, None, 1), (3, None, 3), (0, "5", 5), (-1, None, os.cpu_count())])
def test_sleep_threads_reads_like_n_jobs(monkeypatch, n_jobs, env, expected):
    if env is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", env)
    assert sleep_threads(n_jobs, default=1) == expected


def test_other_busy_cores_sees_a_busy_neighbour():
    import subprocess
    import sys
    import time

    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        out = Probed(SleepObjective(0.5, threads=0))({"x": 0.0})
    finally:
        spinner.terminate()
        spinner.wait()
    # the sleeping objective uses no CPU; the spinner keeps about one core busy
    assert out["probe"]["other_busy_cores"] >= 0.7


def test_host_busy_counts_only_affinity_cpus_and_not_steal(tmp_path, monkeypatch):
    from bench import probe

    stat = tmp_path / "stat"
    #              user nice system idle iowait irq softirq steal guest guest_nice
    stat.write_text("cpu  900 0 900 100 0 0 0 5000 0 0\n"
                    "cpu0 800 0 800 50 0 0 0 4000 0 0\n"
                    "cpu1 100 0 100 50 10 5 5 1000 0 0\n"
                    "intr 123\n")
    monkeypatch.setattr(probe, "_STAT", str(stat))
    monkeypatch.setattr(probe, "_TICKS", 100)
    monkeypatch.setattr(probe.os, "sched_getaffinity", lambda pid: {1})
    assert probe.host_busy_seconds() == pytest.approx(2.1)  # cpu1: 100+100+5+5 ticks


def _fork_busy_child(cpu_seconds):
    """An objective that forks a helper process which spins until it has used `cpu_seconds`
    of CPU (however loaded the machine), and waits for it."""
    import time

    def objective(params):
        pid = os.fork()
        if pid == 0:  # the child: busy, then leave at once
            while time.process_time() < cpu_seconds:
                pass
            os._exit(0)
        os.waitpid(pid, 0)
        return 0.0

    return objective


def _trial_cpu_seconds():
    """CPU of this process and its reaped children only: a host where nothing else runs."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def test_a_forked_busy_child_is_the_trial_s_own_cpu_not_other_processes(monkeypatch):
    from bench import probe

    out = run_probed(_fork_busy_child(0.4), {})
    p = out["probe"]
    assert out["status"] == "ok"
    assert 0.38 <= p["children_cpu_s"] <= p["cpu_s"]
    assert p["effective_cores"] == pytest.approx(p["cpu_s"] / p["objective_s"])

    # on a host where only this trial runs, nothing is "other"
    monkeypatch.setattr(probe, "host_busy_seconds", _trial_cpu_seconds)
    quiet = [run_probed(_fork_busy_child(0.3), {})["probe"] for _ in range(2)]
    assert all(q["other_busy_cores"] < 0.1 for q in quiet), quiet

    from tests.test_diagnosis import cell, run_of, trials_for
    from bench.diagnosis import rules

    s = cell("serial", evals=2)
    ts = trials_for(s, objective=0.4)
    for t, q in zip(ts, quiet):
        t.update(objective_s=q["objective_s"], cpu_s=q["cpu_s"],
                 effective_cores=q["effective_cores"], other_busy_cores=q["other_busy_cores"])
    run, an = run_of((s, ts))
    assert rules.driver_contention(run, an) == []


def test_driver_contention_weighs_trials_by_their_wall_time():
    from tests.test_diagnosis import cell, run_of, trials_for
    from bench.diagnosis import rules

    s = cell("serial", evals=4)
    ts = trials_for(s, objective=0.05)
    # three 50 ms trials whose share rests on a few 10 ms ticks, one 5 s trial on a quiet host
    for t, (wall, other) in zip(ts, [(0.05, 2.0), (0.05, 2.0), (0.05, 2.0), (5.0, 0.0)]):
        t.update(objective_s=wall, other_busy_cores=other)
    run, an = run_of((s, ts))
    assert rules.driver_contention(run, an) == []
    for t in ts:
        t["other_busy_cores"] = 1.0
    run, an = run_of((s, ts))
    assert [f.evidence["other_busy_cores"] for f in rules.driver_contention(run, an)] == [1.0]
