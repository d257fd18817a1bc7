"""Shared fixtures: one real local Spark session per test session (loopback only)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

try:  # the standalone-cluster fixture lives with the cluster tests' helpers
    from tests.cluster_fixture import *  # noqa: F401,F403
except ImportError:
    pass


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """A real local[2] SparkSession bound to 127.0.0.1, quiet, stopped at the end."""
    from bench import runner, spark_session

    runner.quiet_third_party()
    os.environ["PYSPARK_PYTHON"] = sys.executable
    conf = spark_session.session_conf("local[2]", {}, eventlog_dir=None)
    session = spark_session.start_session(
        "local[2]", conf, app_name="bench-tests",
        log_path=tmp_path_factory.mktemp("spark-logs") / "spark.log")
    yield session
    session.stop()


def write_scenario(folder: Path, text: str, name: str = "scn.py") -> Path:
    path = folder / name
    path.write_text(text)
    return path
