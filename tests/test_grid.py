"""Grid expansion: which cells exist, their ids and their seeded order."""
from __future__ import annotations

from bench import grid, scenario
from tests.conftest import write_scenario


def settings(tmp_path, extra=""):
    text = ('SCENARIO = {"name": "g", "workloads": ["rf", "sleep"], "max_evals": [4, 8], '
            '"parallelism": [1, 2], "max_queue_len": [1, "parallelism"], "n_jobs": [None, 1], '
            '"repeats": 2, ' + extra + '}')
    return scenario.load(write_scenario(tmp_path, text)).settings


def test_counts_and_dedup(tmp_path):
    s = settings(tmp_path)
    cells = grid.expand(s)
    # per workload x n_jobs x max_evals: 1 serial + spark (p1: q1 only; p2: q1, q2) = 4
    assert len(cells) == 2 * 2 * 2 * 4 * 2 == grid.count_cells(s)
    assert len({c.cell_id for c in cells}) == len(cells)
    serial = [c for c in cells if c.mode == "serial"]
    assert all(c.parallelism is None and c.max_queue_len == 1 for c in serial)
    p1 = [c for c in cells if c.mode == "spark" and c.parallelism == 1]
    assert {c.max_queue_len for c in p1} == {1}


def test_order_is_seeded_and_differs_between_repeats(tmp_path):
    s = settings(tmp_path)
    a, b = grid.expand(s), grid.expand(s)
    assert [c.cell_id for c in a] == [c.cell_id for c in b]
    assert [c.order for c in a] == list(range(len(a)))
    r0 = [c.settings_key for c in a if c.repeat == 0]
    r1 = [c.settings_key for c in a if c.repeat == 1]
    assert sorted(r0, key=repr) == sorted(r1, key=repr) and r0 != r1
    # repeats run in blocks: every repeat-0 cell before any repeat-1 cell
    assert max(c.order for c in a if c.repeat == 0) < min(c.order for c in a if c.repeat == 1)


def test_conditions_only_add_serial_cells(tmp_path):
    s = settings(tmp_path, '"conditions": {"busy": {"background_load": 1}}')
    cells = grid.cells_of_repeat(s, 0)
    busy = [c for c in cells if c.condition == "busy"]
    assert busy and all(c.mode == "serial" for c in busy)
    assert len(busy) == len([c for c in cells if c.mode == "serial" and c.condition == "native"])


def test_cell_id_is_readable_and_stable():
    assert grid.cell_id("rf", "spark", "native", 2, 2, None, 8, 0) == "rf.spark.p2q2.njNone.e8.r0"
    assert grid.cell_id("lgbm", "serial", "busy", None, 1, 0, 8, 1) == "lgbm.serial.busy.nj0.e8.r1"
    assert grid.resolve_queue_len("parallelism", 4) == 4 and grid.resolve_queue_len(3, 4) == 3


def test_workload_overrides_threads_and_conditions(tmp_path):
    text = ('SCENARIO = {"name": "g", "max_evals": 4, "parallelism": [2], "n_jobs": [None], '
            '"conditions": {"busy": {"background_load": 1}}, "workloads": ['
            '{"name": "rf", "conditions": []}, {"name": "lgbm", "n_jobs": [0, 1]}]}')
    cells = grid.cells_of_repeat(scenario.load(write_scenario(tmp_path, text)).settings, 0)
    rf = [c for c in cells if c.workload == "rf"]
    lgbm = [c for c in cells if c.workload == "lgbm"]
    assert {c.condition for c in rf} == {"native"} and {c.n_jobs for c in rf} == {None}
    assert {c.n_jobs for c in lgbm} == {0, 1}
    assert {c.condition for c in lgbm if c.mode == "serial"} == {"native", "busy"}
    assert len(lgbm) == 2 * (2 + 1)


def test_workload_condition_must_be_declared(tmp_path):
    import pytest
    from bench.errors import BenchError

    text = 'SCENARIO = {"name": "g", "workloads": [{"name": "rf", "conditions": ["hot"]}]}'
    with pytest.raises(BenchError, match=r"workloads\[0\].conditions: unknown condition 'hot'"):
        scenario.load(write_scenario(tmp_path, text))


def test_thread_env_axis_gives_cells_of_their_own_and_one_segment_per_environment(tmp_path):
    s = settings(tmp_path, '"thread_env": [{}, {"OMP_WAIT_POLICY": "passive"}], '
                           '"clusters": ["2x1"], "repeats": 1')
    cells = grid.expand(s)
    assert len(cells) == 2 * grid.count_cells(settings(tmp_path, '"clusters": ["2x1"], "repeats": 1'))
    passive = [c for c in cells if c.thread_env_set]
    assert passive and all(c.thread_env_set == {"OMP_WAIT_POLICY": "passive"} for c in passive)
    assert all(".omp_wait_policy-passive." in c.cell_id for c in passive)
    assert len({c.cell_id for c in cells}) == len(cells)
    # spark cells of one environment share a session: never two environments in a segment
    for cluster, segment in grid.segments(cells):
        envs = {grid.env_label(c.thread_env_set) for c in segment if c.mode == "spark"}
        assert len(envs) <= 1 and all(c.cluster == cluster for c in segment)
    spark_segments = [seg for _, seg in grid.segments(cells) if any(c.mode == "spark" for c in seg)]
    assert len(spark_segments) == 2  # one per thread environment on the one shape


def test_thread_env_must_be_dicts_of_names(tmp_path):
    import pytest

    from bench.errors import BenchError

    with pytest.raises(BenchError, match=r"thread_env\[1\]: expected a dict"):
        settings(tmp_path, '"thread_env": [{}, "passive"]')
    with pytest.raises(BenchError, match=r"workloads\[0\].thread_env: duplicate"):
        scenario.load(write_scenario(tmp_path, 'SCENARIO = {"name": "g", "workloads": '
                                     '[{"name": "lgbm", "thread_env": [{}, {}]}]}'))


FIXES = ('SCENARIO = {"name": "g", "max_evals": 4, "parallelism": [1, 2], '
         '"max_queue_len": [1, "parallelism"], "variants": ["stock", "tuned"], '
         '"conditions": {"busy": {"background_load": 1}}, '
         '"workloads": [{"name": "lgbm", "n_jobs": [0, 1], '
         '"thread_env": [{}, {"OMP_WAIT_POLICY": "passive"}]}], %s}')


def test_fixes_run_the_setup_everywhere_and_each_fix_where_it_is_placed(tmp_path):
    """With `fixes`, the named axes change one at a time from their first value: the setup
    in every mode and at every parallelism, each fix only where the scenario places it."""
    text = FIXES % ('"fixes": {"max_queue_len": {"parallelism": [2]}, "variants": '
                    '{"parallelism": [2]}, "n_jobs": {"modes": ["serial"]}, '
                    '"thread_env": {"modes": ["serial"]}}')
    cells = grid.cells_of_repeat(scenario.load(write_scenario(tmp_path, text)).settings, 0)
    ids = sorted(c.cell_id for c in cells)
    assert ids == sorted([
        # the setup: serial (native and emulated driver), spark at p=1 and p=2
        "lgbm.serial.native.nj0.e4.r0", "lgbm.serial.busy.nj0.e4.r0",
        "lgbm.spark.p1q1.nj0.e4.r0", "lgbm.spark.p2q1.nj0.e4.r0",
        # spark-side fixes at p=2 only
        "lgbm.spark.p2q2.nj0.e4.r0", "lgbm.spark.p2q2.tuned.nj0.e4.r0",
        # thread fixes: the serial cells, under every driver condition
        "lgbm.serial.native.nj1.e4.r0", "lgbm.serial.busy.nj1.e4.r0",
        "lgbm.serial.native.omp_wait_policy-passive.nj0.e4.r0",
        "lgbm.serial.busy.omp_wait_policy-passive.nj0.e4.r0"])
    assert grid.count_cells(scenario.load(write_scenario(tmp_path, text)).settings) == 10


def test_fixes_without_placement_run_everywhere_and_unnamed_axes_stay_crossed(tmp_path):
    text = FIXES % '"fixes": {"n_jobs": {}, "thread_env": {}}'
    cells = grid.cells_of_repeat(scenario.load(write_scenario(tmp_path, text)).settings, 0)
    # n_jobs=1 is a fix: only with the setup's thread environment, in every mode, at every
    # parallelism, and crossed with the axes `fixes` does not name (queue, variant)
    nj1 = [c for c in cells if c.n_jobs == 1]
    assert {c.thread_env_set.get("OMP_WAIT_POLICY") for c in nj1} == {None}
    assert {(c.mode, c.condition, c.parallelism, c.max_queue_len, c.variant) for c in nj1} == {
        ("serial", "native", None, 1, None), ("serial", "busy", None, 1, None),
        ("spark", "native", 1, 1, "stock"), ("spark", "native", 1, 1, "tuned"),
        ("spark", "native", 2, 1, "stock"), ("spark", "native", 2, 2, "stock"),
        ("spark", "native", 2, 2, "tuned")}
    passive = [c for c in cells if c.thread_env_set]
    assert {c.n_jobs for c in passive} == {0} and len(passive) == len(nj1)
    assert len(cells) == 3 * len(nj1)


def test_no_fixes_is_the_full_product(tmp_path):
    product = scenario.load(write_scenario(tmp_path, FIXES % '"repeats": 1')).settings
    none = scenario.load(write_scenario(tmp_path, FIXES % '"fixes": None')).settings
    a, b = grid.cells_of_repeat(product, 0), grid.cells_of_repeat(none, 0)
    # 2 n_jobs x 2 envs x (2 serial + spark: p1 q1, p1 tuned, p2 q1, p2 q2, p2 tuned)
    assert [c.cell_id for c in a] == [c.cell_id for c in b] and len(a) == 2 * 2 * (2 + 5)
