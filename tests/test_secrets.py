"""Secrets in Spark settings are redacted wherever a run stores them."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bench import spark_session
from bench.errors import BenchError
from bench.spark_session import REDACTED, redact_argv, redact_conf, resumed_conf
from tests.conftest import ROOT, write_scenario


@pytest.mark.parametrize("key", ["spark.authenticate.secret", "spark.ssl.keyStorePassword",
                                 "spark.hadoop.fs.s3a.access.key", "my.api.TOKEN",
                                 "fs.azure.account.key.acct.blob.core.windows.net"])
def test_secret_keys_match_spark_s_default_redaction_pattern(key):
    assert redact_conf({key: "v4lue", "spark.executor.cores": "2"}) == {
        key: REDACTED, "spark.executor.cores": "2"}
    assert redact_argv(["run", "--conf", f"{key}=v4lue", f"--conf={key}=v4lue", f"-D{key}=v4lue"]) \
        == ["run", "--conf", f"{key}={REDACTED}", f"--conf={key}={REDACTED}", f"-D{key}={REDACTED}"]


def test_resume_needs_redacted_secrets_again():
    recorded = {"spark.authenticate.secret": REDACTED, "spark.executor.cores": "2"}
    with pytest.raises(BenchError, match="spark.authenticate.secret.*--conf"):
        resumed_conf(recorded, {})
    assert resumed_conf(recorded, {"spark.authenticate.secret": "x"}) == {
        "spark.executor.cores": "2", "spark.authenticate.secret": "x"}


def test_log_text_loses_known_values_and_secret_pairs():
    text = spark_session.redact_text("ok spark.ssl.password=pw-123 then (a,l0ngvalue)\n",
                                     secrets={"l0ngvalue"})
    assert "pw-123" not in text and "l0ngvalue" not in text and "ok " in text


TINY = '''
SCENARIO = {"name": "tiny", "workloads": ["sleep"], "sleep": {"seconds": 0.05, "threads": 0},
            "max_evals": 2, "modes": ["serial", "spark"], "parallelism": [1], "n_jobs": [None],
            "repeats": 1, "algo": "rand", "seed": 0}
'''
SECRETS = {"spark.bench.test.password": "pw-7c1e95", "spark.hadoop.fs.s3a.access.key": "AKIA9F3X2",
           "spark.hadoop.fs.s3a.secret.key": "sk-41b7d0"}


def test_no_secret_value_is_written_anywhere_in_the_results(tmp_path):
    scn = write_scenario(tmp_path, TINY)
    args = [a for k, v in SECRETS.items() for a in ("--conf", f"{k}={v}")]
    out = subprocess.run([sys.executable, "-m", "bench", "run", str(scn), "--quiet",
                          "--results-dir", str(tmp_path / "r"), *args], cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    folder = next((tmp_path / "r").iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["spark"]["conf"]["spark.bench.test.password"] == REDACTED
    assert manifest["requested"]["conf"]["spark.hadoop.fs.s3a.access.key"] == REDACTED
    assert f"spark.hadoop.fs.s3a.secret.key={REDACTED}" in manifest["argv"]
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.parent.name == "logs" for p in files)  # Spark's output is kept, scrubbed
    for path in files:
        data = path.read_bytes()
        for value in SECRETS.values():
            assert value.encode() not in data, f"{value} in {path}"
