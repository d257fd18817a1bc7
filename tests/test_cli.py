"""The command line's parser: every command is there, and a command that cannot be imported
stops the program with its error instead of silently disappearing from the help."""
from __future__ import annotations

import sys

import pytest

from bench import cli


def test_every_command_is_registered():
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert set(commands) == {"list", "run", "schema", "report", "diagnose", "cluster",
                             "predict", "compare", "stack"}


def test_a_command_whose_import_fails_is_not_hidden(monkeypatch):
    import bench
    import bench.compare  # noqa: F401  (imported, as build_parser would)

    monkeypatch.delattr(bench, "compare")
    monkeypatch.setitem(sys.modules, "bench.compare", None)  # its import now fails
    with pytest.raises(ImportError, match="bench.compare"):
        cli.build_parser()
