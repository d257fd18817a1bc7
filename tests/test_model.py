"""The model's field metadata is the one list of probe fields and column types."""
from __future__ import annotations

import dataclasses

from bench.analysis.frames import cells_frame, spark_tasks_frame, trials_frame
from bench.model import PROBE_FIELDS, CellRecord, SparkTaskRecord, TrialRecord, numeric_fields
from bench.probe import run_probed


def test_the_probe_measures_exactly_the_fields_the_model_documents():
    out = run_probed(lambda params: {"status": "ok", "loss": 0.0}, {})
    in_a_task = {name for name in PROBE_FIELDS if name.startswith("spark_")}  # Spark only
    assert in_a_task and set(out["probe"]) == set(PROBE_FIELDS) - in_a_task
    trial_fields = {f.name for f in dataclasses.fields(TrialRecord)}
    assert set(PROBE_FIELDS) <= trial_fields and "objective_s" in PROBE_FIELDS


def test_frames_type_every_numeric_field_of_the_model():
    for record_type, frame in ((TrialRecord, trials_frame), (CellRecord, cells_frame),
                               (SparkTaskRecord, spark_tasks_frame)):
        floats, ints = numeric_fields(record_type)
        df = frame([{"mode": "spark", "condition": "native", "workload": "w", "n_jobs": 1}])
        assert floats and ints
        assert all(df[name].dtype == "float64" for name in floats), record_type
        assert all(str(df[name].dtype) == "Int64" for name in ints), record_type
    assert "closure_bytes" in numeric_fields(CellRecord)[1]
    assert "setup_s" in numeric_fields(TrialRecord)[0]
