"""A scenario that sweeps cluster shapes starts a real standalone cluster per shape, runs its
spark cells there, and stops it. Run as a user would, in its own process."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from bench.storage import RunFolder, read_jsonl
from tests.conftest import ROOT, write_scenario

pytestmark = [pytest.mark.cluster, pytest.mark.spark]

SHAPED = '''SCENARIO = {"name": "shaped", "workloads": ["sleep"], "sleep": {"seconds": 0.2, "threads": 1},
    "clusters": ["2x1"], "max_evals": 4, "modes": ["spark"], "parallelism": [2],
    "max_queue_len": ["parallelism"], "algo": "rand", "seed": 1}
'''


@pytest.mark.long
def test_shape_sweep_runs_on_two_executors_and_joins_spark_tasks(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bench", "run", str(write_scenario(tmp_path, SHAPED)),
                          "--results-dir", str(tmp_path / "results"), "--quiet", "--report"],
                         capture_output=True, text=True, cwd=ROOT, timeout=400)
    assert out.returncode == 0, out.stderr
    *headline, html, report = out.stdout.strip().splitlines()
    assert html.endswith("report.html") and any(h.startswith("sleep  ") for h in headline)
    folder = RunFolder(next((tmp_path / "results").iterdir()))
    trials = folder.committed().trials
    assert len(trials) == 4 and all(t["status"] == "ok" and t["cluster"] == "2x1" for t in trials)
    facts = folder.manifest()["clusters"]["2x1"][0]
    assert facts["executors"] == 2 and facts["task_slots"] == 2
    assert facts["master"].startswith("spark://127.0.0.1:")
    # the cluster authenticated the run's session; its secret is kept out of the results
    from bench.spark_session import REDACTED

    assert facts["conf"]["spark.authenticate"] == "true"
    assert facts["conf"]["spark.authenticate.secret"] == REDACTED
    auth = Path(facts["cluster"]["auth_file"])
    assert not auth.exists() and folder.path not in auth.parents
    # the cluster was stopped after its cells: none of its daemons is left
    pids = [p["pid"] for p in facts["cluster"]["processes"]]
    assert pids and not [p for p in pids if psutil.pid_exists(p)
                         and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    tasks = [t for t in read_jsonl(folder.spark_tasks_path).records if t.get("tid") is not None]
    assert sorted(t["tid"] for t in tasks) == [0, 1, 2, 3]
    assert len({t["executor_id"] for t in tasks}) == 2
    text = open(report).read()
    assert "## Cluster sizing" in text and "| 2x1 |" in text
    assert (tmp_path / "reports" / folder.run_id / "cluster_sizing.png").stat().st_size > 0
