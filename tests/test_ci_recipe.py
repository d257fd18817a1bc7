"""docs/ci/regression-gate.sh's wiring: which exit code each outcome of its steps gives.

The script runs in a throwaway git repository of its own (it adds and removes a worktree of
BASE_REF there), with PY pointing at a stand-in interpreter that records its arguments and
answers with the exit code a case asks for; the real steps are the commands' own tests.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.recipe_repo import make_checkout, run_recipe

FAKE_PY = r'''#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
case "$*" in
  *"bench run"*--strict*) exit "${NEW_RUN:-0}" ;;
  *"bench run"*) exit "${BASE_RUN:-0}" ;;
  *"bench compare"*) echo "compare table"; exit "${COMPARE:-0}" ;;
  *"--benchmark-autosave"*) exit "${BASELINE_BENCH:-0}" ;;
  *"--benchmark-compare"*) exit "${CANDIDATE_BENCH:-0}" ;;
esac
exit 0
'''


@pytest.fixture
def checkout(tmp_path):
    return make_checkout(tmp_path, "regression-gate.sh", FAKE_PY)


def gate(repo: Path, **codes) -> tuple[int, list[str]]:
    return run_recipe(repo, "regression-gate.sh", **codes)


@pytest.mark.parametrize("codes, expected", [
    ({}, 0),
    ({"COMPARE": 1}, 1),
    ({"CANDIDATE_BENCH": 1}, 1),
    ({"COMPARE": 3}, 3),                 # not comparable
    ({"COMPARE": 3, "CANDIDATE_BENCH": 1}, 3),
    ({"NEW_RUN": 3}, 3),                 # the candidate's --strict run: a broken cell
    ({"NEW_RUN": 1}, 2),                 # the candidate's run could not be made
    ({"BASE_RUN": 1}, 2),
    ({"COMPARE": 2}, 2),
    ({"BASELINE_BENCH": 1}, 2),
])
def test_each_outcome_gives_its_exit_code(checkout, codes, expected):
    code, calls = gate(checkout, **codes)
    assert code == expected, (codes, calls)


def test_the_candidate_runs_strict_and_the_benchmark_step_uses_its_chosen_threshold(checkout):
    code, calls = gate(checkout)
    runs = [c for c in calls if c.startswith("-m bench run")]
    assert len(runs) == 2 and "--strict" not in runs[0] and runs[1].endswith("--strict")
    assert any("--benchmark-compare-fail=mean:15%" in c for c in calls)
    listed = subprocess.run(["git", "-C", str(checkout), "worktree", "list"],
                            capture_output=True, text=True).stdout
    assert len(listed.strip().splitlines()) == 1  # the baseline's worktree was removed
