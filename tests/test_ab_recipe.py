"""docs/ci/ab-gate.sh's wiring: the stacks it builds from the two pins files, the one A/B run,
and the exit code each outcome gives. Run in a throwaway git repository with PY pointing at
a stand-in interpreter that records its arguments; every command it records is then parsed
by the real command line, so the recipe cannot call an option that does not exist."""
from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from bench.cli import build_parser
from tests.recipe_repo import make_checkout, run_recipe

FAKE_PY = r'''#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
case "$*" in
  *"stack create ab-base"*) exit "${BASE_STACK:-0}" ;;
  *"bench run"*) exit "${AB_RUN:-0}" ;;
  *"bench compare"*) echo "compare table"; exit "${COMPARE:-0}" ;;
esac
exit 0
'''


@pytest.fixture
def checkout(tmp_path):
    return make_checkout(tmp_path, "ab-gate.sh", FAKE_PY,
                         files={"requirements.txt": "hyperopt==0.2.7\n"},
                         after_commit={"requirements.txt": "hyperopt==0.3.0\n"})  # the PR's


def gate(repo: Path, **codes) -> tuple[int, list[str]]:
    return run_recipe(repo, "ab-gate.sh", **codes)


@pytest.mark.parametrize("codes, expected", [
    ({}, 0), ({"COMPARE": 1}, 1), ({"COMPARE": 3}, 3), ({"AB_RUN": 3}, 3),
    ({"AB_RUN": 2}, 2), ({"BASE_STACK": 2}, 2)])
def test_exit_codes(checkout, codes, expected):
    rc, calls = gate(checkout, **codes)
    assert rc == expected, calls
    if not codes:
        assert (checkout / "results" / "ab-gate" / "base-pins.txt").read_text() == \
            "hyperopt==0.2.7\n"  # the base branch's pins, not the PR's
        assert len(calls) == 4


def test_every_command_it_runs_is_one_the_command_line_takes(checkout):
    _, calls = gate(checkout)
    parser = build_parser()
    commands = []
    for call in calls:
        words = shlex.split(call)
        assert words[:2] == ["-m", "bench"], call
        args = parser.parse_args(words[2:])
        commands.append(args.command)
    assert commands == ["stack", "stack", "run", "compare"]
    run = parser.parse_args(shlex.split(calls[2])[2:])
    assert run.ab == "ab-base,ab-candidate" and run.strict
    assert parser.parse_args(shlex.split(calls[1])[2:]).requirements == "requirements.txt"
