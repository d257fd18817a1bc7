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
