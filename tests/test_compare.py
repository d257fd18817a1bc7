"""bench compare on hand-made results folders whose answers are known by construction."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import compare
from bench.errors import BenchError
from bench.storage import RunFolder, write_json
from tests.conftest import ROOT
from tests.fixture_records import BASE_TS, _cell_record, _trial, cell_dict, manifest

SERIAL = dict(mode="serial", parallelism=None)
SPARK = dict(mode="spark", parallelism=2)


def write_run(root: Path, run_id: str, walls: dict, objective_s: float = 0.5,
              fixed_s: float = 0.5, env: dict | None = None, failed_trials: int = 0,
              planned_extra: list | None = None) -> Path:
    """A run with configurations 'serial' and 'spark p=2' of workload sleep; `walls` maps
    'serial'/'spark' to one fmin wall per repeat. Every trial has the given objective time;
    spark trials pay `fixed_s` before it (dispatch -> objective start)."""
    plan = []
    for name, wall_list in walls.items():
        for repeat, wall in enumerate(wall_list):
            spec = SERIAL if name == "serial" else SPARK
            plan.append((cell_dict(run_id, spec["mode"], "sleep", spec["parallelism"], repeat,
                                   max_evals=4), wall))
    for order, (cell, _) in enumerate(plan):
        cell["order"] = order
    planned = [c for c, _ in plan] + list(planned_extra or [])
    man = manifest(run_id, planned)
    for key, value in (env or {}).items():
        man["environment"][key] = value
    folder = RunFolder(root / run_id).create(man)
    start, attempt = BASE_TS, 0
    for cell, wall in plan:
        spark = cell["mode"] == "spark"
        parts = (0.0, fixed_s if spark else 0.0, objective_s, 0.0)
        trials = []
        for tid in range(cell["max_evals"]):
            attempt += 1
            t = _trial(cell, run_id, tid, start + tid * sum(parts), parts, 0.1 * tid,
                       spark=spark, pid=1000 + attempt, attempt=attempt if spark else None)
            if tid < failed_trials:
                t.update(status="fail", loss=None, error="ValueError: boom")
            trials.append(t)
        folder.append_cell(_cell_record(cell, run_id, start, wall, trials), trials)
        start += wall + 1.0
    return folder.path


FLAT = [7.6, 7.8, 8.0, 8.2, 8.4]
NOISY_A = [6.4, 7.2, 8.0, 8.8, 9.6]       # +-20% around 8
NOISY_B = [9.6, 6.4, 8.8, 7.2, 8.0]       # the same values, other repeats


def test_threshold_grammar_is_parsed_in_one_place():
    assert compare.parse_threshold("10%") == compare.Threshold("median", 0.10, True)
    assert compare.parse_threshold("median:25%") == compare.Threshold("median", 0.25, True)
    assert compare.parse_threshold("median:0.5") == compare.Threshold("median", 0.5, False)
    assert str(compare.parse_threshold("median:10%")) == "median:10%"
    for bad in ("ten", "mean:10%", "10%%", "-5%", ""):
        with pytest.raises(BenchError, match="--threshold"):
            compare.parse_threshold(bad)
    t = compare.parse_threshold("10%")
    assert t.exceeded(10.0, 11.5) and not t.exceeded(10.0, 10.9)
    assert compare.parse_threshold("median:0.5").exceeded(10.0, 10.6)


def test_double_wall_with_five_repeats_is_slower_and_blamed_on_the_objective(tmp_path):
    base = write_run(tmp_path, "base", {"serial": FLAT, "spark": FLAT}, objective_s=0.5)
    new = write_run(tmp_path, "new", {"serial": [2 * w for w in FLAT],
                                      "spark": [2 * w for w in FLAT]}, objective_s=1.0)
    result = compare.compare_folders(base, new, "10%")
    assert [r.verdict for r in result.rows] == [compare.SLOWER, compare.SLOWER]
    assert result.exit_code == 1
    spark = next(r for r in result.rows if r.settings["mode"] == "spark")
    assert spark.paired and spark.ratio.value == pytest.approx(2.0)
    assert spark.ratio.low > 1.5 and spark.cause == "objective"
    assert "objective 2.00x" in spark.attribution
    assert spark.base.n == spark.new.n == 5


def test_more_overhead_per_trial_is_blamed_on_sparktrials(tmp_path):
    base = write_run(tmp_path, "base", {"spark": FLAT}, fixed_s=0.5)
    new = write_run(tmp_path, "new", {"spark": [1.5 * w for w in FLAT]}, fixed_s=1.3)
    (row,) = compare.compare_folders(base, new).rows
    assert row.verdict == compare.SLOWER and row.cause == "overhead"
    assert "SparkTrials overhead +0.80 s per trial" in row.attribution


def test_same_distribution_with_20_percent_noise_is_no_significant_change(tmp_path):
    base = write_run(tmp_path, "base", {"serial": NOISY_A, "spark": NOISY_A})
    new = write_run(tmp_path, "new", {"serial": NOISY_B, "spark": list(reversed(NOISY_A))})
    result = compare.compare_folders(base, new)
    assert {r.verdict for r in result.rows} == {compare.SAME}
    assert all(r.ratio.low < 1 < r.ratio.high for r in result.rows)
    assert result.exit_code == 0


def test_a_clear_change_under_the_threshold_is_not_a_regression(tmp_path):
    base = write_run(tmp_path, "base", {"spark": FLAT})
    new = write_run(tmp_path, "new", {"spark": [1.05 * w for w in FLAT]})
    (row,) = compare.compare_folders(base, new, "10%").rows
    assert row.ratio.low > 1 and row.verdict == compare.SAME and "within" in row.reason
    (row,) = compare.compare_folders(base, new, "median:2%").rows
    assert row.verdict == compare.SLOWER


def test_one_repeat_per_side_is_indicative_only_unless_beyond_the_bound(tmp_path):
    base = write_run(tmp_path, "base", {"spark": [8.0]})
    new = write_run(tmp_path, "new", {"spark": [12.0]})
    result = compare.compare_folders(base, new)
    (row,) = result.rows
    assert row.verdict == compare.INDICATIVE and result.exit_code == 0
    worse = write_run(tmp_path, "worse", {"spark": [8.0 * compare.INDICATIVE_BOUND + 1]})
    result = compare.compare_folders(base, worse)
    assert result.rows[0].verdict == compare.SLOWER and result.exit_code == 1
    assert "bound" in result.rows[0].reason


def test_missing_configurations_and_environment_differences_are_listed(tmp_path):
    base = write_run(tmp_path, "base", {"serial": FLAT, "spark": FLAT})
    new = write_run(tmp_path, "new", {"spark": FLAT},
                    env={"packages": {"hyperopt": "0.2.7", "pyspark": "3.3.4"},
                         "java": "21", "logical_cores": 8})
    result = compare.compare_folders(base, new)
    assert [r.label for r in result.rows] == ["sleep spark p=2"]
    assert result.only_base == ["sleep serial"] and result.only_new == []
    diffs = {k: (a, b) for k, a, b in result.environment}
    assert diffs["environment.packages.hyperopt"] == ("0.3.0", "0.2.7")
    assert diffs["environment.packages.pyspark"] == ("4.3.0", "3.3.4")
    assert diffs["environment.java"] == ("17", "21")
    assert diffs["environment.logical_cores"] == (2, 8)
    text = compare.format_text(result)
    assert "Only in base (not compared): sleep serial" in text
    assert "environment.packages.hyperopt  0.3.0" in text
    md = compare.format_markdown(result)
    assert "| environment.packages.hyperopt | 0.3.0 | 0.2.7 |" in md
    data = json.loads(compare.format_json(result))
    assert data["only_base"] == ["sleep serial"] and data["exit_code"] == 0
    assert data["configurations"][0]["verdict"] == compare.SAME


def test_failed_trials_and_unfinished_cells_are_not_comparable(tmp_path):
    base = write_run(tmp_path, "base", {"serial": FLAT, "spark": FLAT})
    missing = cell_dict("new", "serial", "sleep", None, 5, max_evals=4)
    new = write_run(tmp_path, "new", {"serial": FLAT, "spark": [2 * w for w in FLAT]},
                    failed_trials=1, planned_extra=[missing])
    result = compare.compare_folders(base, new)
    reasons = {r.label: r.reason for r in result.rows}
    assert {r.verdict for r in result.rows} == {compare.NOT_COMPARABLE}
    assert "failed trial" in reasons["sleep spark p=2"]
    assert "planned cell(s) not run" in reasons["sleep serial"]
    assert result.exit_code == 0  # nothing declared slower: not comparable is reported


def bench_compare(*args):
    return subprocess.run([sys.executable, "-m", "bench", "compare", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_cli_exit_codes_and_formats(tmp_path):
    base = write_run(tmp_path, "base", {"spark": FLAT})
    slow = write_run(tmp_path, "slow", {"spark": [2 * w for w in FLAT]}, objective_s=1.0)
    out = bench_compare(base, slow, "--format", "json")
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["configurations"][0]["cause"] == "objective"
    out = bench_compare(base, base, "--threshold", "median:10%", "--format", "markdown")
    assert out.returncode == 0 and out.stdout.startswith("### ✅"), out.stderr
    out = bench_compare(base, slow)
    assert out.returncode == 1 and "REGRESSION" in out.stdout


def test_cli_bad_input_exits_2_with_one_line(tmp_path):
    base = write_run(tmp_path, "base", {"spark": FLAT})
    (tmp_path / "empty").mkdir()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text("{not json")
    for other, words in ((tmp_path / "nope", "no such results folder"),
                         (tmp_path / "empty", "missing"), (broken, "not valid JSON")):
        out = bench_compare(base, other)
        assert out.returncode == 2 and words in out.stderr, out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
    out = bench_compare(base, base, "--threshold", "lots")
    assert out.returncode == 2 and "--threshold" in out.stderr
    old = write_run(tmp_path, "old", {"spark": FLAT})
    man = RunFolder(old).manifest()
    write_json(RunFolder(old).manifest_path, {**man, "schema_version": man["schema_version"] + 1})
    out = bench_compare(base, old)
    assert out.returncode == 2 and "schema version" in out.stderr


class _InsertionOrderSet(dict):
    """A set that iterates in insertion order, so a test can choose the order a set of
    configuration keys comes out in."""

    def __init__(self, items=()):
        super().__init__((k, None) for k in items)

    def __and__(self, other):
        return _InsertionOrderSet(k for k in self if k in other)

    def __or__(self, other):
        return _InsertionOrderSet([*self, *(k for k in other if k not in self)])

    def __sub__(self, other):
        return _InsertionOrderSet(k for k in self if k not in other)


def test_configurations_that_differ_only_in_thread_environment_keep_one_order(monkeypatch):
    """Rows are ordered by every axis: two configurations that differ only in their thread
    environment used to come out in set order (which changes between interpreters: hash(None)
    is the object's address before Python 3.12), so the same two runs printed their rows in a
    different order from one call to the next."""
    import pandas as pd

    from bench.analysis import GROUP_COLS

    def key(env):
        row = dict(workload="lgbm", mode="serial", condition="native", parallelism=None,
                   max_queue_len=1, n_jobs_label="0", max_evals=8, cluster_label="",
                   variant_label="", env_label=env)
        return tuple(row[c] for c in GROUP_COLS)

    run = type("Run", (), {"cells": pd.DataFrame(), "manifest": {}})()
    from bench.compare import comparison  # where compare_runs looks its names up

    monkeypatch.setattr(comparison, "set", _InsertionOrderSet, raising=False)
    for inserted in (["OMP_WAIT_POLICY=passive", ""], ["", "OMP_WAIT_POLICY=passive"]):
        sides = {key(env): compare.Side(walls={0: 1.0}, wall_median_s=1.0) for env in inserted}
        monkeypatch.setattr(comparison, "run_sides", lambda _run, sides=sides: dict(sides))
        result = compare.compare_runs(run, run)
        assert [r.settings["env_label"] for r in result.rows] == ["", "OMP_WAIT_POLICY=passive"]
