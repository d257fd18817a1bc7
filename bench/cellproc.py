"""The child side of a serial cell run in a fresh process (bench.cellspawn starts it).

Run as `python -m bench.cellproc REQUEST.json`: loads the scenario, warms up as the driver
does, runs the cell with the same CellRunner and writes the answer to the file the request
names. An entry point above the runner: nothing in the package imports it.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from . import runner
from . import scenario as scenario_mod
from .cellspawn import PARENT
from .conditions import die_with_parent
from .grid import Cell
from .storage import RunFolder, dumps


def _main(request_path: str) -> int:
    if os.environ.get(PARENT):
        die_with_parent(int(os.environ[PARENT]))
    req = json.loads(Path(request_path).read_text())
    runner.quiet_third_party()
    scn = scenario_mod.load(req["scenario"], req["profile"])
    if scn.sha256 != req["sha256"]:
        print(f"{req['scenario']}: changed while the run was going", file=sys.stderr)
        return 2
    cell = Cell(**req["cell"])
    cells = runner.CellRunner(scn, RunFolder(req["run"]))
    cells.warm_up([cell])  # as the driver is warm for its in-process cells
    cell_rec, trial_recs = cells.run_cell(cell)
    Path(req["answer"]).write_text(dumps({"cell": cell_rec, "trials": trial_recs}))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
