"""Emulated background load: outside the cell's clock, recorded, and never outliving its run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from bench import conditions, runner
from bench.storage import RunFolder
from tests.conftest import ROOT, write_scenario

BUSY = '''
import os
import time

from hyperopt import hp


def objective(params, data):
    # the busy condition also sizes OpenMP to 3 threads: its trials take SECONDS s, the
    # native cell's (which runs first) are short
    time.sleep(SECONDS if os.environ.get("OMP_NUM_THREADS") == "3" else 0.01)
    return params["x"]


SCENARIO = {
    "name": "busy", "max_evals": 2, "modes": ["serial"], "repeats": 1, "algo": "rand",
    "seed": 0, "conditions": {"busy": {"background_load": 1, "omp_threads": 3}},
    "workloads": [{"name": "w", "objective": objective, "data": lambda: None,
                   "space": {"x": hp.uniform("x", 0, 1)}}],
}
'''


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _events(folder) -> list[dict]:
    path = folder / conditions.PIDS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_background_load_starts_before_and_stops_after_the_cell_clock(tmp_path):
    scn = write_scenario(tmp_path, BUSY.replace("SECONDS", "0.1"))
    folder = runner.run(scn, results_dir=tmp_path / "r", quiet=True)
    busy = [c for c in RunFolder(folder).committed().cells if c["condition"] == "busy"]
    events = _events(folder)
    assert [e["event"] for e in events] == ["started", "stopped"]
    started, stopped = events
    assert len(started["processes"]) == 1 and started["runner_pid"] == os.getpid()
    assert started["ts"] <= busy[0]["start_ts"] and stopped["ts"] >= busy[0]["end_ts"]
    assert all(_gone(p["pid"]) for p in started["processes"])
    assert conditions.alive_background_load(folder) == []


def test_kill_9_of_the_runner_leaves_no_background_load_and_resume_waits_for_it(tmp_path):
    scn = write_scenario(tmp_path, BUSY.replace("SECONDS", "20"))
    results = tmp_path / "r"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "bench", "run", str(scn), "--quiet",
                             "--results-dir", str(results)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            folders = list(results.glob("*")) if results.exists() else []
            started = [e for e in _events(folders[0]) if e["event"] == "started"] \
                if folders else []
            if started:
                break
            time.sleep(0.2)
        assert started, "the busy cell never started its background load"
        pids = [p["pid"] for p in started[0]["processes"]]
        assert pids and not any(_gone(p) for p in pids)
        os.kill(proc.pid, signal.SIGKILL)  # the runner only: not its process group
        proc.wait(timeout=10)
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline and not all(_gone(p) for p in pids):
            time.sleep(0.05)
        assert all(_gone(p) for p in pids), "background load outlived its runner"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    folder = folders[0]
    assert conditions.alive_background_load(folder) == []
    # a load process of that run still alive: resume refuses, naming its pid
    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        created = psutil.Process(stand_in.pid).create_time()
        with open(folder / conditions.PIDS_FILE, "a") as fh:
            fh.write(json.dumps({"event": "started", "ts": time.time(), "runner_pid": 1,
                                 "processes": [{"pid": stand_in.pid,
                                                "create_time": created}]}) + "\n")
        out = subprocess.run([sys.executable, "-m", "bench", "run", "--resume", str(folder),
                              "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 2, out.stderr
        assert f"pid {stand_in.pid}" in out.stderr and "still running" in out.stderr
    finally:
        stand_in.kill()
        stand_in.wait()
