"""A serial cell with its own thread environment runs in a fresh process: the launcher
(bench.cellspawn) starts `python -m bench.cellproc`, which runs the cell and answers."""
from __future__ import annotations

import os

import pytest

from bench import runner
from bench.storage import RunFolder
from tests.conftest import write_scenario

pytestmark = pytest.mark.slow

SERIAL_ENVS = '''SCENARIO = {
    "name": "child", "workloads": ["sleep"], "sleep": {"seconds": 0.05},
    "max_evals": 2, "modes": ["serial"], "n_jobs": [1], "algo": "rand", "seed": 3,
    "thread_env": [{}, {"OMP_WAIT_POLICY": "passive"}]}
'''


def test_a_serial_cell_with_its_own_thread_environment_runs_in_the_child_entry(tmp_path):
    path = runner.run(write_scenario(tmp_path, SERIAL_ENVS), results_dir=tmp_path / "results",
                      quiet=True)
    got = RunFolder(path).committed()
    assert len(got.cells) == 2 and all(c["error"] is None and c["trials_ok"] == 2
                                       for c in got.cells)
    by_env = {}
    for t in got.trials:
        by_env.setdefault(t["thread_env_set"].get("OMP_WAIT_POLICY", ""), []).append(t)
    as_is, passive = by_env[""], by_env["passive"]
    assert {t["pid"] for t in as_is} == {os.getpid()}  # in the driver itself
    (child,) = {t["pid"] for t in passive}               # one fresh process for the cell
    assert child != os.getpid()
    assert all(t["thread_env"].get("OMP_WAIT_POLICY") == "passive" for t in passive)
    assert all(t["status"] == "ok" and t["objective_s"] >= 0.05 for t in passive)
