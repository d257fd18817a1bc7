"""The driver process of one side of an A/B run: `python -m bench.ab.driver`, started by
bench.ab.sides in the side's own Python (its stack's venv) and kept for the whole run, so its
Spark session, JVM and Python workers start once and stay out of the cells.

It talks to the parent in JSON lines, never pickles: the first line on stdin is the setup
(scenario, profile, sha256, results folder, Spark request, the side's pending cells); it
answers {"ready": ...} with its pid, its JVM's pid, the session's facts, the shipping check
and the warm-up seconds. Then each {"cell": CELL} line is run and answered {"cell": RECORD,
"trials": [...]}, the record carrying the load the cell ran under (bench.ab.load); {"stop":
true} ends it. Anything else this process or Spark prints goes to stderr (the side's log), so
the answers' channel carries answers only. An entry point above the runner: nothing in the
package imports it.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .. import grid, modes, runner
from .. import scenario as scenario_mod
from ..conditions import die_with_parent
from ..errors import BenchError
from ..fmin_window import error_line
from ..sessions import Sessions
from ..storage import RunFolder, dumps
from . import load
from .sides import PARENT


class SideSessions(Sessions):
    """The run's sessions as one side sees them: the session's facts go back to the parent
    (which alone writes the manifest), its log is named after the side."""

    def __init__(self, *args, side: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.side = side
        self._recorded = True  # the parent records the facts this side reports

    def default(self):
        if self.own is None:
            self.own = self._start(self.master, {}, f"session-{self.side}")
            from .. import spark_session

            spark_session.wait_for_executors(self.own)
        return self.own


def jvm_pid(spark) -> int | None:
    """The pid of the JVM PySpark launched for this session (its gateway process)."""
    if spark is None:
        return None
    proc = getattr(getattr(spark.sparkContext, "_gateway", None), "proc", None)
    return getattr(proc, "pid", None)


def _load_checked(req: dict) -> scenario_mod.Scenario:
    """The side's scenario, its hash checked before its code runs."""
    path = Path(req["scenario"])
    if scenario_mod.source_sha256(path.read_text(encoding="utf-8")) != req["sha256"]:
        raise BenchError(f"{path}: changed since the run started; an A/B run needs the "
                         "scenario it was planned with")
    return scenario_mod.load(path, req["profile"])


class SideDriver:
    """One side's driver: its scenario, runner and kept session."""

    def __init__(self, req: dict):
        self.side = req["side"]
        self.scn = _load_checked(req)
        self.folder = RunFolder(req["run"])
        self.sessions = SideSessions(self.scn, self.folder, req["master"], req["conf"],
                                     side=self.side)
        self.runner = runner.CellRunner(self.scn, self.folder)
        self.cpus = os.cpu_count() or 1
        self.spark = None

    def ready(self, cells: list) -> dict:
        modes.check(cells, str(self.scn.path))
        shipping = self.runner.preflight(cells)
        if any(modes.of(c).uses_spark and not c.thread_env_set for c in cells):
            self.spark = self.sessions.default()
        warm = self.runner.warm_up(cells, self.spark)
        from .. import environment, spark_session

        return {"ready": True, "pid": os.getpid(), "jvm_pid": jvm_pid(self.spark),
                "python": sys.executable, "environment": environment.software(),
                "shipping": shipping, "warmup_s": round(warm, 3),
                "spark": spark_session.session_facts(self.spark) if self.spark else None}

    def run(self, cell: grid.Cell) -> dict:
        with self.sessions.session_for(None, [cell]) as spark:
            before = load.snapshot(os.getpid(), jvm_pid(spark))
            cell_rec, trials = self.runner.run_cell(cell, spark)
            after = load.snapshot(os.getpid(), jvm_pid(spark))
        cell_rec.update(load.cores_between(before, after, self.cpus))
        return {"cell": cell_rec, "trials": trials}


def _serve(answers, req: dict) -> int:
    driver = SideDriver(req)
    cells = [grid.Cell(**c) for c in req["cells"]]
    try:
        answers.write(dumps(driver.ready(cells)) + "\n")
        answers.flush()
        for line in sys.stdin:
            msg = json.loads(line)
            if msg.get("stop"):
                break
            answers.write(dumps(driver.run(grid.Cell(**msg["cell"]))) + "\n")
            answers.flush()
    finally:
        driver.sessions.close_all()
    return 0


def _main() -> int:
    if os.environ.get(PARENT):
        die_with_parent(int(os.environ[PARENT]))
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever else prints (Spark, libraries) goes to the side's log
    sys.stdout = sys.stderr
    runner.quiet_third_party()
    req = json.loads(sys.stdin.readline())
    try:
        return _serve(answers, req)
    except BenchError as exc:
        answers.write(dumps({"error": str(exc)}) + "\n")
        answers.flush()
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the parent reports it as this side's failure
        answers.write(dumps({"error": error_line(exc)}) + "\n")
        answers.flush()
        raise


if __name__ == "__main__":
    sys.exit(_main())
