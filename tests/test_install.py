"""What pyproject.toml declares matches what the project is run on.

The dependency floors must admit every package the stacks pin (so a `pip install` next to a
runtime's PySpark 3.4 or 3.5 keeps it; tests/test_spark35.py does that install for real),
and the declared Python floor (3.10; only 3.11 is run here) must at least parse the code.
"""
from __future__ import annotations

import ast
import tomllib

from packaging.requirements import Requirement

from bench import stacks
from tests.conftest import ROOT


def _declared() -> dict:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {Requirement(r).name.lower(): Requirement(r) for r in project["dependencies"]}


def test_dependency_ranges_admit_every_stack_pin():
    declared = _declared()
    checked = []
    for stack in stacks.load_stacks().values():
        for text in stack.packages:
            pin = Requirement(text)
            exact = [s.version for s in pin.specifier if s.operator == "=="]
            if pin.name.lower() in declared and exact:
                assert declared[pin.name.lower()].specifier.contains(exact[0]), (stack.name, text)
                checked.append((stack.name, pin.name.lower()))
    assert ("may2022", "pyspark") in checked and ("spark35", "pyspark") in checked
    assert ("may2022", "numpy") in checked and ("may2022", "pandas") in checked
    assert declared["pyspark"].specifier.contains("3.4.0")


def test_code_parses_as_python_3_10():
    python = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python == ">=3.10"
    files = sorted((ROOT / "bench").rglob("*.py"))
    assert files
    for path in files:
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path), feature_version=(3, 10))
