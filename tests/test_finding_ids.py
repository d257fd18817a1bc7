"""Finding ids read as words: one grammar (bench.diagnosis.ids) in one token order, no
braces, no spaces, every '=' of a thread environment kept, and unique per rule."""
from __future__ import annotations

from collections import Counter

import pytest

from bench.diagnosis import diagnose
from bench.diagnosis.ids import env_tokens, finding_id
from tests.fixture_records import write_main_job_run


def test_tokens_come_in_one_order_and_only_when_they_say_something():
    serial = {"workload": "lgbm", "mode": "serial", "condition": "busy_driver_2022",
              "parallelism": None, "n_jobs_label": "0", "cluster_label": "",
              "variant_label": "", "env_label": "OMP_WAIT_POLICY=passive"}
    assert finding_id("oversubscription", serial) == \
        "oversubscription:lgbm:serial:nj0:busy_driver_2022:OMP_WAIT_POLICY=passive"
    spark = {"workload": "lgbm", "mode": "spark", "condition": "native", "parallelism": 2.0,
             "max_queue_len": 1, "n_jobs_label": "2", "max_evals": 16,
             "cluster_label": "1x2/tc2", "variant_label": "stock", "env_label": ""}
    assert finding_id("spin-wait-collapse", spark) == \
        "spin-wait-collapse:lgbm:spark:p2:q1:1x2/tc2:nj2:e16:native"
    tuned = {**spark, "variant_label": "tuned", "cluster_label": "@2x1",
             "env_label": "GOMP_SPINCOUNT=0,OMP_WAIT_POLICY=passive"}
    assert finding_id("unexplained", tuned) == ("unexplained:lgbm:spark:p2:q1:2x1:tuned:nj2:e16:"
                                                "native:GOMP_SPINCOUNT=0:OMP_WAIT_POLICY=passive")


def test_axes_the_rule_pooled_leave_no_token():
    pooled = {"workload": "rf", "mode": "spark", "parallelism": 4, "n_jobs_label": "None",
              "condition": "native"}
    assert finding_id("oversubscription", pooled) == "oversubscription:rf:spark:p4:njNone:native"
    assert finding_id("fresh-worker-per-trial") == "fresh-worker-per-trial"
    assert finding_id("r", {"workload": "w", "max_queue_len": float("nan")}) == "r:w"


def test_no_braces_spaces_or_lost_equals():
    cfg = {"workload": "my work", "mode": "serial", "condition": "busy {2022}",
           "env_label": "A=1, B=x y"}
    made = finding_id("r", cfg)
    assert not set("{} ") & set(made), made
    assert made == "r:my_work:serial:busy_2022:A=1:B=x_y"
    assert env_tokens("") == [] and env_tokens("OMP_NUM_THREADS=1") == ["OMP_NUM_THREADS=1"]


@pytest.fixture(scope="module")
def main_job_runs(tmp_path_factory):
    """Findings of a main-job-like run on the local session and on two cluster shapes."""
    root = tmp_path_factory.mktemp("ids")
    return [diagnose(write_main_job_run(root / "local").path),
            diagnose(write_main_job_run(root / "shapes", clusters=("2x1", "1x2/tc2"),
                                        parallelism=(2,)).path)]


def test_main_job_ids_read_and_are_distinct(main_job_runs):
    for findings in main_job_runs:
        assert findings, "the main-job fixture gives findings"
        for f in findings:
            assert not set("{} ") & set(f.id), f.id
            if f.configuration is not None and f.configuration.get("env_label"):
                assert f.id.endswith(":" + ":".join(env_tokens(f.configuration["env_label"])))
        # within one run, no two findings share an id
        assert [i for i, n in Counter(f.id for f in findings).items() if n > 1] == []
    ids = {f.id for f in main_job_runs[0]}
    assert {"thread-mismatch:lgbm:nj0:e8:busy_driver_2022",
            "unexplained:lgbm:serial:nj0:e8:busy_driver_2022:OMP_WAIT_POLICY=passive"} <= ids
