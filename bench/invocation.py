"""How a run was started, as its manifest records it, for a scenario run (bench.runner) and
one bench.observe records alike: the command line as the user typed it."""
from __future__ import annotations

from pathlib import Path


def command_line(argv) -> list[str]:
    """argv as the user typed it: `python -m bench ...` rather than the module's file path."""
    argv = list(argv)
    if argv and Path(argv[0]).name == "__main__.py" and Path(argv[0]).parent.name == "bench":
        return ["python", "-m", "bench", *argv[1:]]
    return argv
