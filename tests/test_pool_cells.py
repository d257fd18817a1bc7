"""Pool cells run as their settings say: the cell's thread environment reaches the pool's
workers, and the run's timeout_s ends the cell as it ends a SparkTrials fmin."""
from __future__ import annotations

import os

from bench import runner
from bench.storage import RunFolder
from tests.conftest import write_scenario

POOL = '''
SCENARIO = {"name": "pool", "workloads": ["sleep"], "sleep": {"seconds": 0.4, "threads": 0},
            "max_evals": 6, "modes": ["pool"], "parallelism": [1], "n_jobs": [None],
            "points": "shared", "thread_env": [{"OMP_WAIT_POLICY": "passive"}],
            "timeout_s": 1.0, "repeats": 1, "algo": "rand", "seed": 0}
'''


def test_pool_cells_take_the_cell_s_thread_env_and_timeout(tmp_path):
    path = runner.run(write_scenario(tmp_path, POOL), results_dir=tmp_path / "r", quiet=True)
    folder = RunFolder(path)
    (cell,) = folder.committed().cells
    trials = folder.committed().trials
    assert cell["mode"] == "pool" and cell["thread_env_set"] == {"OMP_WAIT_POLICY": "passive"}
    ok = [t for t in trials if t["status"] == "ok"]
    assert ok and all(t["pid"] != os.getpid() for t in ok)  # ran in the pool's workers
    for t in ok:  # what the objective saw: the cell's variable beside Spark's OMP_NUM_THREADS
        assert t["thread_env"]["OMP_WAIT_POLICY"] == "passive", t["thread_env"]
        assert t["thread_env"]["OMP_NUM_THREADS"] == "1"
    # 0.4 s trials one at a time under timeout_s 1.0: no trial starts after 1 s and one
    # running then is cancelled, so the cell ends incomplete, before the 6 x 0.4 s asked for
    assert len(ok) < 6 and cell["trials_ok"] == len(ok)
    assert cell["wall_s"] < 6 * 0.4, cell["wall_s"]
    cancelled = [t for t in trials if t["status"] != "ok"]
    assert all(t["error"] == "Cancelled: fmin run timeout" for t in cancelled), cancelled
