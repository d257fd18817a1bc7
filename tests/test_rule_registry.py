"""The rule registry as a whole: every rule runs on fixture records and its findings carry
declared units, numbers (not formatted text), their workload and configuration; every
compared number is a named threshold and every severity a declared one."""
from __future__ import annotations

import ast
import importlib
import re
from numbers import Real
from pathlib import Path

import pytest

from bench.analysis import GROUP_COLS
from bench.cli import main
from bench.diagnosis import AFTER_RULES, RULES, THRESHOLDS, Finding, diagnose_data
from bench.diagnosis.severities import RAISED, SEVERITY, SEVERITIES
from bench.diagnosis.units import EVIDENCE, UNITS, label_of, unit_of
from bench.report.headline import finding_workload
from tests import test_spin_wait as sw
from tests.test_diagnosis import (T0, _placed_run, _quality_run, cell, run_of, trials_for)

DIAGNOSIS = Path(__file__).resolve().parents[1] / "bench" / "diagnosis"
#: the modules that hold rules (the registry, rules.py, only lists them)
RULE_MODULES = ["overhead.py", "threads.py", "spin_wait.py", "stability.py", "contention.py",
                "placement.py", "quality.py", "unexplained.py"]
RULE_NAMES = [r.__name__.replace("_", "-") for r in RULES + AFTER_RULES]


def _overhead_run():
    """Short trials, a fresh worker each, parallelism 4 on 2 slots, a 2.5 MB closure."""
    s = cell("serial")
    k = cell("spark", p=4, q=1, slots=2, closure=2_500_000)
    return run_of((s, trials_for(s, objective=0.3)),
                  (k, trials_for(k, objective=0.3, delay=1.0, startup=1.2, pids=[1, 2, 3, 4])))


def _starved_run():
    q1, q2 = cell("spark", p=2, q=1), cell("spark", p=2, q=2)
    return run_of((q1, trials_for(q1, objective=1.0, delay=1.0, concurrency=1)),
                  (q2, trials_for(q2, objective=1.0, delay=1.0, concurrency=2, start=T0 + 100)))


def _busy_driver_run():
    """A busy driver: serial trials run 32 threads beside other processes, 10x slower than
    native serial; spark at parallelism 1 runs one thread."""
    native, busy, k = cell("serial"), cell("serial", condition="busy"), cell("spark", p=1)
    quiet = trials_for(native, objective=0.3)
    loaded = trials_for(busy, objective=3.0, threads=32, omp="32", eff=0.4, start=T0 + 50)
    for t in loaded:
        t["other_busy_cores"] = 1.0
    return run_of((native, quiet), (busy, loaded),
                  (k, trials_for(k, objective=0.2, omp="1", start=T0 + 100)))


def _loaded_spin_run():
    """Every 2-thread cell shared its cores; the passive twins are the reference."""
    env = {"OMP_WAIT_POLICY": "passive"}
    built = []
    for i, (c, kw) in enumerate([
            (sw.lgbm_cell("serial", 2), dict(objective=9.0, eff=0.3)),
            (sw.lgbm_cell("serial", 2, env=env), dict(objective=0.8, eff=0.5, seen_env=env)),
            (sw.lgbm_cell("spark", 2, "2x1"), dict(objective=5.0, eff=0.3, concurrency=2))]):
        ts = sw.lgbm_trials(c, threads=2, start=T0 + 1000 * i, **kw)
        for t in ts:
            t["other_busy_cores"] = 1.9 if c["mode"] == "serial" else 1.0
        built.append((c, ts))
    return sw.run_of(*built)


def _unexplained_run():
    serial = sw.lgbm_cell("serial", 1)
    spark = {**sw.lgbm_cell("spark", 1, "1x2/tc2"), "parallelism": 1, "max_queue_len": 1}
    return sw.run_of((serial, sw.lgbm_trials(serial, objective=0.3, threads=1, eff=1.0)),
                     (spark, sw.lgbm_trials(spark, objective=3.0, threads=1, eff=1.0,
                                            start=T0 + 100)))


def _thread_env_run():
    """The same serial and spark cells under OMP_WAIT_POLICY=passive, and a serial twin in
    the inherited environment: a thread mismatch within a thread environment."""
    env = {"OMP_WAIT_POLICY": "passive"}
    serial, spark = sw.lgbm_cell("serial", 2, env=env), sw.lgbm_cell("spark", 2, "1x2/tc2", env)
    twin = sw.lgbm_cell("serial", 2)
    return sw.run_of(
        (serial, sw.lgbm_trials(serial, objective=1.0, threads=2, eff=1.8, seen_env=env)),
        (spark, sw.lgbm_trials(spark, objective=0.1, threads=1, eff=1.0, seen_env=env,
                               start=T0 + 100)),
        (twin, sw.lgbm_trials(twin, objective=2.0, threads=2, eff=1.8, start=T0 + 200)))


def _unstable_run():
    """One LightGBM configuration whose trials ran in two regimes: two at 0.4 s, two at
    10.6-11 s per trial (the spin-wait collapse takes trials at once together)."""
    c = sw.lgbm_cell("spark", 2, "1x2")
    ts = sw.lgbm_trials(c, objective=0.4, threads=2, eff=1.0, concurrency=2)
    for t, seconds in zip(ts, [0.4, 0.41, 10.6, 11.0]):
        t.update(objective_s=seconds, end_ts=t["start_ts"] + seconds,
                 refresh_ts=t["start_ts"] + seconds)
    return sw.run_of((c, ts))


def _skewed_clock_run(root: Path):
    """The known run with its executor's clock 3 s ahead, stepping back 2 s half way: the
    offset is found and applied, and the trials no one offset fits are left out."""
    from bench.analysis import build_frames, RunData, analyze
    from bench.storage import read_jsonl
    from tests import fixture_records as fr

    folder = fr.write_known_run(root, run_id="skewed")
    trials = read_jsonl(folder.trials_path).records
    spark = [t for t in trials if t["mode"] == "spark"]
    for i, t in enumerate(spark):
        shift = 3.0 if i < len(spark) // 2 else 1.0
        t.update(hostname="executor-host", start_ts=t["start_ts"] + shift,
                 end_ts=t["end_ts"] + shift)
    cells = read_jsonl(folder.cells_path).records
    tasks = read_jsonl(folder.spark_tasks_path).records
    manifest = folder.manifest()
    frames = build_frames(manifest, trials, cells, tasks)
    run = RunData(path=None, manifest=manifest, trials=frames[0], cells=frames[1],
                  spark_tasks=frames[2])
    return run, analyze(run)


FIXTURES = {
    "thread environment": _thread_env_run,
    "overhead": _overhead_run, "starved": _starved_run, "busy driver": _busy_driver_run,
    "collapse": lambda: sw.sizing_run(n_jobs=2, passive=True),
    "loaded collapse": _loaded_spin_run, "unexplained": _unexplained_run,
    "quality": lambda: _quality_run([1.0, 0.9, 0.6, 0.5], repeats=2),
    "uneven": lambda: _placed_run(["0", "0", "0", "0", "0", "0", "1", "1"]),
    "unstable": _unstable_run,
}


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> list[Finding]:
    out = diagnose_data(*_skewed_clock_run(tmp_path_factory.mktemp("skewed")))
    for build in FIXTURES.values():
        out += diagnose_data(*build())
    return out


def _values(evidence: dict, unit_for=unit_of):
    """(key path, unit, value) for every leaf of a finding's evidence."""
    for key, value in evidence.items():
        unit = unit_for(key)
        if isinstance(unit, dict):
            for member, v in (value or {}).items():
                yield f"{key}.{member}", unit_of(member, unit, key), v
        elif isinstance(value, dict):
            for entry, v in value.items():
                yield f"{key}[{entry}]", unit, v
        else:
            yield key, unit, value


def test_every_rule_fires_on_the_fixtures(findings):
    assert {f.rule for f in findings} == set(RULE_NAMES)


def test_every_evidence_value_has_a_declared_unit_and_numbers_stay_numbers(findings):
    numeric = {"seconds", "ratio", "share", "cores", "slots", "threads", "bytes", "count",
               "number", "loss"}
    seen = set()
    for f in findings:
        assert f.evidence_rows(), f.id  # renders: no key without a unit
        units = f.units()
        assert set(units) == set(f.evidence), f.id
        for path, unit, value in _values(f.evidence):
            assert unit in UNITS, (f.id, path, unit)
            seen.add(path.split(".")[0].split("[")[0])
            if unit in numeric and value is not None:
                # a break-even that never comes is the one word among numbers
                assert isinstance(value, Real) or value == "never", (f.id, path, value)
            if isinstance(value, str):
                assert not value.endswith("×"), (f.id, path, value)
    # the fixtures exercise the whole vocabulary: no declaration without a rule that uses it
    declared = {k.replace("{p}", "1") for k in EVIDENCE}
    assert declared - seen == set()


def _reads(label) -> bool:
    """A label is words: no machine key's underscores, except in an environment variable or
    a parameter a user sets by that name (n_jobs, max_queue_len)."""
    words = re.sub(r"\b([A-Z][A-Z0-9]*(_[A-Z0-9]+)+|n_jobs|max_queue_len)\b", "NAME", label)
    return isinstance(label, str) and bool(label.strip()) and "_" not in words


def test_every_declared_key_has_a_unit_of_the_vocabulary_and_a_label():
    for key, (unit, label) in EVIDENCE.items():
        assert _reads(label), (key, label)
        members = unit.items() if isinstance(unit, dict) else [(key, (unit, label))]
        for member, (u, member_label) in members:
            assert u in UNITS, (key, member, u)
            assert _reads(member_label), (key, member, member_label)
    assert label_of("fixed_s_per_trial") == "fixed cost per trial"
    assert label_of("spark_p4") == "spark p=4"
    assert label_of("threads", unit_of("serial"), "serial") == "model threads"


def test_findings_carry_their_workload_and_configuration(findings):
    for f in findings:
        if f.configuration is None:
            assert f.workload is None, f.id
            continue
        assert set(f.configuration) <= set(GROUP_COLS), f.id
        assert list(f.configuration) == [c for c in GROUP_COLS if c in f.configuration]
        assert f.configuration.get("workload") == f.workload, f.id
        # ids are unchanged: a workload finding names its workload right after the rule
        if f.workload is not None:
            assert f.id.split(":")[1] == f.workload, f.id
    by_id = {f.id: f for f in findings}
    assert by_id["fixed-overhead:w"].configuration == {"workload": "w", "mode": "spark"}
    assert by_id["fresh-worker-per-trial"].configuration is None
    assert by_id["dispatch-starvation:p2"].configuration == {
        "mode": "spark", "parallelism": 2, "max_queue_len": 1}
    assert by_id["dispatch-starvation:p2"].workload is None
    collapse = by_id["spin-wait-collapse:lgbm:spark:p2:2x1:nj2:native"]
    assert collapse.configuration == {
        "workload": "lgbm", "mode": "spark", "condition": "native", "parallelism": 2,
        "n_jobs_label": "2", "cluster_label": "2x1", "variant_label": "stock",
        "env_label": ""}


def test_the_headline_reads_the_workload_from_the_finding_not_its_id():
    f = Finding(id="some-rule:about-something", rule="some-rule", severity="low",
                summary="s", workload="lgbm", configuration={"workload": "lgbm"})
    assert finding_workload(f, ["lgbm", "rf"]) == "lgbm"
    assert finding_workload(f, ["rf"]) is None  # not a workload of this run
    whole = Finding(id="x:lgbm", rule="x", severity="low", summary="s")
    assert finding_workload(whole, ["lgbm"]) is None  # the id is never parsed


def test_validation_reads_the_workload_from_the_finding(monkeypatch):
    validate = importlib.import_module("bench.predict.validate")

    class Cal:  # what break_even_check reads of a calibration
        variant = validate.STOCK

        @staticmethod
        def classes():
            return [("w", "stock")]

    asked = []
    monkeypatch.setattr(validate, "model_break_even_s",
                        lambda cal, key, p, n, draws: asked.append((key, p)) or 0.5)
    run, _ = _overhead_run()
    named = Finding(id="fixed-overhead:not-the-workload", rule="fixed-overhead",
                    severity="high", summary="s", evidence={"break_even_objective_s": {2: 0.5}},
                    workload="w")
    unnamed = Finding(id="fixed-overhead:w", rule="fixed-overhead", severity="high",
                      summary="s", evidence={"break_even_objective_s": {2: 0.5}})
    rows = validate.break_even_check(run, Cal(), findings=[named, unnamed])
    assert [(r["workload"], r["parallelism"], r["holds"]) for r in rows] == [("w", 2, True)]
    assert asked == [(("w", "stock"), 2)]


def _compared_literals(path: Path) -> list[tuple[int, object]]:
    """Numeric literals other than 0 and 1 that a comparison in this module uses (0 and 1
    only say none / one of something, or which way a ratio points)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                if (isinstance(side, ast.Constant) and isinstance(side.value, (int, float))
                        and not isinstance(side.value, bool) and side.value not in (0, 1)):
                    found.append((node.lineno, side.value))
    return found


def test_rules_compare_against_named_thresholds_only(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("if len(x) < 3 or y >= 0.5 or z > 1 or w == 0:\n    pass\n")
    assert _compared_literals(probe) == [(1, 3), (1, 0.5)]  # the check sees them
    for name in RULE_MODULES:
        assert _compared_literals(DIAGNOSIS / name) == [], name
    used = set()
    for name in RULE_MODULES:
        used |= {n.args[0].value for n in ast.walk(ast.parse((DIAGNOSIS / name).read_text()))
                 if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "T"
                 and n.args and isinstance(n.args[0], ast.Constant)}
    assert used == set(THRESHOLDS), "declared but unused: %s; used but undeclared: %s" % (
        sorted(set(THRESHOLDS) - used), sorted(used - set(THRESHOLDS)))


def test_severities_are_declared_once_per_rule():
    assert set(SEVERITY) == set(RULE_NAMES)
    assert all(level in SEVERITIES for level, _ in SEVERITY.values())
    assert set(RAISED) <= set(SEVERITY)
    for name in RULE_MODULES:
        tree = ast.parse((DIAGNOSIS / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "severity":
                assert not isinstance(node.value, ast.Constant), (name, node.value.lineno)


def test_diagnose_lists_every_threshold_and_severity(tmp_path, capsys):
    from tests import fixture_records as fr

    run = fr.write_known_run(tmp_path).path
    assert main(["diagnose", str(run), "--thresholds"]) == 0
    out = capsys.readouterr().out
    for name, (value, why) in THRESHOLDS.items():
        assert f"threshold {name} = {value}: {why}" in out
    for rule, (level, _) in SEVERITY.items():
        assert f"severity {rule} = {level}: " in out
    assert "severity fixed-overhead = medium: " in out and "; high when SparkTrials" in out


def test_configuration_ids_follow_the_one_grammar_and_are_unique(findings):
    """Every rule that names a configuration builds its id from it (bench.diagnosis.ids):
    the id is the rule and the configuration's tokens, so two configurations never share one."""
    from bench.diagnosis.ids import finding_id

    grammar = {"thread-mismatch", "oversubscription", "spin-wait-collapse",
               "unstable-configuration", "unexplained", "uneven-placement"}
    seen = {f.rule for f in findings if f.rule in grammar}
    assert seen == grammar
    for f in findings:
        assert not set("{} ") & set(f.id), f.id
        if f.rule in grammar:
            assert f.id == finding_id(f.rule, f.configuration), f.id
