"""Emulated driver conditions, applied around serial cells only.

The driver that ran serial Trials in the field was not this machine: it may have believed it
had more cores than its CPU quota gave it, or been busy with other work. These knobs imitate
that in the driver process; spark cells never get them. Every cell records its condition and
the report marks emulated results as such.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys

NATIVE = "native"

_SPIN = "while True:\n    pass\n"


def describe(name: str, spec: dict) -> str:
    """A sentence for the report saying what was imitated and how."""
    if name == NATIVE:
        return "No emulation: the trial ran as this machine runs it."
    parts = []
    if spec.get("omp_threads"):
        parts.append(f"the driver's OpenMP runtime sized to {spec['omp_threads']} threads "
                     f"(OMP_NUM_THREADS and omp_set_num_threads), as in a container whose "
                     f"visible CPUs exceed its quota")
    if spec.get("background_load"):
        parts.append(f"{spec['background_load']} busy background process(es) on the driver")
    text = "; ".join(parts) or "nothing"
    return (spec.get("description") + " Emulated by: " if spec.get("description") else
            "Emulated by: ") + text + ". Applied to serial cells only."


def manifest_entries(conditions: dict) -> dict:
    out = {NATIVE: {"emulated": False, "description": describe(NATIVE, {})}}
    for name, spec in conditions.items():
        out[name] = {"emulated": True, "description": describe(name, spec), "knobs": dict(spec)}
    return out


@contextlib.contextmanager
def _omp_threads(n: int):
    from threadpoolctl import threadpool_limits

    old = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(n)
    try:
        with threadpool_limits(limits=n, user_api="openmp"):
            yield
    finally:
        if old is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = old


@contextlib.contextmanager
def _background_load(n: int):
    procs = [subprocess.Popen([sys.executable, "-c", _SPIN], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(n)]
    try:
        yield
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@contextlib.contextmanager
def applied(name: str, spec: dict | None):
    """Apply a condition for the duration of one serial cell."""
    with contextlib.ExitStack() as stack:
        if name != NATIVE and spec:
            if spec.get("omp_threads"):
                stack.enter_context(_omp_threads(int(spec["omp_threads"])))
            if spec.get("background_load"):
                stack.enter_context(_background_load(int(spec["background_load"])))
        yield
