"""The user's current setup and its one-axis fixes (bench.analysis.setup), on fixture records:
the rule every headline row, what-if pair and cure comparison uses."""
from __future__ import annotations

from bench.analysis import load_run
from bench.analysis.setup import differing_axes, fix_of, setup_of
from bench.model import Manifest
from tests import fixture_records as fr


def _config(**over):
    base = {"workload": "w", "mode": "spark", "condition": "native", "parallelism": 2,
            "max_queue_len": 1, "n_jobs_label": "0", "max_evals": 4, "cluster_label": "",
            "variant_label": "stock", "env_label": ""}
    return {**base, **over}


def test_the_setup_is_the_first_value_of_every_axis(tmp_path):
    run = load_run(fr.write_setup_run(tmp_path).path)
    setup = setup_of(run.manifest, run.cells, "sleep")
    assert (setup.variant_label, setup.max_queue_len, setup.n_jobs_label, setup.env_label,
            setup.cluster_label, setup.max_evals, setup.condition) == (
        "stock", 1, "0", "", "", 4, "native")
    assert setup.text() == ("stock SparkTrials, max_queue_len 1, n_jobs=0, inherited thread "
                            "environment")


def test_without_axis_lists_the_setup_comes_from_the_cells(tmp_path):
    """An observed run's manifest lists no axes: the usual defaults where the run has them,
    else the first cell's value."""
    run = load_run(fr.write_known_run(tmp_path).path)
    setup = setup_of(Manifest(), run.cells, "sleep")
    assert (setup.variant_label, setup.max_queue_len, setup.n_jobs_label, setup.env_label,
            setup.max_evals) == ("stock", 1, "1", "", 4)


def test_differing_axes_and_the_queue_a_variant_sets_itself():
    assert differing_axes(_config(), _config()) == set()
    assert differing_axes(_config(), _config(max_queue_len=2)) == {"max_queue_len"}
    # tuned fills the queue itself: against stock q=1 it changes the variant alone
    assert differing_axes(_config(), _config(variant_label="tuned", max_queue_len=2)) == {
        "variant_label"}
    assert differing_axes(_config(), _config(env_label="OMP_WAIT_POLICY=passive",
                                             n_jobs_label="1")) == {"env_label", "n_jobs_label"}
    # spark-only axes do not count between serial and anything else
    serial = _config(mode="serial", parallelism=None, variant_label="", max_queue_len=1)
    assert differing_axes(serial, _config(mode="serial", parallelism=None, variant_label="",
                                          max_queue_len=7)) == set()


def test_fix_of_names_the_one_axis_and_its_kind(tmp_path):
    run = load_run(fr.write_setup_run(tmp_path).path)
    setup = setup_of(run.manifest, run.cells, "sleep")
    walls = run.cells.drop_duplicates("cell_id").to_dict("records")
    found = {}
    for row in walls:
        fix = fix_of(row, setup)
        if fix is not None:
            found.setdefault((fix.kind, fix.text()), []).append(row["setting"])
    assert sorted(found) == [
        ("modified hyperopt", "variant tuned"),
        ("pool", "process pool (the same points in warm local workers)"),
        ("public knob", "max_queue_len = parallelism"),
        ("thread pinning", "n_jobs=1"),
        ("wait policy", "OMP_WAIT_POLICY=passive")]
    assert len(found[("thread pinning", "n_jobs=1")]) == 2  # serial and spark p=2
    setups = [r["setting"] for r in walls if setup.is_setup(r)]
    assert len(setups) == 4  # serial native and emulated, spark p=1 and p=2
