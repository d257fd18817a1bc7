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
                                 "fs.azure.account.key.acct.blob.core.windows.net",
                                 "spark.bench.cloud.credentials.file", "spark.x.AccessKey"])
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


def test_resume_needs_a_setting_whose_url_was_redacted_again():
    recorded = redact_conf({"spark.bench.uri": "https://u:pw-1234@h/x", "spark.a": "1"})
    assert recorded["spark.bench.uri"] == f"https://u:{REDACTED}@h/x"
    with pytest.raises(BenchError, match="spark.bench.uri"):
        resumed_conf(recorded, {})
    assert resumed_conf(recorded, {"spark.bench.uri": "https://u:pw-1234@h/x"})[
        "spark.bench.uri"] == "https://u:pw-1234@h/x"


def test_log_text_loses_known_values_and_secret_pairs():
    text = spark_session.redact_text("ok spark.ssl.password=pw-123 then (a,l0ngvalue)\n",
                                     secrets={"l0ngvalue"})
    assert "pw-123" not in text and "l0ngvalue" not in text and "ok " in text


TINY = '''
SCENARIO = {"name": "tiny", "workloads": ["sleep"], "sleep": {"seconds": 0.05, "threads": 0},
            "max_evals": 2, "modes": ["serial", "spark"], "parallelism": [1], "n_jobs": [None],
            "repeats": 1, "algo": "rand", "seed": 0,
            "spark_conf": {"spark.hadoop.fs.s3a.secret.key": "sk-41b7d0",
                           "spark.bench.cloud.credential": "cred-5a0e13",
                           "spark.bench.storage.accesskey": "AKIA7Q2W9",
                           "spark.bench.endpoint":
                               "https://alice:pw-url-5e1@storage.example/x?sig=sig-9d2c&page=2"}}
'''
#: given with --conf: one secret per key family of Spark's pattern, Azure's account key, a
#: key only this run's own spark.redaction.regex names, and credentials inside URLs
SECRETS = {"spark.bench.test.password": "pw-7c1e95", "spark.hadoop.fs.s3a.access.key": "AKIA9F3X2",
           "spark.bench.api.token": "tok-3f8b21", "spark.bench.db.secret": "sec-0b94c7",
           "fs.azure.account.key.acct.blob.core.windows.net": "azk-6d1f04",
           "spark.bench.mycorp.id": "myc-8e2a55",
           "spark.bench.catalog.uri": "thrift://bob:pw-uri-c41@metastore.example:9083",
           "spark.bench.feed.url": "https://feed.example/data?token=tok-q-19f&access_token=at-2b6d"}
#: what must appear nowhere: every secret above, and those of the scenario's spark_conf
NEVER = [*[v for k, v in SECRETS.items() if "://" not in v], "pw-uri-c41", "tok-q-19f",
         "at-2b6d", "sk-41b7d0", "cred-5a0e13", "AKIA7Q2W9", "pw-url-5e1", "sig-9d2c"]


def test_no_secret_is_written_or_printed_anywhere(tmp_path):
    """A secret in the scenario's spark_conf, in --conf, in URLs, under each key family:
    the results and reports folders and the command's output hold none of them."""
    scn = write_scenario(tmp_path, TINY)
    conf = {**SECRETS, "spark.redaction.regex":
            r"(?i)secret|password|token|access[.]?key|credential|mycorp"}
    args = [a for k, v in conf.items() for a in ("--conf", f"{k}={v}")]
    out = subprocess.run([sys.executable, "-m", "bench", "run", str(scn), "--quiet",
                          "--results-dir", str(tmp_path / "results"), "--report", *args],
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    (folder,) = (tmp_path / "results").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["spark"]["conf"]["spark.bench.test.password"] == REDACTED
    assert manifest["requested"]["conf"]["spark.bench.mycorp.id"] == REDACTED
    assert manifest["grid"]["spark_conf"]["spark.bench.cloud.credential"] == REDACTED
    assert f"spark.hadoop.fs.s3a.access.key={REDACTED}" in manifest["argv"]
    assert manifest["spark"]["conf"]["spark.bench.endpoint"] == \
        f"https://alice:{REDACTED}@storage.example/x?sig={REDACTED}&page=2"
    assert "storage.accesskey" in manifest["scenario"]["source"]  # the copy is kept, redacted
    files = [p for root in ("results", "reports") for p in (tmp_path / root).rglob("*")
             if p.is_file()]
    assert any(p.parent.name == "logs" for p in files)  # Spark's output is kept, scrubbed
    assert any(p.name == "report.html" for p in files) and any(p.name == "report.md" for p in files)
    assert any("eventlog" in p.parts for p in files)
    for path in files:
        data = path.read_bytes()
        for value in NEVER:
            assert value.encode() not in data, f"{value} in {path}"
    for value in NEVER:
        assert value not in out.stdout + out.stderr, value


@pytest.mark.parametrize("text, clean", [
    ("see https://u:p4ss-w0rd@host/p", f"see https://u:{REDACTED}@host/p"),
    ("GET /b?sig=abc123&x=1&SAS=zz", f"GET /b?sig={REDACTED}&x=1&SAS={REDACTED}"),
    ("jdbc:mysql://root:hunter22@db:3306/x", f"jdbc:mysql://root:{REDACTED}@db:3306/x"),
    ("plain https://host/path?page=2", "plain https://host/path?page=2"),
])
def test_values_in_urls_are_redacted_in_any_text(text, clean):
    from bench import redaction

    assert redaction.values(text) == clean == redaction.text(text)


def test_a_flag_under_a_secret_looking_key_is_redacted_there_but_not_scrubbed_from_text():
    from bench import redaction

    conf = redact_conf({"spark.security.credentials.hive.enabled": "false"})
    assert conf == {"spark.security.credentials.hive.enabled": REDACTED}
    assert redaction.text("enabled: false") == "enabled: false"
