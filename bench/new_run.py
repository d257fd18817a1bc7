"""What every new results folder starts with, a scenario run's (bench.runner) and one that
bench.observe records alike: a folder name no other run in the results folder has, and the
command line as the user typed it."""
from __future__ import annotations

import datetime as dt
from pathlib import Path


def new_run_id(name: str, results_dir: Path) -> str:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    run_id, n = f"{name}-{stamp}", 1
    while (results_dir / run_id).exists():
        n += 1
        run_id = f"{name}-{stamp}-{n}"
    return run_id


def command_line(argv) -> list[str]:
    """argv as the user typed it: `python -m bench ...` rather than the module's file path."""
    argv = list(argv)
    if argv and Path(argv[0]).name == "__main__.py" and Path(argv[0]).parent.name == "bench":
        return ["python", "-m", "bench", *argv[1:]]
    return argv
