"""bench.keys: the one home of what identifies a configuration."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bench import keys


def test_every_definition_of_a_configuration_comes_from_the_keys_module():
    import importlib

    from bench import compare
    from bench.analysis import GROUP_COLS, groups
    from bench.diagnosis import common

    calibrate = importlib.import_module("bench.predict.calibrate")  # the package's name is a function

    assert GROUP_COLS is keys.CONFIG and calibrate.CONFIG_COLS is keys.CONFIG
    assert groups.CONFIG_COLS is keys.LABELLED and groups.CONFIG_ORDER is keys.ORDER
    assert compare.config_key is keys.config_key and calibrate.config_key is keys.config_key
    assert calibrate.CLASS_COLS is keys.OBJECTIVE and common.PLACEMENT_COLS is keys.PLACEMENT
    assert common.missing is keys.missing and common.same is keys.same
    # today's column order of every per-configuration table, kept
    assert keys.CONFIG == ["workload", "mode", "condition", "parallelism", "max_queue_len",
                           "n_jobs_label", "max_evals", "cluster_label", "variant_label",
                           "env_label", "side"]


@pytest.mark.parametrize("value", [None, float("nan"), np.float64("nan"), pd.NA, pd.NaT])
def test_one_rule_for_a_missing_value(value):
    assert keys.missing(value) and keys.plain(value) is None
    assert keys.same(value, None) and not keys.same(value, 0)
    assert keys.n_jobs_label(value) == "None"


@pytest.mark.parametrize("value", ["", "None", 0, 0.0, [], {}, False])
def test_values_that_are_not_missing(value):
    assert not keys.missing(value)


def test_keys_of_2_and_2_0_and_numpy_2_are_one_key():
    assert keys.key_of([2, 2.0, np.int64(2), np.float64(2.0)]) == (2, 2, 2, 2)
    assert all(type(v) is int for v in keys.key_of([np.int64(2), 2.0]))
    assert keys.plain(2.5) == 2.5 and keys.plain("spark") == "spark"
    assert keys.same(2, "2.0") and not keys.same("a", "b")
    frame = pd.DataFrame({"workload": ["rf", "rf"], "parallelism": [2.0, math.nan]})
    assert keys.config_keys(frame, ["workload", "parallelism"]) == [("rf", 2), ("rf", None)]
    assert keys.config_key({"workload": "rf", "parallelism": pd.NA},
                           ["workload", "parallelism"]) == ("rf", None)


def test_label_columns_and_human_labels():
    assert keys.variant_label(None, "spark") == "stock" and keys.variant_label("tuned", "pool") == ""
    assert keys.cluster_label(float("nan")) == "" and keys.cluster_label("2x1") == "2x1"
    assert keys.env_label({"OMP_WAIT_POLICY": "passive", "A": 1}) == "A=1,OMP_WAIT_POLICY=passive"
    assert keys.condition_label(None) == "native" and keys.condition_label("busy") == "busy"
    label = keys.setting_label("spark", "native", 2, 2, "None", 8, "2x1", "tuned", "",
                               show={"max_queue_len", "cluster_label", "env_label"})
    assert label == "spark p=2 q=2 @2x1 tuned (modified hyperopt) {env as is}"
    assert keys.pooled(keys.SERIAL_MATCH) == [
        "mode", "SparkTrials variant", "driver condition", "parallelism", "max_queue_len",
        "cluster shape", "A/B side"]
    assert keys.pooled(keys.CONFIG) == []


def test_the_sort_rule_puts_serial_first_and_variants_in_table_order():
    rows = [("spark", "native", 2, 1, "None", 8, "", "tuned", ""),
            ("pool", "native", 2, 2, "None", 8, "", "", ""),
            ("spark", "native", 2, 1, "None", 8, "", "stock", ""),
            ("serial", "busy", None, 1, "None", 8, "", "", ""),
            ("serial", "native", None, 1, "None", 8, "", "", "")]
    ordered = sorted(rows, key=lambda r: keys.setting_sort_key(*r))
    assert [(r[0], r[1], r[7]) for r in ordered] == [
        ("serial", "native", ""), ("serial", "busy", ""), ("spark", "native", "stock"),
        ("spark", "native", "tuned"), ("pool", "native", "")]
