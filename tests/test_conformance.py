"""hyperopt's own SparkTrials integration tests, stock and with TunedSparkTrials (conformance).

Runs the suite hyperopt ships in its wheel (tests/hyperopt_suite.py) in an environment, as it
is and with SparkTrials swapped for a strict TunedSparkTrials: every test that passes stock
must pass tuned (hyperopt_suite.BY_DESIGN names the one that cannot, and why). Environments:
this one (hyperopt 0.3.0, PySpark 4), the may2022 stack (0.2.7, PySpark 3.4) — the
`conformance` step of .ci/run — and the spark35 stack (PySpark 3.5), in the `spark35` step.
Each run's table is written to reports/conformance/ENV/conformance.md.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench import stacks
from tests import hyperopt_suite
from tests.conftest import ROOT


def stack_python(name: str) -> str:
    """The stack's interpreter, building the stack first when needed (reused once built)."""
    out = subprocess.run([sys.executable, "-m", "bench", "stack", "create", name],
                         capture_output=True, text=True, cwd=ROOT, timeout=3000,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    return str(stacks.get(name).python)


@pytest.mark.parametrize("env", [pytest.param("current", marks=pytest.mark.conformance),
                                 pytest.param("may2022", marks=pytest.mark.conformance),
                                 pytest.param("spark35", marks=pytest.mark.spark35)])
def test_hyperopt_spark_suite_passes_with_tuned_spark_trials(env):
    python = sys.executable if env == "current" else stack_python(env)
    expected = {"current": None, "may2022": "0.2.7", "spark35": None}[env]
    versions = hyperopt_suite.versions(python)
    if expected:
        assert versions["hyperopt"] == expected, versions
    if env == "spark35":
        assert versions["pyspark"].startswith("3.5."), versions
    out = ROOT / "reports" / "conformance" / env
    text, failing = hyperopt_suite.report(python, out)
    print(text)
    assert failing == [], f"pass stock but not tuned on {env}: {failing}\n{text}"
    stock = hyperopt_suite.outcomes(out / "stock" / "junit.xml")
    assert sum(o == "passed" for o in stock.values()) >= 10, text  # the baseline ran
    tuned = hyperopt_suite.outcomes(out / "tuned" / "junit.xml")
    assert sum(o == "passed" for o in tuned.values()) >= sum(
        o == "passed" for o in stock.values()) - len(hyperopt_suite.BY_DESIGN), text
