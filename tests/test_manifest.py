"""The manifest as a checked record: bad manifests give one-line errors from every command,
and one results folder is run by one process at a time (lock file)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from bench import cli
from bench.errors import BenchError
from bench.model import SCHEMA_VERSION
from bench.storage import RunFolder
from tests.conftest import ROOT
from tests.fixture_records import interrupt_run, write_known_run


def _commands(path):
    return {"report": ["report", str(path), "--out", str(path.parent / "rep")],
            "diagnose": ["diagnose", str(path)],
            "resume": ["run", "--resume", str(path), "--quiet"],
            "compare": ["compare", str(path), str(path)]}


def _broken(good: dict, case: str) -> tuple[object, str]:
    """A broken version of a good manifest, and words the error must contain."""
    return {"not an object": ([1, 2], "not a JSON object"),
            "missing keys": ({k: v for k, v in good.items() if k != "cells"}, "lacks cells"),
            "unknown version": ({**good, "schema_version": 99}, "schema version 99"),
            "version not a number": ({**good, "schema_version": "one"}, "schema version 'one'"),
            "cells not a list": ({**good, "cells": {"a": 1}}, "cells: expected a list"),
            }[case]


CASES = ["not an object", "missing keys", "unknown version", "version not a number",
         "cells not a list"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("command", ["report", "diagnose", "resume", "compare"])
def test_bad_manifest_is_one_line_error_from_every_command(tmp_path, capsys, case, command):
    folder = write_known_run(tmp_path)
    data, words = _broken(json.loads(folder.manifest_path.read_text()), case)
    folder.manifest_path.write_text(json.dumps(data))
    code = cli.main(_commands(folder.path)[command])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "manifest.json" in err and words in err, err


def test_every_version_in_the_history_reads(tmp_path):
    from bench.model import SCHEMA_HISTORY
    assert SCHEMA_VERSION in SCHEMA_HISTORY and min(SCHEMA_HISTORY) == 1
    folder = write_known_run(tmp_path)
    for version in SCHEMA_HISTORY:
        data = json.loads(folder.manifest_path.read_text())
        folder.manifest_path.write_text(json.dumps({**data, "schema_version": version}))
        assert folder.manifest()["schema_version"] == version


def test_version_1_unknown_closure_size_reads_as_null(tmp_path):
    """Version 1 wrote -1 for a closure that could not be pickled; it now reads as null."""
    folder = write_known_run(tmp_path)
    data = json.loads(folder.manifest_path.read_text())
    folder.manifest_path.write_text(json.dumps({**data, "schema_version": 1}))
    lines = folder.cells_path.read_text().splitlines()
    first = json.loads(lines[0])
    lines[0] = json.dumps({**first, "closure_bytes": -1})
    folder.cells_path.write_text("\n".join(lines) + "\n")
    assert folder.committed().cells[0]["closure_bytes"] is None


def _hold_lock(path):
    """A second process that takes the folder's lock and keeps it until killed."""
    code = ("import sys, time; from bench.storage import RunFolder\n"
            "with RunFolder(sys.argv[1]).lock():\n"
            "    print('held', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_two_resumes_of_one_folder_cannot_both_run(tmp_path, capsys):
    folder = write_known_run(tmp_path, extra_planned=1)
    interrupt_run(folder)
    holder = _hold_lock(folder.path)
    try:
        code = cli.main(["run", "--resume", str(folder.path), "--quiet"])
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1, err
        assert f"pid {holder.pid}" in err and "run.lock" in err, err
        with pytest.raises(BenchError, match="in use"):
            with folder.lock():
                pass
    finally:
        holder.kill()  # SIGKILL: the lock file stays behind, naming a dead pid
        holder.wait()
    assert json.loads(folder.lock_path.read_text())["pid"] == holder.pid
    with folder.lock():  # a stale lock of a dead process is taken over
        assert json.loads(folder.lock_path.read_text())["pid"] == os.getpid()
    assert not folder.lock_path.exists()  # released on exit


def test_lock_is_released_when_the_block_raises(tmp_path):
    folder = write_known_run(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        with folder.lock():
            raise KeyboardInterrupt
    assert not folder.lock_path.exists()
    started = time.time()
    with folder.lock():
        pass
    assert time.time() - started < 5
