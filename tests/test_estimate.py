"""The time estimate said before the first cell, and the progress bar's time left."""
from __future__ import annotations

import pytest

from bench import grid, scenario
from bench.predict import estimate as est_mod
from bench.predict import priors as priors_mod
from bench.progress import Plan, TimeLeft
from bench.scenario import describe_settings
from tests.conftest import SCENARIOS, write_scenario


def plan_of(scn):
    cells = [c.to_dict() for c in grid.expand(scn.settings)]
    return describe_settings(scn.settings), cells


@pytest.fixture(scope="module")
def may2022():
    return plan_of(scenario.load(SCENARIOS / "may2022.py", "quick"))


def test_shipped_priors_cover_the_built_in_workloads_and_every_variant():
    p = priors_mod.load()
    assert {"rf", "lgbm", "sleep"} <= set(p["startup"])
    assert set(p["loops"]) == {"stock", "fastpoll"}
    assert all({"stock", "reuse"} <= set(p["startup"][k]) for k in ("rf", "lgbm", "sleep"))
    # hyperopt's loops poll once a second as installed, every 20 ms in the modified variants
    assert p["loops"]["stock"]["fmin_period_s"] == pytest.approx(1.0, abs=0.1)
    assert p["loops"]["fastpoll"]["fmin_period_s"] == pytest.approx(0.02, abs=0.01)
    assert p["objectives"]["lgbm|0|"]["serial_s"]["busy_driver_2022"]


def test_every_cell_of_the_main_job_is_estimated_by_the_model(may2022):
    grid_, cells = may2022
    est = est_mod.estimate(grid_, cells, cores=2, report=True)
    assert set(est.cells) == {c["cell_id"] for c in cells} and all(
        s > 0 for s in est.cells.values())
    assert est.total_s == pytest.approx(est.start_s + est.sessions_s + sum(est.cells.values())
                                        + est.end_s)
    assert est.end_s > 0 and not est.notes
    s = est.cells
    # the mechanisms the model replays: stock SparkTrials at p=1 pays a fresh worker and a
    # 1 s loop turn per trial, far more than serial's objective time; tuned removes both;
    # max_queue_len = parallelism shortens the p=2 cell; the emulated driver slows serial
    assert s["lgbm.spark.p1q1.nj0.e8.r0"] > 4 * s["lgbm.serial.native.nj0.e8.r0"]
    # tuned saves at least a 1 s loop turn per round of p=2 trials after the first (8 evals)
    assert s["rf.spark.p2q2.tuned.njNone.e8.r0"] < s["rf.spark.p2q2.njNone.e8.r0"] - (8 / 2 - 1)
    assert s["rf.spark.p2q2.njNone.e8.r0"] < s["rf.spark.p2q1.njNone.e8.r0"]
    assert s["lgbm.serial.busy_driver_2022.nj0.e8.r0"] > 3 * s["lgbm.serial.native.nj0.e8.r0"]
    line = est.line()
    assert line.startswith("estimated time: ") and "for 16 cell(s) (" in line
    assert "from priors measured on a reference 2-core machine" in line


def test_more_evaluations_and_repeats_take_longer(tmp_path):
    text = ('SCENARIO = {"name": "e", "workloads": ["rf"], "max_evals": %d, "repeats": %d, '
            '"parallelism": [2]}')
    times = []
    for evals, repeats in [(4, 1), (8, 1), (8, 3)]:
        g, cells = plan_of(scenario.load(write_scenario(tmp_path, text % (evals, repeats))))
        times.append(sum(est_mod.estimate(g, cells, cores=2).cells.values()))
    assert times[0] < times[1] < times[2] == pytest.approx(3 * times[1], rel=0.35)


def test_an_own_objective_gets_a_labelled_conservative_default(tmp_path):
    text = ('from hyperopt import hp\n'
            'def obj(params, data):\n    return params["x"]\n'
            'SCENARIO = {"name": "own", "max_evals": 4, "parallelism": [2], "workloads": '
            '[{"name": "mine", "objective": obj, "space": {"x": hp.uniform("x", 0, 1)}}]}')
    g, cells = plan_of(scenario.load(write_scenario(tmp_path, text)))
    est = est_mod.estimate(g, cells, cores=2)
    assert est.notes == [f"workload 'mine' has no prior: {est_mod.DEFAULT_OBJECTIVE_S:g} s per "
                         "trial assumed (a conservative default; --resume refines it)"]
    serial = next(v for k, v in est.cells.items() if ".serial." in k)
    assert serial >= 4 * est_mod.DEFAULT_OBJECTIVE_S
    assert est.notes[0] in est.line()


def test_sleep_trials_take_their_length(tmp_path):
    text = ('SCENARIO = {"name": "s", "workloads": ["sleep"], "sleep": {"seconds": [0.5, 2]}, '
            '"max_evals": 4, "modes": ["serial"]}')
    g, cells = plan_of(scenario.load(write_scenario(tmp_path, text)))
    est = est_mod.estimate(g, cells, cores=2)
    assert est.cells["sleep_2s.serial.native.njNone.e4.r0"] == pytest.approx(8.0, rel=0.05)
    assert est.cells["sleep_0.5s.serial.native.njNone.e4.r0"] == pytest.approx(2.0, rel=0.05)


def test_resume_refines_with_the_finished_cells(may2022):
    grid_, cells = may2022
    prior = est_mod.estimate(grid_, cells, cores=2)
    done = [c["cell_id"] for c in cells[:5]]
    measured = {cid: 2.0 * prior.cells[cid] for cid in done}   # this machine: twice as slow
    est = est_mod.estimate(grid_, cells, cores=2, measured=measured)
    assert est.refined_by == 5 and est.factor == pytest.approx(2.0, rel=1e-6)
    assert set(est.cells) == {c["cell_id"] for c in cells[5:]}
    for cid, seconds in est.cells.items():
        assert seconds == pytest.approx(2.0 * prior.cells[cid])
    assert "refined with the 5 finished cell(s) of this run, which took 2x their estimate" \
        in est.line() and "for 11 cell(s) left" in est.line()


def test_a_configuration_measured_in_another_repeat_takes_its_measured_wall(tmp_path):
    text = ('SCENARIO = {"name": "r", "workloads": ["rf"], "max_evals": 4, "repeats": 2, '
            '"parallelism": [2]}')
    g, cells = plan_of(scenario.load(write_scenario(tmp_path, text)))
    first = [c for c in cells if c["repeat"] == 0]
    measured = {c["cell_id"]: 42.0 for c in first}
    est = est_mod.estimate(g, cells, cores=2, measured=measured)
    assert set(est.cells) == {c["cell_id"] for c in cells if c["repeat"] == 1}
    assert all(v == 42.0 for v in est.cells.values())


def test_durations_read():
    assert [est_mod.duration(s) for s in (4.4, 59.6, 280, 3599, 3900)] == [
        "4 s", "1 min 00 s", "4 min 40 s", "59 min 59 s", "1 h 05 min"]
    assert est_mod.master_cores("local[4]") == 4 and est_mod.master_cores("local[*]") is None


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def test_time_left_counts_down_from_the_estimate_then_follows_the_run():
    clock = Clock()
    left = TimeLeft(Plan({"a": 10.0, "b": 30.0, "c": 60.0}, start_s=20.0, end_s=10.0), clock)
    assert left.seconds() == 130.0              # before anything: the whole estimate
    clock.t = 25.0
    assert left.seconds() == 105.0              # still in the start: estimate minus elapsed
    clock.t = 30.0
    left.finished("a")                          # on time: 30 s for 20 + 10 estimated
    assert left.seconds() == pytest.approx(100.0)
    clock.t = 120.0
    left.finished("b")                          # 120 s for 60 estimated: twice as slow
    assert left.factor() == pytest.approx(2.0)
    assert left.seconds() == pytest.approx(2.0 * 70.0)
    clock.t = 10_000.0                          # a stalled run: the factor stays bounded
    assert left.factor() == 3.0


def test_a_busy_machine_is_said_to_make_it_longer(may2022):
    grid_, cells = may2022
    priors = priors_mod.load()
    reference = min(r["other_busy_cores_median"] or 0 for r in priors["reference"]["runs"])
    quiet = est_mod.estimate(grid_, cells, cores=2, busy_cores=reference)
    busy = est_mod.estimate(grid_, cells, cores=2, busy_cores=reference + 1.0)
    assert not quiet.notes and busy.notes[0].startswith(
        f"this machine is busy now (other processes keep {reference + 1.0:.1f} of 2 cores")
    assert busy.total_s == quiet.total_s  # a note, not a guess at how much longer


def test_fitting_priors_from_a_folder_that_is_not_a_run_is_one_line_and_exit_2(tmp_path, capsys):
    from bench.predict.priors import main

    assert main([str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {tmp_path / 'nowhere'}: no such results folder"]
