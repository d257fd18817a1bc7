"""The parent's end of the two side drivers (bench.ab.driver): start each in its stack's
Python, send it JSON lines, read its answers, stop it by its pid. A side that dies or
reports an error is a one-line BenchError naming the side and its log."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .. import stacks
from ..errors import BenchError
from ..storage import dumps
from .plan import CURRENT, SideSpec

#: The driver's entry point, run with `python -m`: this side knows it only by its name, so
#: the run layer never imports the entry point that sits above it.
ENTRY = "bench.ab.driver"
#: the parent's pid: the driver dies with it
PARENT = "BENCH_AB_PARENT"


def side_python(stack: str) -> tuple[str, dict]:
    """(python, environment) of a side: this interpreter for `current`, else the stack's
    venv (built beforehand: `python -m bench stack create NAME`), this checkout first on
    the path in both."""
    if stack == CURRENT:
        env = dict(os.environ)
        path = [str(stacks.ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                     if p and Path(p).resolve() != stacks.ROOT]
        env["PYTHONPATH"] = os.pathsep.join(path)
        env.setdefault("PYSPARK_PYTHON", sys.executable)
        return sys.executable, env
    spec = stacks.get(stack)
    if stacks.built_info(spec) is None:
        raise BenchError(f"--ab: stack {stack} is not built: run `python -m bench stack "
                         f"create {stack}`")
    return str(spec.python), stacks.run_env(spec)


class SideProcess:
    """One running side driver."""

    def __init__(self, spec: SideSpec, log_path: Path):
        self.spec, self.log_path = spec, log_path
        python, env = side_python(spec.stack)
        env[PARENT] = str(os.getpid())
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen([python, "-m", ENTRY], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._log, env=env,
                                     text=True, bufsize=1)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def send(self, message: dict) -> None:
        try:
            self.proc.stdin.write(dumps(message) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._died() from None

    def receive(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise self._died()
        answer = json.loads(line)
        if "error" in answer:
            raise BenchError(f"side {self.spec.name} ({self.spec.stack}): {answer['error']} "
                             f"(its log: {self.log_path})")
        return answer

    def ask(self, message: dict) -> dict:
        self.send(message)
        return self.receive()

    def _died(self) -> BenchError:
        code = self.proc.poll()
        return BenchError(f"side {self.spec.name} ({self.spec.stack}): its driver process "
                          f"{self.pid} ended{f' with exit code {code}' if code is not None else ''}"
                          f" (its log: {self.log_path})")

    def stop(self, timeout: float = 60.0) -> None:
        """Ask the driver to stop (it stops its Spark session); kill it by pid if it hangs."""
        try:
            if self.proc.poll() is None:
                self.send({"stop": True})
                self.proc.wait(timeout=timeout)
        except (BenchError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self._log.close()
