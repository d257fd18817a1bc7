"""Start one serial cell in a fresh Python process, under the thread environment it sets.

OpenMP runtimes read their environment once, when they load (libgomp reads OMP_WAIT_POLICY,
GOMP_SPINCOUNT, OMP_NUM_THREADS at start-up): a driver that has already imported LightGBM
cannot change how its threads wait. A serial cell with its own thread environment therefore
runs in a child started with that environment (`python -m bench.cellproc REQUEST.json`, whose
entry point loads the scenario, warms up as the driver does and runs the cell with the same
CellRunner); this side writes the request and reads the answer, and the parent appends the
records. The launcher knows the child only by its module name, so the run layer never
imports the entry point that sits above it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .storage import dumps

#: The child's entry point, run with `python -m`.
ENTRY = "bench.cellproc"
#: set in the child so its CellRunner runs the cell in-process instead of recursing
IN_CHILD = "BENCH_CELL_PROCESS"
#: the runner's pid: the cell process dies with it (and so does its emulated load)
PARENT = "BENCH_CELL_PARENT"


def in_child() -> bool:
    return os.environ.get(IN_CHILD) == "1"


def run_serial_cell(scn, run_folder: Path, cell) -> tuple[dict | None, list[dict] | str]:
    """Run `cell` (serial) in a child process with `cell.thread_env_set` in its environment;
    returns (cell record, trial records) as dicts, or (None, error text) if the child failed."""
    with tempfile.TemporaryDirectory(prefix="bench-cell-") as tmp:
        request = Path(tmp) / "request.json"
        answer = Path(tmp) / "answer.json"
        request.write_text(dumps({"scenario": str(Path(scn.path).resolve()),
                                  "profile": scn.profile, "sha256": scn.sha256,
                                  "run": str(Path(run_folder).resolve()),
                                  "cell": cell.to_dict(), "answer": str(answer)}))
        env = {**os.environ, **{k: str(v) for k, v in cell.thread_env_set.items()},
               IN_CHILD: "1", PARENT: str(os.getpid())}
        proc = subprocess.run([sys.executable, "-m", ENTRY, str(request)], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if proc.returncode == 0 and answer.exists():
            out = json.loads(answer.read_text())
            return out["cell"], out["trials"]
        lines = (proc.stderr or proc.stdout or "").strip().splitlines()
        return None, (f"cell process exited {proc.returncode}: "
                      f"{lines[-1] if lines else 'no output'}")
