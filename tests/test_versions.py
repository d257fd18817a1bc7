"""The hyperopt internals the harness relies on are checked at start-up, and trials that
could not be joined to their Spark tasks are reported."""
from __future__ import annotations

import pytest

from bench import ingest, versions
from bench.errors import BenchError


def test_installed_hyperopt_has_every_internal_the_harness_reads():
    import hyperopt

    assert versions.hyperopt_problems() == []
    assert versions.check_hyperopt() == hyperopt.__version__


def test_a_changed_internal_is_a_one_line_error_naming_the_version(monkeypatch):
    import hyperopt
    from hyperopt import base

    monkeypatch.setattr(hyperopt, "__version__", "0.9.1")
    monkeypatch.setattr(base, "JOB_STATE_DONE", 5)
    monkeypatch.delattr(base.Trials, "new_trial_docs")
    versions.check_hyperopt.cache_clear()
    try:
        with pytest.raises(BenchError) as err:
            versions.check_hyperopt()
    finally:
        versions.check_hyperopt.cache_clear()
    text = str(err.value)
    assert "\n" not in text and text.startswith("hyperopt 0.9.1 is not compatible")
    assert "JOB_STATE_DONE is 5, expected 2" in text and "new_trial_docs" in text
    assert "tested: 0.2.7, 0.3.0" in text


def test_sparktrials_that_ignore_the_job_group_are_noticed(monkeypatch):
    from hyperopt import spark

    class Rewritten:
        def __init__(self):
            self.group = "Hyperopt_SparkTrials_x"

    monkeypatch.setattr(spark, "_SparkFMinState", Rewritten)
    assert "spark.jobGroup.id" in " ".join(versions.hyperopt_problems())


def test_trials_not_joined_to_tasks_give_a_warning_naming_hyperopt_s_own_group():
    trials = [{"cell_id": "c.spark", "tid": i, "spark_task_attempt_id": 10 + i}
              for i in range(2)]
    adopted = [{"cell_id": "c.spark", "tid": i, "job_group": "c.spark"} for i in range(2)]
    assert ingest.unjoined_note(adopted, trials) is None
    random_group = [{"cell_id": None, "tid": None, "job_group": "Hyperopt_SparkTrials_ab12"}
                    for _ in range(2)]
    note = ingest.unjoined_note(random_group, trials)
    assert note.startswith("2 spark trial(s) in 1 cell(s) could not be joined")
    assert "Hyperopt_SparkTrials_ab12" in note and "did not adopt the job group" in note


def test_internals_the_readers_use_are_read_from_source_and_checked(monkeypatch):
    """The readers take hyperopt's TPE start-up count and fmin's poll from its source, without
    importing it; the start-up check fails when the source no longer says what hyperopt runs."""
    import subprocess
    import sys

    code = ("import sys; from bench import versions; "
            "print(versions.tpe_startup_jobs(), versions.fmin_poll_s(), 'hyperopt' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    from hyperopt import tpe

    assert out.stdout.split() == [str(tpe._default_n_startup_jobs), "1.0", "False"]
    monkeypatch.setitem(versions.SOURCE_FACTS, "tpe_startup_jobs",
                        ("tpe.py", r"^no_such_name\s*=\s*([0-9]+)", 20))
    assert any("tpe.py" in p for p in versions.hyperopt_problems())
