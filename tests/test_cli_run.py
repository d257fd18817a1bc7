"""End to end through the command line, in real subprocesses: run, list, kill -9, resume."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from bench.storage import RunFolder
from tests.conftest import ROOT, SCENARIOS, write_scenario

pytestmark = pytest.mark.spark


def bench(*args, timeout=300, **kw):
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout, **kw)


def test_list_shows_cell_counts():
    out = bench("list")
    assert out.returncode == 0
    smoke = next(line for line in out.stdout.splitlines() if line.startswith("smoke"))
    assert smoke.split()[1:3] == ["4", "16"]


def test_smoke_run_prints_folder_last_and_keeps_terminal_quiet(tmp_path):
    out = bench("run", str(SCENARIOS / "smoke.py"), "--results-dir", str(tmp_path), "--quiet")
    assert out.returncode == 0, out.stderr
    folder = RunFolder(out.stdout.strip().splitlines()[-1])
    assert folder.path.parent == tmp_path
    # the estimate comes first, on stderr, even with --quiet
    assert out.stderr.startswith("estimated time: ") and " for 4 cell(s) (" in out.stderr
    # Spark's console output goes to the run's log, not the terminal
    assert "log level" not in out.stderr and "WARN" not in out.stderr, out.stderr
    assert (folder.path / "logs" / "spark-session.log").stat().st_size > 0
    trials = folder.committed().trials
    assert {t["mode"] for t in trials} == {"serial", "spark"}
    assert len(trials) == 4 * 4 and all(t["status"] == "ok" for t in trials)
    manifest = folder.manifest()
    assert manifest["status"] == "finished" and manifest["scenario"]["name"] == "smoke"
    assert manifest["spark"]["conf"]["spark.driver.bindAddress"] == "127.0.0.1"
    assert manifest["environment"]["packages"]["hyperopt"]
    assert list(folder.eventlog_dir.iterdir()), "event log written into the run folder"


FAILS_BY_DESIGN = '''from hyperopt import hp

def fails(params, data):
    return {"status": "fail", "loss": None}

SCENARIO = {"name": "failing", "modes": ["serial"], "max_evals": 2, "algo": "rand",
            "workloads": [
                {"name": "good", "objective": lambda p, d: 0.0, "data": lambda: None,
                 "space": {"x": hp.uniform("x", 0, 1)}},
                {"name": "failing", "objective": fails, "data": lambda: None,
                 "space": {"x": hp.uniform("x", 0, 1)}}]}
'''


def test_strict_run_exits_3_when_a_cell_is_incomplete_and_still_prints_the_folder_last(
        tmp_path):
    """A run whose objective fails trials by design exits 0; with --strict (what a CI gate
    uses) it exits 3, naming the cell, and the results path stays the last line."""
    scn = write_scenario(tmp_path, FAILS_BY_DESIGN)
    plain = bench("run", str(scn), "--results-dir", str(tmp_path / "plain"), "--quiet")
    assert plain.returncode == 0, plain.stderr
    strict = bench("run", str(scn), "--results-dir", str(tmp_path / "strict"), "--quiet",
                   "--strict")
    assert strict.returncode == 3, strict.stderr
    folder = RunFolder(strict.stdout.strip().splitlines()[-1])
    assert folder.path.parent == tmp_path / "strict" and folder.manifest()["status"] == "finished"
    (line,) = [x for x in strict.stderr.splitlines() if x.startswith("strict: ")]
    assert "1 incomplete cell(s) (failing.serial.native.njNone.e2.r0: 0 of 2 trials ok)" in line


RESUMABLE = '''SCENARIO = {"name": "resumable", "workloads": ["sleep"], "sleep": {"seconds": 0.1},
    "max_evals": 3, "modes": ["serial", "spark"], "parallelism": [1, 2],
    "max_queue_len": ["parallelism"], "n_jobs": [1, 2], "algo": "rand", "seed": 5}
'''


@pytest.mark.long
def test_kill_9_then_resume_finishes_without_redoing_cells(tmp_path):
    scn = write_scenario(tmp_path, RESUMABLE)
    results = tmp_path / "results"
    proc = subprocess.Popen([sys.executable, "-m", "bench", "run", str(scn), "--results-dir",
                             str(results), "--quiet"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.time() + 240
        cells_file = None
        while time.time() < deadline:
            found = list(results.glob("*/cells.jsonl"))
            if found and len(found[0].read_text().splitlines()) >= 2:
                cells_file = found[0]
                break
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.2)
        assert cells_file is not None, "no cell finished in time"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: python and its JVM
        proc.wait()
    folder = RunFolder(cells_file.parent)
    before = {c["cell_id"]: c for c in folder.committed().cells}
    planned = {c["cell_id"] for c in folder.manifest()["cells"]}
    assert 2 <= len(before) < len(planned) == 6
    with open(folder.trials_path, "a") as fh:  # a trial line torn by the kill
        fh.write('{"cell_id": "sleep.spark.p2q2.nj2.e3.r0", "tid": 0, "sta')

    out = bench("run", "--resume", str(folder.path), "--quiet")
    assert out.returncode == 0, out.stderr
    assert out.stderr.startswith("estimated time: ") and (
        f" for {6 - len(before)} cell(s) left" in out.stderr
        and f"refined with the {len(before)} finished cell(s) of this run" in out.stderr)
    assert out.stdout.strip().splitlines()[-1] == str(folder.path)
    after = folder.committed().cells
    assert sorted(c["cell_id"] for c in after) == sorted(planned)
    for cid, cell in before.items():  # finished cells were not redone
        assert [c for c in after if c["cell_id"] == cid] == [cell]
    committed = folder.committed()
    assert not committed.bad_lines.get("trials.jsonl") and len(committed.trials) == 6 * 3
    assert len({(t["cell_id"], t["tid"]) for t in committed.trials}) == 18
    assert json.loads(folder.manifest_path.read_text())["status"] == "finished"
