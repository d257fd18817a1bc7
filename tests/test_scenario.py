"""Scenario validation: every bad input is one line naming the key and the file."""
from __future__ import annotations

import subprocess
import sys

import pytest

from bench import scenario
from bench.errors import BenchError
from tests.conftest import ROOT, SCENARIOS, write_scenario

GOOD = '''SCENARIO = {"name": "t", "workloads": ["sleep"], "max_evals": 2, %s}'''


def load_text(tmp_path, extra: str, profile="quick"):
    return scenario.load(write_scenario(tmp_path, GOOD % extra), profile)


@pytest.mark.parametrize("extra, key, words", [
    ('"paralelism": [2]', "paralelism", "unknown key"),
    ('"parallelism": [0]', "parallelism", "must be >= 1"),
    ('"parallelism": 0', "parallelism", "must be >= 1"),
    ('"max_evals": 0', "max_evals", "must be >= 1"),
    ('"modes": ["cluster"]', "modes", "unknown mode"),
    ('"modes": []', "modes", "empty grid"),
    ('"parallelism": []', "parallelism", "empty grid"),
    ('"n_jobs": []', "n_jobs", "empty grid"),
    ('"repeats": "3"', "repeats", "expected int"),
    ('"parallelism": [1.5]', "parallelism", "whole numbers"),
    ('"max_queue_len": ["all"]', "max_queue_len", "'parallelism'"),
    ('"algo": "grid"', "algo", "unknown algorithm"),
    ('"data": {"rows": 10, "cols": 3}', "data.cols", "unknown key"),
    ('"conditions": {"busy": {"description": "x"}}', "conditions.busy", "emulates nothing"),
    ('"profiles": {"Huge": {}}', "profiles.Huge", "a profile name is"),
    ('"fixes": {"parallelism": {}}', "fixes.parallelism", "unknown axis"),
    ('"fixes": {"n_jobs": []}', "fixes.n_jobs", "expected a dict saying where"),
    ('"fixes": {"n_jobs": {"where": [1]}}', "fixes.n_jobs.where", "unknown key"),
    ('"fixes": {"n_jobs": {"modes": []}}', "fixes.n_jobs.modes", "non-empty list"),
    ('"fixes": {"max_queue_len": {"modes": ["serial"]}}', "fixes.max_queue_len.modes",
     "changes only spark cells"),
    ('"fixes": {"n_jobs": {"modes": ["pool"]}}', "fixes.n_jobs.modes",
     "not one of the scenario's modes"),
    ('"fixes": {"variants": {"parallelism": [8]}}', "fixes.variants.parallelism",
     "not one of the scenario's parallelism values"),
])
def test_bad_values_name_key_and_file(tmp_path, extra, key, words):
    # max_evals appears twice in the dict literal for that case: the last one wins, as in Python
    with pytest.raises(BenchError) as err:
        load_text(tmp_path, extra)
    msg = str(err.value)
    assert "\n" not in msg
    assert str(tmp_path / "scn.py") in msg and f"{key}:" in msg and words in msg


def test_unknown_workload(tmp_path):
    path = write_scenario(tmp_path, 'SCENARIO = {"name": "t", "workloads": ["xgb"]}')
    with pytest.raises(BenchError, match=r"workloads\[0\].name: unknown workload 'xgb'"):
        scenario.load(path)


def test_empty_workloads_and_missing_pieces(tmp_path):
    for text, words in [('SCENARIO = {"name": "t", "workloads": []}', "empty grid"),
                        ('SCENARIO = {"workloads": ["rf"]}', "name: missing"),
                        ('X = 1', "SCENARIO: missing"),
                        ('SCENARIO = [1]', "expected dict"),
                        ('raise ValueError("boom")', "failed to load: ValueError: boom")]:
        with pytest.raises(BenchError, match=words):
            scenario.load(write_scenario(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(BenchError, match="scenario file not found"):
        scenario.load(tmp_path / "nope.py")


def test_custom_objective_needs_space(tmp_path):
    text = ('def obj(params, data):\n    return 1.0\n'
            'SCENARIO = {"name": "t", "workloads": [{"name": "mine", "objective": obj}]}')
    with pytest.raises(BenchError, match=r"workloads\[0\].space"):
        scenario.load(write_scenario(tmp_path, text))


def test_profile_overrides_and_defaults(tmp_path):
    text = GOOD % '"parallelism": [1, 2], "profiles": {"full": {"parallelism": [4], "data": {"rows": 9}}}'
    quick = scenario.load(write_scenario(tmp_path, text), "quick")
    full = scenario.load(write_scenario(tmp_path, text), "full")
    assert quick.settings["parallelism"] == [1, 2]
    assert full.settings["parallelism"] == [4]
    assert full.settings["data"]["rows"] == 9 and full.settings["data"]["features"] == 20
    assert quick.settings["max_evals"] == [2] and quick.profile == "quick"


@pytest.mark.parametrize("path", scenario.find_scenarios(SCENARIOS), ids=lambda p: p.stem)
@pytest.mark.parametrize("profile", scenario.PROFILES)
def test_shipped_scenarios_are_valid(path, profile):
    scn = scenario.load(path, profile)
    assert scn.settings["workloads"]


def test_a_scenario_declares_profiles_of_its_own(tmp_path):
    text = GOOD % '"profiles": {"large": {"max_evals": 9}}'
    large = scenario.load(write_scenario(tmp_path, text), "large")
    assert large.settings["max_evals"] == [9] and large.profile == "large"
    with pytest.raises(BenchError, match=r"--profile: unknown profile 'huge' \(allowed: "
                                         r"quick, full, large\)"):
        scenario.load(write_scenario(tmp_path, text), "huge")


def test_cli_reports_one_line_and_exit_2(tmp_path):
    bad = write_scenario(tmp_path, GOOD % '"parallelism": [0]')
    out = subprocess.run([sys.executable, "-m", "bench", "run", str(bad), "--quiet"],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0, out.stderr
    assert "Traceback" not in out.stderr and "parallelism: must be >= 1" in out.stderr
    assert not (tmp_path / "results").exists()


def test_cli_bad_conf_and_profile(tmp_path):
    for args, words in [(["--conf", "novalue"], "expected key=value"),
                        (["--resume", str(tmp_path / "missing")], "no such results folder")]:
        cmd = [sys.executable, "-m", "bench", "run", *([] if "--resume" in args else
                                                       [str(SCENARIOS / "smoke.py")]), *args]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr


def test_cluster_shapes_validate_without_the_process_manager(tmp_path):
    """Shapes are one grammar (bench.shapes): checking a scenario loads no cluster code."""
    path = write_scenario(tmp_path, GOOD % '"clusters": ["2x1", {"shape": "1X2", "task_cpus": 2}]')
    code = ("import sys; from bench import scenario; "
            f"s = scenario.load({str(path)!r}); "
            "print([c['label'] for c in s.settings['clusters']]); "
            "print('bench.cluster.standalone' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split("\n")
    assert out[:2] == ["['2x1', '1x2/tc2']", "False"]
