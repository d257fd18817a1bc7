"""bench compare on hand-made results folders whose answers are known by construction."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import compare
from bench.errors import BenchError
from bench.model import Manifest
from bench.storage import RunFolder, write_json
from tests.conftest import ROOT
from tests.fixture_records import BASE_TS, _cell_record, _trial, cell_dict, manifest

SERIAL = dict(mode="serial", parallelism=None)
SPARK = dict(mode="spark", parallelism=2)


def write_run(root: Path, run_id: str, walls: dict, objective_s: float = 0.5,
              fixed_s: float = 0.5, env: dict | None = None, failed_trials: int = 0,
              planned_extra: list | None = None, objectives: list | None = None,
              cut_short: dict | None = None, load: float | None = None,
              threads: int | None = None, env_sets: dict | None = None,
              prewarm_s: float | None = None) -> Path:
    """A run with configurations 'serial' and 'spark p=2' of workload sleep; `walls` maps
    'serial'/'spark' to one fmin wall per repeat. Every trial has the given objective time
    (or `objectives[tid]`); spark trials pay `fixed_s` before it (dispatch -> objective
    start). `cut_short` maps a name to the repeats whose cell fmin returned after 2 of its 4
    trials (timeout_s); `load` is the other processes' busy cores each trial saw; `threads`
    the model threads each trial used; `env_sets` maps a name to the thread environment the
    harness set for its cells; `prewarm_s` the seconds each spark cell started its workers
    before the clock (a reuse variant's warm-up)."""
    plan = []
    for name, wall_list in walls.items():
        for repeat, wall in enumerate(wall_list):
            spec = SERIAL if name == "serial" else SPARK
            cell = cell_dict(run_id, spec["mode"], "sleep", spec["parallelism"], repeat,
                             max_evals=4, thread_env=(env_sets or {}).get(name))
            plan.append((name, cell, wall))
    for order, (_, cell, _) in enumerate(plan):
        cell["order"] = order
    planned = [c for _, c, _ in plan] + list(planned_extra or [])
    man = manifest(run_id, planned)
    for key, value in (env or {}).items():
        man["environment"][key] = value
    folder = RunFolder(root / run_id).create(man)
    start, attempt = BASE_TS, 0
    for name, cell, wall in plan:
        spark = cell["mode"] == "spark"
        short = cell["repeat"] in (cut_short or {}).get(name, ())
        trials = []
        for tid in range(2 if short else cell["max_evals"]):
            obj = objectives[tid] if objectives else objective_s
            parts = (0.0, fixed_s if spark else 0.0, obj, 0.0)
            attempt += 1
            t = _trial(cell, run_id, tid, start + tid * sum(parts), parts, 0.1 * tid,
                       spark=spark, pid=1000 + attempt, attempt=attempt if spark else None)
            if tid < failed_trials:
                t.update(status="fail", loss=None, error="ValueError: boom")
            if load is not None:
                t["other_busy_cores"] = load
            if threads is not None:
                t["model_threads_effective"] = threads
            trials.append(t)
        record = _cell_record(cell, run_id, start, wall, trials)
        if spark and prewarm_s is not None:
            record["prewarm_s"] = prewarm_s
        folder.append_cell(record, trials)
        start += wall + 1.0
    return folder.path


FLAT = [7.6, 7.8, 8.0, 8.2, 8.4]
NOISY_A = [6.4, 7.2, 8.0, 8.8, 9.6]       # +-20% around 8
NOISY_B = [9.6, 6.4, 8.8, 7.2, 8.0]       # the same values, other repeats


def test_a_slower_warm_up_before_the_clock_is_a_regression(tmp_path):
    """Same walls, but the candidate's workers take 4 s more to start before the clock: the
    user pays it, so the gate counts it (warm-up + wall, frames.warmup_and_paid)."""
    base = write_run(tmp_path, "base", {"spark": FLAT}, prewarm_s=0.0)
    new = write_run(tmp_path, "new", {"spark": FLAT}, prewarm_s=4.0)
    result = compare.compare_folders(base, new, "10%")
    (row,) = result.rows
    assert row.verdict == compare.SLOWER and result.exit_code == 1
    assert row.ratio.value == pytest.approx(12.0 / 8.0)
    assert "warm-up before the clock" in compare.format_text(result)


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
    # two results folders never shared a block: independent samples, the rank interval
    assert not spark.paired and spark.ratio.value == pytest.approx(2.0)
    assert spark.ratio.kind == "rank" and spark.ratio.low > 1.5 and spark.cause == "objective"
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


TIGHT = [7.9, 7.95, 8.0, 8.05, 8.1]      # +-1.25% around 8


def test_a_clear_change_under_the_threshold_is_not_a_regression(tmp_path):
    base = write_run(tmp_path, "base", {"spark": TIGHT})
    new = write_run(tmp_path, "new", {"spark": [1.05 * w for w in TIGHT]})
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
    assert data["only_base"] == ["sleep serial"] and data["exit_code"] == 3
    assert data["configurations"][0]["verdict"] == compare.SAME


def test_failed_trials_and_unfinished_cells_are_not_comparable_and_fail_the_gate(tmp_path):
    """A 2x slower candidate with a failed trial and a planned cell it never ran: the gate
    must not pass it (it did: 'not comparable' with exit 0)."""
    base = write_run(tmp_path, "base", {"serial": FLAT, "spark": FLAT})
    missing = cell_dict("new", "serial", "sleep", None, 5, max_evals=4)
    new = write_run(tmp_path, "new", {"serial": FLAT, "spark": [2 * w for w in FLAT]},
                    failed_trials=1, planned_extra=[missing])
    result = compare.compare_folders(base, new)
    reasons = {r.label: r.reason for r in result.rows}
    assert {r.verdict for r in result.rows} == {compare.NOT_COMPARABLE}
    assert "failed trial" in reasons["sleep spark p=2"]
    assert "planned cell(s) not run" in reasons["sleep serial"]
    assert result.exit_code == compare.EXIT_NOT_COMPARABLE == 3
    assert "NOT COMPARABLE" in compare.format_text(result)
    listed = compare.compare_folders(base, new, allow_incomparable=True)
    assert listed.exit_code == 0 and len(listed.not_comparable) == 2
    assert "Not comparable, listed, not failing" in compare.format_text(listed)


def test_cells_cut_short_are_never_speed(tmp_path):
    """A cell fmin returned from after 2 of its 4 trials (timeout_s) ran half the work in
    half the time: it was read as 'faster, 0.50x'."""
    base = write_run(tmp_path, "base", {"spark": FLAT})
    new = write_run(tmp_path, "new", {"spark": [w / 2 for w in FLAT]},
                    cut_short={"spark": range(5)})
    (row,) = compare.compare_folders(base, new).rows
    assert row.verdict == compare.NOT_COMPARABLE and row.new.n == 0
    assert "5 incomplete cell(s)" in row.reason
    # one short cell among complete ones: its wall is left out, the configuration still fails
    mixed = write_run(tmp_path, "mixed", {"spark": FLAT[:4] + [FLAT[4] / 2]},
                      cut_short={"spark": [4]})
    result = compare.compare_folders(base, mixed)
    (row,) = result.rows
    assert sorted(row.new.walls.values()) == FLAT[:4]
    assert row.verdict == compare.NOT_COMPARABLE and result.exit_code == 3


def test_a_configuration_in_one_run_only_is_not_comparable(tmp_path):
    base = write_run(tmp_path, "base", {"serial": FLAT, "spark": FLAT})
    new = write_run(tmp_path, "new", {"spark": FLAT})
    result = compare.compare_folders(base, new)
    assert result.only_base == ["sleep serial"] and result.exit_code == 3
    assert compare.compare_folders(base, new, allow_incomparable=True).exit_code == 0


def test_two_separate_runs_are_never_paired_by_repeat(tmp_path):
    base = write_run(tmp_path, "base", {"spark": FLAT})
    new = write_run(tmp_path, "new", {"spark": list(reversed(FLAT))})
    result = compare.compare_folders(base, new)
    (row,) = result.rows
    assert not row.paired and not result.paired and row.ratio.kind == "rank"
    assert "98% CI, rank" in compare.format_text(result)
    assert "independent runs" in compare.format_text(result)
    assert "paired" not in compare.format_text(result).replace("paired by block", "")
    assert json.loads(compare.format_json(result))["configurations"][0]["paired"] is False


#: per-trial objective seconds of a cell running in two regimes (the spin-wait collapse:
#: trials at once collapse together)
BIMODAL = [0.38, 0.40, 10.6, 11.0]


def test_a_configuration_in_two_modes_is_unstable_not_judged(tmp_path):
    base = write_run(tmp_path, "base", {"spark": FLAT}, objectives=BIMODAL)
    new = write_run(tmp_path, "new", {"spark": [2.5 * w for w in FLAT]}, objectives=BIMODAL)
    result = compare.compare_folders(base, new)
    (row,) = result.rows
    assert row.verdict == compare.UNSTABLE and result.exit_code == 0
    assert row.reason.startswith("unstable: cannot judge at n=5/5: two modes, 0.390 s and "
                                 "10.8 s per trial (2 and 2 trials, base cell")
    assert "by the walls alone: slower" in row.reason
    text = compare.format_text(result)
    assert "Unstable, listed, not failing (--fail-on-unstable to fail): sleep spark p=2" in text
    strict = compare.compare_folders(base, new, fail_on_unstable=True)
    assert strict.exit_code == 3


def test_a_regime_flip_between_single_runs_is_unstable_not_a_regression(tmp_path):
    """One repeat per side: the same multi-threaded configuration at 0.38 s per trial in one
    run and 10.6 s in the next is not a 28x regression (nor, the other way, an improvement)."""
    fast = write_run(tmp_path, "fast", {"spark": [3.0]}, objective_s=0.38, threads=2)
    slow = write_run(tmp_path, "slow", {"spark": [45.0]}, objective_s=10.6, threads=2)
    for base, new in ((fast, slow), (slow, fast)):
        result = compare.compare_folders(base, new)
        (row,) = result.rows
        assert row.verdict == compare.UNSTABLE and result.exit_code == 0, row.reason
        assert "cannot judge at n=1/1" in row.reason and "base and new runs" in row.reason
        assert "0.380 s and 10.6 s per trial" in row.reason
    # one thread per trial has no second regime to flip to: beyond the bound it still fails
    fast1 = write_run(tmp_path, "fast1", {"spark": [3.0]}, objective_s=0.38, threads=1)
    slow1 = write_run(tmp_path, "slow1", {"spark": [45.0]}, objective_s=10.6, threads=1)
    result = compare.compare_folders(fast1, slow1)
    assert result.rows[0].verdict == compare.SLOWER and result.exit_code == 1


def test_each_sides_load_stands_beside_the_verdict(tmp_path):
    base = write_run(tmp_path, "base", {"spark": FLAT}, load=0.1)
    busy = write_run(tmp_path, "busy", {"spark": [1.3 * w for w in FLAT]}, load=1.2)
    result = compare.compare_folders(base, busy)
    (row,) = result.rows
    assert (row.base.load_cores, row.new.load_cores) == (pytest.approx(0.1), pytest.approx(1.2))
    assert row.verdict == compare.SLOWER
    assert "different load" in row.load_note and "0.10 -> 1.20 cores" in row.load_note
    text = compare.format_text(result)
    assert "0.10 -> 1.20 !" in text and "the change may be the machine's" in text
    assert "other processes kept 0.10 cores busy beside its trials" in text
    data = json.loads(compare.format_json(result))["configurations"][0]
    assert data["load_cores_new"] == pytest.approx(1.2) and data["load_note"]
    quiet = write_run(tmp_path, "quiet", {"spark": FLAT}, load=0.3)
    (row,) = compare.compare_folders(base, quiet).rows
    assert row.load_note == ""


def test_configurations_that_differ_only_in_thread_environment_have_distinct_labels(tmp_path):
    walls = {"serial": FLAT, "spark": FLAT}
    base = write_run(tmp_path, "base", walls)
    passive = write_run(tmp_path, "passive", walls, env_sets={"serial": {"OMP_WAIT_POLICY":
                                                                         "passive"}})
    result = compare.compare_folders(base, passive, allow_incomparable=True)
    assert result.only_base == ["sleep serial {env as is}"]
    assert result.only_new == ["sleep serial {OMP_WAIT_POLICY=passive}"]


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
    broken = write_run(tmp_path, "broken", {"spark": FLAT}, failed_trials=1)
    out = bench_compare(base, broken)
    assert out.returncode == 3 and "NOT COMPARABLE" in out.stdout, out.stderr
    out = bench_compare(base, broken, "--allow-incomparable")
    assert out.returncode == 0, out.stderr
    unstable = write_run(tmp_path, "unstable", {"spark": FLAT}, objectives=BIMODAL)
    assert bench_compare(base, unstable).returncode == 0
    assert bench_compare(base, unstable, "--fail-on-unstable").returncode == 3


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
                   variant_label="", env_label=env, side="")
        return tuple(row[c] for c in GROUP_COLS)

    run = type("Run", (), {"cells": pd.DataFrame(), "manifest": Manifest()})()
    from bench.compare import comparison  # where compare_runs looks its names up

    monkeypatch.setattr(comparison, "set", _InsertionOrderSet, raising=False)
    for inserted in (["OMP_WAIT_POLICY=passive", ""], ["", "OMP_WAIT_POLICY=passive"]):
        sides = {key(env): compare.Side(walls={0: 1.0}, paid_median_s=1.0) for env in inserted}
        monkeypatch.setattr(comparison, "run_sides", lambda _run, sides=sides: dict(sides))
        result = compare.compare_runs(run, run)
        assert [r.settings["env_label"] for r in result.rows] == ["", "OMP_WAIT_POLICY=passive"]
