"""Warm-up counted: a cell that starts its workers before the clock (reuse/tuned variants,
the pool) is measured by warm-up + wall — what the first fmin of a session pays — in every
speedup, the headline, the fixed-overhead advice and the cure tables; the wall alone is
secondary, labelled "workers already running". Fixture records (write_setup_run): the tuned
cell ran 2.0 s after 2.0 s of warm-up, the pool 3.0 s after 1.0 s; the setup took 10.0 s at
parallelism 2 and serial 8.0 s."""
from __future__ import annotations

import pytest

from bench.analysis import analyze, load_run
from bench.analysis.cure import cell_ideals, variant_savings, wall_over_ideal
from bench.diagnosis.cure import advice
from bench.report import write_report_files
from tests import fixture_records as fr


@pytest.fixture
def run(tmp_path):
    return load_run(fr.write_setup_run(tmp_path).path)


#: The tuned configuration with the inherited environment (not the two-axis one).
TUNED = "spark p=2 q=2 tuned (modified hyperopt) n_jobs=0 {env as is}"


def _tuned_plain(frame):
    rows = frame[frame["setting"] == TUNED]
    assert len(rows) == 1, list(frame["setting"])
    return rows.iloc[0]


def test_speedup_counts_the_warm_up(run):
    sp = analyze(run).speedups
    sp = sp[sp["serial_condition"] == "native"]
    tuned = _tuned_plain(sp)
    assert tuned["speedup"] == pytest.approx(8.0 / 4.0)  # not 8.0 / 2.0
    assert (tuned["spark_wall_s"], tuned["spark_warmup_s"], tuned["spark_paid_s"]) == (
        2.0, 2.0, 4.0)
    pool = sp[sp["setting"] == "pool p=2 n_jobs=0 {env as is}"].iloc[0]
    assert pool["speedup"] == pytest.approx(8.0 / 4.0)


def test_cure_tables_count_the_warm_up(run):
    per = cell_ideals(run.trials, run.cells)
    lines = wall_over_ideal(per)
    tuned = _tuned_plain(lines)
    assert tuned["wall_over_ideal"] == pytest.approx(4.0 / tuned["ideal_s"])
    assert (tuned["wall_s"], tuned["warmup_s"], tuned["paid_s"]) == (2.0, 2.0, 4.0)
    sav = variant_savings(per)
    tuned = sav[(sav["variant"] == "tuned") & (sav["env_label"] == "")].iloc[0]
    assert tuned["wall_saved_s"] == pytest.approx(10.0 - 4.0)


def test_fixed_overhead_advice_counts_the_warm_up(run):
    text = advice(run, "sleep")
    assert ("measured 4.00 s (2.00 s starting its workers + 2.00 s fmin) against stock 10.0 s "
            "at parallelism 2 on this run (2.5x; 2.00 s, 5.0x, with its workers already "
            "running)") in text


def test_report_labels_the_wall_alone_and_counts_the_warm_up(tmp_path):
    files = write_report_files(fr.write_setup_run(tmp_path).path, formats="md")
    text = files.md.read_text()
    cure = text[text.index("## The cure"):text.index("## Charts")]
    assert "| warm-up + wall, s | wall alone (workers already running), s |" in cure
    assert "Pool cells (1) started and warmed their workers before the clock: median 1.00 s, " \
           "counted below." in cure
    assert "2.50× faster, 2.00× serial; 2.00 s with workers already running" in text


def test_a_pool_warm_up_not_recorded_is_said_so(tmp_path):
    """Pool cells of older runs started their workers before the clock without timing it:
    their figure is the wall, and the report says the warm-up is missing."""
    plan = [(c, wall, None if c[0] == "pool" else warm) for c, wall, warm in fr.SETUP_PLAN]
    files = write_report_files(fr.write_setup_run(tmp_path, plan=plan).path, formats="md")
    pools = [line for line in files.headline if "process pool" in line]
    assert len(pools) == 1 and pools[0].endswith("p=2 10.0 s → 3.00 s (3.33× faster, 2.67× serial; warm-up before "
                         "the clock not recorded)")
    assert "this run did not record how long" in files.md.read_text()
