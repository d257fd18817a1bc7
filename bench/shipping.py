"""Pre-flight for spark cells: can the objective and its space travel to an executor?

SparkTrials pickles `fn` and `space` with pyspark's cloudpickle for every trial and unpickles
them in a Python worker. If that fails, every spark trial fails before the objective runs, so
the harness tries the same round trip once, before the first cell: pickle in the driver,
unpickle in a fresh interpreter (the executors' Python, started in an empty folder so nothing
next to the scenario can be imported by accident). The pickled size is what every trial ships.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from .errors import BenchError

#: Unpickles stdin the way a Python worker does; prints the failure's last line on error.
_CHECK = ("import pickle, sys\n"
          "try:\n"
          "    pickle.loads(sys.stdin.buffer.read())\n"
          "except BaseException as exc:\n"
          "    print(f'{type(exc).__name__}: {exc}'.splitlines()[0], file=sys.stderr)\n"
          "    sys.exit(1)\n")
CHECK_TIMEOUT_S = 180


def pickled(fn, space) -> bytes:
    """(fn, space) exactly as SparkTrials' task closure carries them."""
    from pyspark import cloudpickle

    return cloudpickle.dumps((fn, space))


def executor_python() -> str:
    """The interpreter Spark starts for Python workers."""
    return os.environ.get("PYSPARK_PYTHON") or sys.executable


def check(fn, space, where: str) -> dict:
    """Round-trip (fn, space) like Spark does; BenchError naming `where` if it fails.
    Returns the manifest entry: pickled bytes and where the unpickling was tried."""
    try:
        blob = pickled(fn, space)
    except Exception as exc:
        raise BenchError(f"{where}: cannot be shipped to executors: {_one_line(exc)}") from None
    python = executor_python()
    with tempfile.TemporaryDirectory(prefix="bench-preflight-") as empty:
        try:
            out = subprocess.run([python, "-c", _CHECK], input=blob, cwd=empty,
                                 capture_output=True, timeout=CHECK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise BenchError(f"{where}: unpickling in a fresh {python} took more than "
                             f"{CHECK_TIMEOUT_S} s") from None
    if out.returncode != 0:
        lines = out.stderr.decode(errors="replace").strip().splitlines()
        reason = lines[-1] if lines else f"exit code {out.returncode}"
        raise BenchError(f"{where}: cannot be shipped to executors: {reason} (unpickled in a "
                         f"fresh {python}, as a Spark Python worker would)")
    return {"pickled_bytes": len(blob), "checked": f"unpickled in a fresh {python}"}


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"
