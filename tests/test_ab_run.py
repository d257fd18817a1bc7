"""End to end: `run --ab current,current` on a tiny sleep scenario, then --resume of it and
`compare RUN`. Each side runs in its own driver process, its serial trials in that driver
and its spark trials in executors (a pid other than either driver's and its JVM's).
About 2.5 minutes on a 2-core machine (two Spark sessions started twice), so marked long."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.storage import RunFolder, read_jsonl, rewrite_jsonl

ROOT = Path(__file__).resolve().parent.parent
TINY = '''SCENARIO = {
    "name": "tiny_ab", "description": "A/B end-to-end test", "workloads": ["sleep"],
    "sleep": {"seconds": 0.1, "threads": 0}, "max_evals": 2, "modes": ["serial", "spark"],
    "parallelism": [2], "max_queue_len": ["parallelism"], "n_jobs": [None], "repeats": 2,
    "algo": "rand", "seed": 0,
}
'''


def _bench(*args) -> tuple[int, subprocess.CompletedProcess]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": sys.executable}
    proc = subprocess.Popen([sys.executable, "-m", "bench", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=600)
    return proc.pid, subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _check_sides(folder: Path, parent: int) -> dict:
    """Every cell ran on its side's driver: serial trials in the driver itself, spark trials
    in executors of that driver's own JVM (a pid of neither driver nor JVM)."""
    man = json.loads((folder / "manifest.json").read_text())
    ab = man["ab"]
    drivers = {s: ab[s]["pid"] for s in "AB"}
    assert len({parent, *drivers.values()}) == 3, (parent, drivers)
    assert all(ab[s]["jvm_pid"] not in (parent, *drivers.values()) for s in "AB")
    trials = read_jsonl(folder / "trials.jsonl").records
    spark_pids = {"A": set(), "B": set()}
    for t in trials:
        assert t["status"] == "ok" and t["side"] in "AB"
        if t["mode"] == "serial":
            assert t["pid"] == drivers[t["side"]], t
        else:
            assert t["pid"] not in (parent, *drivers.values(), ab["A"]["jvm_pid"],
                                    ab["B"]["jvm_pid"]), t
            spark_pids[t["side"]].add(t["pid"])
    assert spark_pids["A"] and spark_pids["B"] and not spark_pids["A"] & spark_pids["B"]
    return drivers


@pytest.mark.long
def test_ab_current_current_runs_each_side_in_its_own_driver_and_resumes(tmp_path):
    scenario = tmp_path / "tiny_ab.py"
    scenario.write_text(TINY)
    parent, out = _bench("run", str(scenario), "--ab", "current,current", "--results-dir",
                         str(tmp_path / "results"), "--quiet", "--strict")
    assert out.returncode == 0, out.stderr
    assert out.stderr.startswith("estimated time: ") and "for 8 cell(s)" in out.stderr
    folder = Path(out.stdout.strip().splitlines()[-1])
    cells = read_jsonl(folder / "cells.jsonl").records
    assert len(cells) == 8 and [c["order"] for c in cells] == list(range(8))
    for one, two in zip(cells[::2], cells[1::2]):  # twins adjacent, both sides, one block
        assert {one["side"], two["side"]} == {"A", "B"} and one["repeat"] == two["repeat"]
        assert one["cell_id"][:-2] == two["cell_id"][:-2]
    for c in cells:  # the load each cell ran under: the host's, split into own and others'
        assert c["load_host_cores"] >= 0 and c["load_own_cores"] >= 0
        assert c["load_external_cores"] == pytest.approx(
            max(0.0, c["load_host_cores"] - c["load_own_cores"]), abs=0.002)
    first = _check_sides(folder, parent)

    # cut the run after its first block, as a kill would, and resume it with new drivers
    kept = cells[:4]
    rewrite_jsonl(folder / "cells.jsonl", kept)
    RunFolder(folder).set_status("interrupted")
    parent, out = _bench("run", "--resume", str(folder), "--quiet")
    assert out.returncode == 0, out.stderr
    again = read_jsonl(folder / "cells.jsonl").records
    assert [c["cell_id"] for c in again] == [c["cell_id"] for c in cells]
    assert again[:4] == kept
    assert RunFolder(folder).manifest()["status"] == "finished"
    assert len(read_jsonl(folder / "trials.jsonl").records) == 16  # no duplicate of a re-run cell
    second = _check_sides_resumed(folder, parent, first)
    assert second

    _, out = _bench("compare", str(folder))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "paired by block" in out.stdout and "sleep spark p=2" in out.stdout


def _check_sides_resumed(folder: Path, parent: int, first: dict) -> dict:
    """After --resume: new drivers ran the re-run cells (the first block's stay as they were)."""
    man = json.loads((folder / "manifest.json").read_text())
    drivers = {s: man["ab"][s]["pid"] for s in "AB"}
    assert len({parent, *drivers.values()}) == 3 and drivers != first
    for t in read_jsonl(folder / "trials.jsonl").records:
        if t["mode"] == "serial" and t["repeat"] == 1:
            assert t["pid"] == drivers[t["side"]]
    return drivers
