"""Software stacks: definitions, errors, and (marked `stack`, run by .ci/run) a real build of
the may2022 stack with a smoke run on it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from bench import stacks, stacks_cli
from bench.errors import BenchError
from bench.storage import RunFolder
from tests.conftest import ROOT, SCENARIOS, write_scenario


def bench(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=timeout, env={**os.environ, **(env or {})})


def test_repository_stacks_are_valid_and_pin_the_2022_versions():
    defined = stacks.load_stacks()
    assert {"current", "may2022"} <= set(defined)
    may = dict(p.split("==") for p in defined["may2022"].packages if "==" in p)
    assert may["hyperopt"] == "0.2.7" and may["lightgbm"].startswith("3.3.")
    assert may["pyspark"].startswith("3.") and may["scikit-learn"].startswith("1.1.")
    current = defined["current"]
    assert current.project and any(r.startswith("hyperopt") for r in current.requirements())


@pytest.mark.parametrize("text, words", [
    ("[stacks.x]\npackages = 'hyperopt'\n", "stacks.x: packages: expected a list"),
    ("[stacks.x]\npins = ['a']\n", "stacks.x: unknown key.s. pins"),
    ("[stacks.x]\ndescription = 'nothing'\n", "stacks.x: give packages"),
    ("[stacks.'a b']\npackages = ['a']\n", "name may hold"),
    ("[stacks\n", "not valid TOML"),
    ("[other]\n", "no [stacks.NAME] tables"),
])
def test_bad_stack_files_are_one_line_errors(tmp_path, text, words):
    path = tmp_path / "stacks.toml"
    path.write_text(text)
    with pytest.raises(BenchError, match=words.replace("[", r"\[")):
        stacks.load_stacks(path)


def test_pip_failure_names_the_package():
    log = ("Collecting lightgbm==0.0.1\n"
           "ERROR: Could not find a version that satisfies the requirement lightgbm==0.0.1 "
           "(from versions: 2.0.2, 4.7.0)\n"
           "ERROR: No matching distribution found for lightgbm==0.0.1\n")
    package, line = stacks.failing_package(log)
    assert package == "lightgbm==0.0.1" and line.startswith("ERROR: Could not find")
    assert stacks.failing_package("  error: Failed building wheel for pyspark\n")[0] == "pyspark"


def test_stack_option_is_stripped_and_the_scenario_can_name_its_stack(tmp_path, monkeypatch):
    assert stacks_cli.strip_stack_option(["run", "s.py", "--stack", "may2022", "--quiet"]) == \
        ["run", "s.py", "--quiet"]
    assert stacks_cli.strip_stack_option(["run", "--stack=x", "s.py"]) == ["run", "s.py"]
    args = SimpleNamespace(stack=None, scenario=str(SCENARIOS / "may2022_stack.py"),
                           profile="quick", resume=None)
    monkeypatch.delenv(stacks.ENV_NAME, raising=False)
    assert stacks_cli.stack_for_run(args) == "may2022"
    args.stack = "current"  # --stack wins over the scenario's own
    assert stacks_cli.stack_for_run(args) == "current"
    monkeypatch.setenv(stacks.ENV_NAME, "current")  # already inside it: no re-execution
    assert stacks_cli.stack_for_run(args) is None
    args.stack = None  # re-executed by --stack current: the scenario's own stack must not win
    assert stacks_cli.stack_for_run(args) is None
    plain = SimpleNamespace(stack=None, scenario=str(SCENARIOS / "smoke.py"), profile="quick",
                            resume=None)
    assert stacks_cli.stack_for_run(plain) is None


def test_run_on_an_unknown_or_unbuilt_stack_exits_2(tmp_path):
    out = bench("run", str(SCENARIOS / "smoke.py"), "--stack", "nope")
    assert out.returncode == 2 and "stack 'nope' is not defined" in out.stderr
    defs = tmp_path / "stacks.toml"
    defs.write_text("[stacks.never-built-here]\npackages = ['hyperopt==0.2.7']\n")
    out = bench("run", str(SCENARIOS / "smoke.py"), "--stack", "never-built-here",
                env={stacks.FILE_ENV: str(defs)})
    assert out.returncode == 2, out.stderr
    assert "python -m bench stack create never-built-here" in out.stderr
    out = bench("stack", "list", env={stacks.FILE_ENV: str(defs)})
    assert out.returncode == 0 and "never-built-here" in out.stdout


@pytest.mark.stack
def test_a_pin_that_cannot_be_installed_names_the_package(tmp_path):
    defs = tmp_path / "stacks.toml"
    defs.write_text("[stacks.broken-pin-test]\npackages = ['lightgbm==0.0.1']\n")
    out = bench("stack", "create", "broken-pin-test", "--stacks-file", str(defs), timeout=600)
    assert out.returncode == 2, out.stderr
    assert "cannot install lightgbm==0.0.1" in out.stderr, out.stderr
    assert not (stacks.STACKS_DIR / "broken-pin-test").exists()


@pytest.mark.stack
def test_may2022_stack_builds_and_runs_the_smoke_scenario(tmp_path):
    out = bench("stack", "create", "may2022", timeout=3000)
    assert out.returncode == 0, out.stderr
    python = out.stdout.strip().splitlines()[-1]
    assert python == str(stacks.get("may2022").python)
    again = bench("stack", "create", "may2022")  # built: reused, not rebuilt
    assert again.returncode == 0 and "reused" in again.stderr
    out = bench("run", str(SCENARIOS / "smoke.py"), "--stack", "may2022", "--quiet",
                "--results-dir", str(tmp_path), "--report", timeout=900)
    assert out.returncode == 0, out.stderr
    report = out.stdout.strip().splitlines()[-1]
    assert report.endswith("report.md")
    folder = RunFolder(next(tmp_path.iterdir()))
    env = folder.manifest()["environment"]
    assert env["stack"]["name"] == "may2022"
    assert env["packages"]["hyperopt"] == "0.2.7"
    assert env["packages"]["lightgbm"].startswith("3.3.")
    assert env["python_executable"] == python and env["pyspark_python"] == python
    trials = folder.committed().trials
    assert len(trials) == 16 and all(t["status"] == "ok" for t in trials)
    driver = {t["pid"] for t in trials if t["mode"] == "serial"}
    spark = [t for t in trials if t["mode"] == "spark"]
    assert spark and all(t["spark_task_attempt_id"] is not None for t in spark)
    assert not driver & {t["pid"] for t in spark}
    # hyperopt 0.2.7 passed the start-up check of internals and adopted every cell's job
    # group: each spark trial is joined to its Spark task
    assert "could not be joined" not in out.stderr
    from bench.storage import read_jsonl

    joined = {(t["cell_id"], t["tid"]) for t in read_jsonl(folder.spark_tasks_path).records
              if t.get("tid") is not None}
    assert {(t["cell_id"], t["tid"]) for t in spark} <= joined
