"""`diagnose` prints findings people read (aligned evidence, no JSON) and JSON for machines."""
from __future__ import annotations

import json
import math
import re

import pytest

from bench.cli import main
from bench.diagnosis import diagnose
from bench.diagnosis import Finding
from bench.diagnosis.cli import read_findings_json
from bench.errors import BenchError
from bench.diagnosis.evidence import aligned, evidence_rows
from bench.diagnosis.units import UndeclaredEvidence
from tests import fixture_records as fr


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    return fr.write_known_run(tmp_path_factory.mktemp("diagnose")).path


def _strict(text: str):
    def no_nan(name):
        raise ValueError(f"not JSON: {name}")
    return json.loads(text, parse_constant=no_nan)


def test_text_output_has_aligned_evidence_and_no_json(known, capsys):
    assert main(["diagnose", str(known)]) == 0
    out = capsys.readouterr().out
    assert "{" not in out and "}" not in out and '"' not in out
    findings = diagnose(known)
    blocks = out.strip().split("\n\n")
    # (search quality is not judged at 4 evaluations: within TPE's random start-up)
    assert blocks[0] == "3 finding(s): 3 medium"
    for f, block in zip(findings, blocks[1:]):
        lines = block.splitlines()
        assert lines[0] == f"{f.severity.upper()}  {f.id}"  # plain: stdout is not a terminal
        start = lines.index("  evidence:") + 1
        rows = lines[start:start + len(f.evidence_rows())]
        assert all(re.match(r"^    \S+.* +\S", r) for r in rows), rows
        # label (unit) first, values right-aligned in one column, then the machine key
        ends = set()
        for line, row in zip(rows, f.evidence_rows()):
            assert line.startswith(f"    {row.heading()} ") and line.endswith(f"  {row.key}")
            ends.add(line.index(f" {row.value}  {row.key}", len(row.heading()) + 4)
                     + len(row.value) + 1)
        assert len(ends) == 1, rows
        assert any(line.startswith("  fix: ") for line in lines)
    fixed = blocks[1]
    assert re.search(r"^    fixed cost per trial \(s\) +1\.00  fixed_s_per_trial$", fixed, re.M)
    # parallelism 4 on 2 task slots: 2 trials at once, so the break-even of p=2
    assert re.search(r"^    break-even objective length \[4\] \(s\) +1\.00  "
                     r"break_even_objective_s\[4\]$", fixed, re.M)
    assert re.search(r"^    speedup on the native driver \[p=4 q=1\] +2\.67×  "
                     r"native_speedup_by_parallelism\[p=4 q=1\]$", fixed, re.M)


def test_json_output_is_strict_json_with_the_same_findings(known, capsys):
    main(["diagnose", str(known)])
    text = capsys.readouterr().out
    assert main(["diagnose", str(known), "--json"]) == 0
    document = _strict(capsys.readouterr().out)
    assert list(document) == ["format", "findings"] and document["format"] == 2
    data = document["findings"]
    findings = diagnose(known)
    assert [d["id"] for d in data] == [f.id for f in findings]
    assert [d["id"] for d in data] == re.findall(r"^(?:HIGH|MEDIUM|LOW)  (\S+)$", text, re.M)
    for d, f in zip(data, findings):
        assert (d["severity"], d["summary"], d["recommendation"]) == (
            f.severity, f.summary, f.recommendation)
        for key, value in f.evidence.items():
            if isinstance(value, float) and math.isnan(value):
                assert d["evidence"][key] is None  # JSON has no NaN
            elif not isinstance(value, dict):
                assert d["evidence"][key] == pytest.approx(value)


def test_both_json_formats_read_and_an_unknown_one_is_named(known, capsys):
    assert main(["diagnose", str(known), "--json"]) == 0
    document = _strict(capsys.readouterr().out)
    findings = document["findings"]
    assert read_findings_json(document) == findings
    assert read_findings_json(findings) == findings  # format 1: the bare list
    with pytest.raises(BenchError, match="unknown document \\(format 3\\)"):
        read_findings_json({"format": 3, "findings": findings})


def test_evidence_units_are_the_declared_ones():
    rows = evidence_rows({"fixed_s_per_trial": 1.788, "share": 0.5, "slowdown": 0.004,
                          "effective_cores": 1.96, "closure_bytes": 2_500_000, "emulated": True,
                          "break_even_objective_s": {2: 1.5, 1: "never"},
                          "serial": {"threads": 32, "objective_s": 4.11},
                          "import_s": float("nan"), "cluster_shapes": ["2x1", "1x2"],
                          "other_busy_cores_by_configuration": {"serial {OMP_NUM_THREADS=1}": 0.5},
                          "measured_alternatives": {"as_run": 45.0},
                          "spark_p2": {"threads": 1, "omp_num_threads": "1"}})
    assert [(r.key, r.label, r.value, r.unit) for r in rows] == [
        ("fixed_s_per_trial", "fixed cost per trial", "1.79", "s"),
        ("share", "trials that started a new worker", "50%", ""),
        ("slowdown", "slowdown", "0.0040×", ""),
        ("effective_cores", "cores kept busy per trial", "1.96", "cores"),
        ("closure_bytes", "objective closure size", "2.5", "MB"),
        ("emulated", "emulated driver", "yes", ""),
        ("break_even_objective_s[2]", "break-even objective length [2]", "1.50", "s"),
        ("break_even_objective_s[1]", "break-even objective length [1]", "never", "s"),
        ("serial.threads", "serial: model threads", "32", "threads"),
        ("serial.objective_s", "serial: objective time per trial", "4.11", "s"),
        ("import_s", "imports and set-up", "—", "s"), ("cluster_shapes", "cluster shapes",
                                                       "2x1, 1x2", ""),
        # a mapping's entries take the mapping's unit, whatever their names say
        # (the name guess this replaced read 'configuration' as a ratio)
        ("other_busy_cores_by_configuration[serial {OMP_NUM_THREADS=1}]",
         "cores other processes kept busy [serial {OMP_NUM_THREADS=1}]", "0.50", "cores"),
        ("measured_alternatives.as_run", "objective time with a measured change [as_run]",
         "45.0", "s"),
        ("spark_p2.threads", "spark p=2: model threads", "1", "threads"),
        ("spark_p2.omp_num_threads", "spark p=2: OMP_NUM_THREADS", "1", "")]
    assert aligned(rows[:2]) == [
        "fixed cost per trial (s)          1.79  fixed_s_per_trial",
        "trials that started a new worker   50%  share"]


def test_a_rendered_finding_shows_labels_with_the_keys_beside_them(known):
    from bench.diagnosis.cli import finding_text

    f = next(f for f in diagnose(known) if "fixed_s_per_trial" in f.evidence)
    text = "\n".join(finding_text(f))
    assert re.search(r"^    fixed cost per trial \(s\) +\S+  fixed_s_per_trial$", text, re.M)
    dim = "\n".join(finding_text(f, colour=True))
    assert "  \033[2mfixed_s_per_trial\033[0m" in dim  # the key, small beside the label


def test_an_undeclared_evidence_key_is_an_error_naming_it():
    with pytest.raises(UndeclaredEvidence, match="evidence key 'speedup_guess'"):
        evidence_rows({"fixed_s_per_trial": 1.0, "speedup_guess": 2.0})
    with pytest.raises(UndeclaredEvidence, match="member 'wall_s' of evidence record 'serial'"):
        evidence_rows({"serial": {"wall_s": 1.0}})
    f = Finding(id="x", rule="x", severity="low", summary="s", evidence={"cores": 2,
                                                                       "serial": {"threads": 1}})
    assert f.units() == {"cores": "cores", "serial": {"threads": "threads"}}
    assert f.to_dict()["units"] == f.units()


def test_severity_is_coloured_on_a_terminal_only(known, capsys):
    from bench.diagnosis.cli import finding_text

    f = diagnose(known)[0]
    assert finding_text(f, colour=True)[0] == f"\033[1;33mMEDIUM\033[0m  {f.id}"
    main(["diagnose", str(known)])  # captured stdout is not a terminal
    assert "\033[" not in capsys.readouterr().out
