"""The command line's parser: every command is there, and a command that cannot be imported
stops the program with its error instead of silently disappearing from the help."""
from __future__ import annotations

import sys

import pytest

from bench import cli


def test_every_command_is_registered():
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert set(cli.PLUGGABLE) <= set(commands)
    assert {"list", "run", "schema"} <= set(commands)


def test_a_command_whose_import_fails_is_not_hidden(tmp_path, monkeypatch):
    (tmp_path / "broken_bench_command.py").write_text("import no_such_module_for_bench\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "broken_bench_command", raising=False)
    monkeypatch.setitem(cli.PLUGGABLE, "broken", "broken_bench_command")
    with pytest.raises(ImportError, match="no_such_module_for_bench"):
        cli.build_parser()
