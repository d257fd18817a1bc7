"""Pre-flight for spark cells: can the objective and its space travel to an executor?

SparkTrials pickles `fn` and `space` with pyspark's cloudpickle for every trial and unpickles
them in a Python worker. If that fails, every spark trial fails before the objective runs, so
the harness tries the same round trip once, before the first cell: pickle in the driver,
unpickle in a fresh interpreter (the executors' Python, started in an empty folder so nothing
next to the scenario can be imported by accident). The pickled size is what every trial ships.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading

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


_by_value_lock = threading.Lock()
#: module name -> number of `by_value` blocks that hold it registered (we registered it)
_by_value_users: dict = {}


@contextlib.contextmanager
def by_value(*modules):
    """While the block runs, pickle the modules' functions and classes by value (pyspark's
    cloudpickle, what SparkTrials ships trials with), so executors need no copy of them.
    Reference-counted across threads; a module registered by someone else stays so."""
    try:
        from pyspark import cloudpickle
    except ImportError:  # no Spark here: nothing is shipped
        yield
        return
    mine = []
    with _by_value_lock:
        for module in modules:
            name = module.__name__
            if name not in _by_value_users and \
                    name in cloudpickle.list_registry_pickle_by_value():
                continue  # registered for good elsewhere (a scenario file's own modules)
            if not _by_value_users.get(name):
                cloudpickle.register_pickle_by_value(module)
            _by_value_users[name] = _by_value_users.get(name, 0) + 1
            mine.append(module)
    try:
        yield
    finally:
        with _by_value_lock:
            for module in mine:
                _by_value_users[module.__name__] -= 1
                if not _by_value_users[module.__name__]:
                    del _by_value_users[module.__name__]
                    cloudpickle.unregister_pickle_by_value(module)
