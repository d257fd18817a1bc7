"""The SparkTrials model: known answers, calibration on fixture runs, validation, the CLI."""
from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from bench.analysis import load_run
from bench.cli import main
from bench.predict import (Inputs, Shape, calibrate, error_summary, predict, recommend,
                           simulate, validate)
from bench.predict.grouping import ClassKey
from bench.predict.loops import loop_period
from bench.predict.predict import Prediction
from bench.predict.validate import model_break_even_s
from tests import fixture_records as fx

# --- a run whose timestamps follow hyperopt's loops by hand ----------------------------------
# fmin wakes at 0.01 + k s, the dispatcher at 0.4 + k s; every trial starts 1.2 s after it
# is booked, runs 0.5 s (or SLOW s) and is recorded 0.05 s later; 6 evaluations on 2 slots.
LOOP = {"first": 0.01, "phase": 0.4, "startup": 1.2, "objective": 0.5, "ret": 0.05}
SLOW = 2.5                  # booked -> recorded 3.75 s: four loop turns at parallelism 1
CONFIGS = ((1, 1), (2, 1), (2, 2))
PASSIVE = {"OMP_WAIT_POLICY": "passive"}


def _loop_times(p: int, q: int, objective: float = LOOP["objective"]
                ) -> tuple[list, list, float]:
    """(suggested, booked, wall) per trial, worked out from fmin.py / spark.py by hand."""
    f, d = LOOP["first"], LOOP["phase"]
    if objective == SLOW:   # a trial holds its lane for four dispatcher turns
        return {(1, 1): ([f, f + 1, f + 5, f + 9, f + 13, f + 17],   # last done 24.15
                         [d + 4 * k for k in range(6)], 25.4),
                (2, 1): ([f, f + 1, f + 2, f + 5, f + 6, f + 9],     # last done 13.15
                         [d, d + 1, d + 4, d + 5, d + 8, d + 9], 14.4),
                (2, 2): ([f, f, f + 1, f + 1, f + 5, f + 5],         # last done 12.15
                         [d, d, d + 4, d + 4, d + 8, d + 8], 13.4)}[(p, q)]
    if (p, q) == (1, 1):    # one trial per two loop turns: booked, done 1.75 s later
        booked = [d + 2 * k for k in range(6)]
        suggested = [f] + [f + 2 * k - 1 for k in range(1, 6)]
        return suggested, booked, 13.4   # last done 12.15 -> fmin 13.01 -> dispatcher 13.4
    if (p, q) == (2, 1):    # one launch per loop turn
        return [f + k for k in range(6)], [d + k for k in range(6)], 8.4
    if (p, q) == (2, 2):    # two per wave; a wave every two turns
        return ([f, f, f + 1, f + 1, f + 3, f + 3], [d, d, d + 2, d + 2, d + 4, d + 4], 7.4)
    raise ValueError((p, q))


def write_loop_run(root: Path, repeats: int = 2, objectives=(({}, 1, LOOP["objective"],
                                                             CONFIGS),),
                   run_id: str = "loop-run", scale: float = 1.0, variant=None):
    """Spark cells with the timestamps above, plus serial, per objective: (thread
    environment set, n_jobs, objective seconds, spark (parallelism, queue) configurations[,
    variant of its spark cells[, scale]]). `scale` multiplies every time (the loops' 1 s
    included), as a variant with shorter loops would (`variant` names it)."""
    from bench.storage import RunFolder

    plan, seconds, scales = [], {}, {}
    for repeat in range(repeats):
        serial = set()  # one serial cell per thread environment and n_jobs
        for env, n_jobs, objective, configs, *own in objectives:
            cells = [] if (str(env), n_jobs) in serial else [fx.cell_dict(
                "loop", "serial", "sleep", None, repeat, max_evals=6, n_jobs=n_jobs,
                thread_env=env)]
            serial.add((str(env), n_jobs))
            cells += [fx.cell_dict("loop", "spark", "sleep", p, repeat, max_queue_len=q,
                                   max_evals=6, n_jobs=n_jobs, thread_env=env,
                                   variant=own[0] if own else variant)
                      for p, q in configs]
            seconds.update({c["cell_id"]: objective for c in cells})
            scales.update({c["cell_id"]: own[1] if len(own) > 1 else scale for c in cells})
            plan += cells
    for order, cell in enumerate(plan):
        cell["order"] = order
    folder = RunFolder(Path(root) / "results" / run_id).create(fx.manifest("loop", plan))
    ids, start = fx._Ids(), fx.BASE_TS
    for cell in plan:
        objective, scale = seconds[cell["cell_id"]], scales[cell["cell_id"]]
        if cell["mode"] == "serial":
            step = (objective + 0.01) * scale
            trials = [fx._trial(cell, "loop", k, start + k * step,
                                (0.0, 0.0, objective * scale, 0.01 * scale), 1.0, spark=False,
                                pid=fx.DRIVER_PID, attempt=None) for k in range(6)]
            wall = 6 * step
        else:
            suggested, booked, wall = _loop_times(cell["parallelism"], cell["max_queue_len"],
                                                  objective)
            wall *= scale
            trials = [fx._trial(cell, "loop", k, start + s * scale, (
                (b - s) * scale, LOOP["startup"] * scale, objective * scale,
                LOOP["ret"] * scale), 1.0, spark=True, pid=ids.next_pid(),
                attempt=ids.next_attempt()) for k, (s, b) in enumerate(zip(suggested, booked))]
        folder.append_cell(fx._cell_record(cell, "loop", start, wall, trials), trials)
        start += wall + 5.0
    return folder


def one(x) -> np.ndarray:
    """One measured value as the array of samples the model draws from."""
    return np.array([float(x)])


def inputs(objective=1.0, startup=0.0, ret=0.0, period=1e-3, phase=0.0, demand=0.0,
           background=0.0, reused=None, reuse_prob=0.0, kept_workers=0) -> Inputs:
    return Inputs(objective_s=one(objective), demand_cores=demand, startup_fresh_s=one(startup),
                  startup_reused_s=one(reused) if reused is not None else np.zeros(0),
                  reuse_prob=reuse_prob, return_s=one(ret), fmin_period_s=period,
                  dispatch_period_s=period, first_suggest_s=0.0, dispatch_phase_s=one(phase),
                  background_cores=background, kept_workers=one(kept_workers))


def run_once(inp, shape, n, seed=0):
    return simulate(inp, shape, n, np.random.default_rng(seed))


def wall(inp, shape, n) -> float:
    return run_once(inp, shape, n).wall_s


def near(seconds: float):
    """A simulated wall equal to `seconds` (event times are exact up to float rounding)."""
    return pytest.approx(seconds, abs=0.01)


# --- the model: known answers ------------------------------------------------------------------
@pytest.mark.parametrize("n,p", [(8, 2), (9, 2), (7, 3), (1, 1), (10, 4), (200, 64)])
def test_constant_objective_no_overhead_is_waves_of_p(n, p):
    out = run_once(inputs(objective=1.0, period=1e-4), Shape(1, p, max_queue_len=0), n)
    assert out.wall_s == pytest.approx(math.ceil(n / p) * 1.0, abs=0.01)
    assert len(out.book_times) == n


def test_one_second_loops_and_queue_of_one_launch_at_most_one_trial_per_second():
    inp = inputs(objective=5.0, startup=1.2, ret=0.02, period=1.0, phase=0.5)
    out = run_once(inp, Shape(2, 4, max_queue_len=1), 40)      # 8 slots, parallelism 8
    gaps = np.diff(out.book_times)
    assert (gaps >= 1.0 - 1e-9).all()
    assert (len(out.book_times) - 1) / (out.book_times[-1] - out.book_times[0]) <= 1.0
    # a queue as long as the parallelism launches several per loop turn
    fast = run_once(inp, Shape(2, 4, max_queue_len=0), 40)
    assert (np.diff(fast.book_times) == 0).sum() > 20
    assert fast.wall_s < out.wall_s


def test_parallelism_one_pays_two_loop_turns_per_trial_and_the_tail():
    # booked at 0.5 + 2k (done 1.42 s later, next dispatcher turn); last result at 31.92,
    # fmin sees it at 32, the dispatcher thread is joined at its next turn: 32.5
    inp = inputs(objective=0.2, startup=1.2, ret=0.02, period=1.0, phase=0.5)
    out = run_once(inp, Shape(1, 1, max_queue_len=1), 16)
    assert out.book_times == tuple(0.5 + 2 * k for k in range(16))
    assert out.wall_s == pytest.approx(32.5)


def test_parallelism_above_slots_waits_for_a_slot():
    inp = inputs(objective=1.0, period=1e-4)
    on_two = run_once(inp, Shape(1, 2, parallelism=4, max_queue_len=0), 8)
    assert on_two.wall_s == near(4.0)       # 4 waves of 2, not 2 of 4
    assert wall(inp, Shape(1, 4, max_queue_len=0), 8) == near(2.0)


def test_objectives_share_a_hosts_cores():
    busy = inputs(objective=1.0, period=1e-4, demand=1.0)
    # two one-core objectives on a one-core host take twice as long; on two cores they don't
    assert wall(busy, Shape(1, 2, max_queue_len=0, host_cores=1), 2) == near(2.0)
    assert wall(busy, Shape(1, 2, max_queue_len=0, host_cores=2), 2) == near(1.0)
    # background load counts: one core busy elsewhere on a two-core host
    loaded = inputs(objective=1.0, period=1e-4, demand=1.0, background=1.0)
    assert wall(loaded, Shape(1, 2, max_queue_len=0, host_cores=2), 2) == near(1.5)


def test_reused_workers_start_faster_after_the_first_trial_per_slot():
    fresh = inputs(objective=0.5, startup=1.0, period=1e-4)
    reuse = inputs(objective=0.5, startup=1.0, reused=0.1, reuse_prob=1.0, period=1e-4)
    shape = Shape(1, 1, max_queue_len=0)
    assert wall(fresh, shape, 4) == near(6.0)
    assert wall(reuse, shape, 4) == near(1.5 + 3 * 0.6)


def test_idle_workers_kept_from_before_the_call_skip_the_worker_start_until_used_up():
    # one slot, 3 trials of 0.5 s; a fresh worker costs 1 s, a kept one 0.1 s; a worker
    # is not reused within the call (stock), so each kept idle worker serves one trial
    cold = inputs(objective=0.5, startup=1.0, reused=0.1, period=1e-4)
    shape = Shape(1, 1, max_queue_len=0)
    assert wall(cold, shape, 3) == near(4.5)
    one_kept = dataclasses.replace(cold, kept_workers=np.array([1.0]))
    assert wall(one_kept, shape, 3) == near(0.6 + 2 * 1.5)
    two_kept = dataclasses.replace(cold, kept_workers=np.array([2.0]))
    assert wall(two_kept, shape, 3) == near(2 * 0.6 + 1.5)
    # a variant that starts a worker per usable slot before the clock needs no measured pool
    warmed = dataclasses.replace(cold, prewarmed=True, reuse_prob=1.0)
    assert wall(warmed, Shape(1, 2, max_queue_len=0), 4) == near(2 * 0.6)


def test_trials_spread_over_executors_like_sparks_shuffled_offers():
    two_core = inputs(objective=1.0, period=1e-4, demand=2.0)
    # two 2-core objectives on 2 executors of 2 cores: one each, not both on the first
    assert wall(two_core, Shape(2, 2, parallelism=2, max_queue_len=0), 2) == near(1.0)
    # four of them fill both executors: two per executor share its 2 cores
    assert wall(two_core, Shape(2, 2, parallelism=4, max_queue_len=0), 4) == near(2.0)


def test_an_oversubscribed_host_adds_the_measured_slowdown_between_objectives():
    spin = dataclasses.replace(inputs(objective=1.0, period=1e-4, demand=1.0),
                               oversubscribed_slowdown=2.0)
    one_core = Shape(1, 2, max_queue_len=0, host_cores=1)
    # two one-core objectives on one core: sharing halves their speed, spinning halves it again
    assert wall(spin, one_core, 2) == near(4.0)
    # one objective alone on an overloaded host (background) shares, but has no sibling
    alone = dataclasses.replace(spin, background_cores=1.0)
    assert wall(alone, Shape(1, 1, max_queue_len=0, host_cores=1), 1) == near(2.0)
    # enough cores for both: no slowdown at all
    assert wall(spin, Shape(1, 2, max_queue_len=0, host_cores=2), 2) == near(1.0)


def test_oversubscribed_slowdown_is_what_sharing_leaves_unexplained():
    import pandas as pd

    from bench.predict.contention import oversubscribed_slowdown

    # alone 1.0 s; beside a sibling throughout, 1.5 cores each on 2 cores: sharing makes it
    # 1.5 s; two such trials took 4.0 s and 5.0 s; a third was beside one only half its time
    # (how its work split between the two rates is unknown: not used)
    trials = pd.DataFrame({"overlap_share": [1.0, 0.97, 0.5], "background": 0.0,
                           "objective_s": [4.0, 5.0, 30.0]})
    load = [3.0, 1.5 * 1.97]
    expect = 9.0 / sum(x / 2 for x in load)
    assert oversubscribed_slowdown(trials, np.array([1.0]), 1.5, 2) == pytest.approx(expect)
    # one-core objectives: two of them fit two cores, nothing to measure
    assert oversubscribed_slowdown(trials, np.array([1.0]), 1.0, 2) == 1.0
    # faster than sharing explains is not a speed-up the model adds
    fast = trials.assign(objective_s=[1.0, 1.0, 1.0])
    assert oversubscribed_slowdown(fast, np.array([1.0]), 1.5, 2) == 1.0


def test_loop_period_counts_turns_between_events():
    gaps = np.diff([0.0, 1.01, 3.03, 3.035, 4.04])   # 1, 2 and 1 turns; one same-turn pair
    assert loop_period(gaps, 1.0) == pytest.approx(4.035 / 4, rel=1e-3)


# --- calibration on fixture runs ----------------------------------------------------------------
@pytest.fixture
def known(tmp_path):
    return load_run(fx.write_known_run(tmp_path).path)


def test_calibration_recovers_the_known_runs_parts(known):
    p4 = ("sleep", "spark", "native", 4, 1, "1", 4, "", "stock", "", "")  # keys.CONFIG order
    cal = calibrate(known, exclude=p4)
    inp = cal.inputs[ClassKey("sleep", "1")]
    wait, d2s, obj, ret = fx.SPARK_PARTS
    # trials every 2.0 s per lane: two loop turns of 1 s
    assert cal.loops["fmin_period_s"] == pytest.approx(1.0)
    assert cal.loops["dispatch_period_s"] == pytest.approx(1.0)
    assert np.median(inp.objective_s) == pytest.approx(obj)
    assert np.median(inp.startup_fresh_s) == pytest.approx(d2s)
    assert np.median(inp.return_s) == pytest.approx(ret)
    assert inp.reuse_prob == 0.0                       # every trial ran in a new pid
    assert inp.demand_cores == pytest.approx(1.0)
    serial = cal.serial[(ClassKey("sleep", "1"), "native")]
    # native serial walls 7.9/8.0/8.1 s for 4 trials of 1.9 s: 0.075/0.1/0.125 s per trial
    assert np.median(serial.serial_overhead_s) == pytest.approx(0.1)
    assert cal.trials_used[ClassKey("sleep", "1")] == 12


def test_calibration_removes_core_sharing_from_objective_times(known):
    # the p=4 cells ran 4 one-core objectives at once on 2 cores: each at half speed
    p2 = ("sleep", "spark", "native", 2, 1, "1", 4, "", "stock", "", "")  # keys.CONFIG order
    cal = calibrate(known, exclude=p2)
    assert np.median(cal.inputs[ClassKey("sleep", "1")].objective_s) == pytest.approx(0.5)


def test_a_variant_with_shorter_loops_is_calibrated_on_its_own_loop_length(tmp_path):
    """The tuned variant polls every FAST_POLL_S instead of 1 s: the same loop run with every
    time scaled by it must calibrate that period and reproduce its walls."""
    from bench.variants import FAST_POLL_S

    run = load_run(write_loop_run(tmp_path, scale=FAST_POLL_S, variant="tuned").path)
    cal = calibrate(run, "tuned")
    assert cal.loops["fmin_period_s"] == pytest.approx(FAST_POLL_S, rel=0.01)
    assert cal.loops["dispatch_period_s"] == pytest.approx(FAST_POLL_S, rel=0.01)
    rows = validate(run, "tuned", draws=3)
    assert [r.measured_s for r in rows] == pytest.approx([x * FAST_POLL_S
                                                          for x in (13.4, 8.4, 7.4)])
    assert all(abs(r.error) <= 0.02 for r in rows), [(r.setting, r.error) for r in rows]


def test_the_break_even_check_compares_stock_only(tmp_path, capsys):
    from bench.variants import FAST_POLL_S

    run = write_loop_run(tmp_path, scale=FAST_POLL_S, variant="tuned").path
    assert main(["predict", str(run), "--validate", "--variant", "tuned", "--draws", "2"]) == 0
    out = capsys.readouterr().out
    assert "not compared (the `fixed-overhead` finding measures stock SparkTrials, not " \
           "tuned)" in out


def test_worker_flags_tell_slot_waits_and_kept_workers_apart():
    import pandas as pd

    from bench.predict.startup import fit_startup, worker_flags

    # cell a (1 slot, parallelism 2): trials 0 and 1 booked together, 1 waits for the slot;
    # cell b later finds worker 11 of cell a kept (0.1 s) and starts worker 12 (1.0 s)
    rows = [("a", 0, 10, 0.0, 2.0, 1.0), ("a", 1, 11, 0.0, 4.0, 3.0),
            ("b", 0, 11, 10.0, 11.0, 0.1), ("b", 1, 12, 11.0, 13.0, 1.0)]
    df = pd.DataFrame(rows, columns=["cell_id", "tid", "pid", "book_ts", "refresh_ts",
                                     "dispatch_to_start_s"])
    df = df.assign(hostname="h", task_slots=[1, 1, 2, 2], parallelism=[2, 2, 2, 2],
                   return_s=0.01, fresh=True)
    flags = worker_flags(df, df)
    assert flags["free_slot"].tolist() == [True, False, True, True]
    assert flags["new_worker"].tolist() == [True, True, False, True]
    start = fit_startup(df.join(flags))
    assert start.fresh_s.tolist() == [1.0, 1.0] and start.reused_s.tolist() == [0.1]
    assert start.kept_workers.tolist() == [0, 1]    # cell b found cell a's worker 11 idle
    assert start.reuse_prob == 0.0
    # cell b's workers were started before its clock (a reuse variant): none is new
    flags = worker_flags(df, df, {"b"})
    assert flags["new_worker"].tolist() == [True, True, False, False]
    assert flags["prewarmed"].tolist() == [False, False, True, True]
    # it started one worker before its clock: the second worker it used (12) was new
    assert worker_flags(df, df, {"b": 1})["new_worker"].tolist() == [True, True, False, True]


def test_a_cells_first_trial_on_a_worker_from_before_it_has_its_own_start_up():
    import pandas as pd

    from bench.predict.startup import fit_startup, worker_flags

    # a prewarmed cell, 1 slot: its first trial on worker 30 still pays the objective's
    # first call and the cell's first job (0.5 s); the next one on the same worker 0.08 s
    rows = [("c", 0, 30, 0.0, 1.0, 0.5), ("c", 1, 30, 1.0, 1.5, 0.08)]
    df = pd.DataFrame(rows, columns=["cell_id", "tid", "pid", "book_ts", "refresh_ts",
                                     "dispatch_to_start_s"])
    df = df.assign(hostname="h", task_slots=1, parallelism=1, return_s=0.01,
                   fresh=[True, False])
    start = fit_startup(df.join(worker_flags(df, df, {"c"})))
    assert start.prewarmed
    assert start.kept_s.tolist() == [0.5] and start.reused_s.tolist() == [0.08]


def test_a_measured_shape_is_predicted_with_the_start_up_of_as_many_trials_at_once():
    from bench.predict.calibrate import Calibration
    from bench.predict.predict import inputs_for
    from bench.predict.startup import Startup

    start = lambda s: Startup(one(s), one(0.1), 0.0, one(0), one(0.02), 4)  # noqa: E731
    cal = Calibration(run_id="r", variant="stock", host_cores=2, task_cpus=1,
                      inputs={ClassKey("w", "1"): inputs(startup=2.0)},
                      startups={("w", "local"): start(1.5)},
                      startups_at={("w", "local", 1): start(1.2)})
    local = lambda p: Shape(1, 2, parallelism=p, host_cores=2, label="local")  # noqa: E731
    assert inputs_for(cal, ClassKey("w", "1"), local(1)).startup_fresh_s.tolist() == [1.2]
    assert inputs_for(cal, ClassKey("w", "1"), local(2)).startup_fresh_s.tolist() == [1.5]


def test_of_one_turns_bookings_the_trial_that_started_first_had_the_free_slot():
    import pandas as pd

    from bench.predict.startup import worker_flags

    # 1 slot, parallelism 2: one dispatcher turn books trials 0 and 1 half a millisecond
    # apart; Spark ran 1's job first, so 0 waited for the slot (3.0 s) although booked first
    rows = [("c", 0, 20, 5.0, 9.0, 3.0), ("c", 1, 21, 5.0005, 7.0, 1.0)]
    df = pd.DataFrame(rows, columns=["cell_id", "tid", "pid", "book_ts", "refresh_ts",
                                     "dispatch_to_start_s"])
    df = df.assign(hostname="h", task_slots=1)
    assert worker_flags(df, df)["free_slot"].tolist() == [False, True]


def test_measured_shapes_keep_their_own_start_up_and_predicted_ones_start_cold():
    from bench.predict.calibrate import Calibration
    from bench.predict.predict import inputs_for
    from bench.predict.startup import Startup

    cal = Calibration(run_id="r", variant="stock", host_cores=2, task_cpus=1,
                      inputs={ClassKey("w", "1"): inputs(startup=1.5, background=0.5,
                                                         kept_workers=1)},
                      startups={("w", "2x1"): Startup(one(1.2), one(0.1), 0.0, one(2),
                                                      one(0.02), 8)})
    on_2x1 = inputs_for(cal, ClassKey("w", "1"), Shape(2, 1, host_cores=2, label="2x1"))
    assert on_2x1.startup_fresh_s.tolist() == [1.2] and on_2x1.kept_workers.tolist() == [2]
    on_1x2 = inputs_for(cal, ClassKey("w", "1"), Shape(1, 2, host_cores=2, label="1x2"))
    assert on_1x2.startup_fresh_s.tolist() == [1.5] and on_1x2.background_cores == 0.5
    big = inputs_for(cal, ClassKey("w", "1"), Shape(16, 4))
    assert big.background_cores == 0.0 and big.kept_workers.tolist() == [0]


def test_objective_times_come_from_trials_that_ran_alone_when_there_are_some(tmp_path):
    # parallelism 1: alone, 0.5 s; parallelism 2: beside a sibling, 2.5 s (five times, where
    # sharing two cores explains nothing): the objective's own time is the 0.5 s
    run = load_run(write_loop_run(tmp_path, objectives=(
        ({}, 1, LOOP["objective"], ((1, 1),)), ({}, 1, SLOW, ((2, 1), (2, 2))))).path)
    inp = calibrate(run).inputs[ClassKey("sleep", "1")]
    assert np.median(inp.objective_s) == pytest.approx(LOOP["objective"])
    assert len(inp.objective_s) == 12                  # the 2 x 6 trials at parallelism 1


def test_a_variants_objective_times_come_from_every_variants_trials(tmp_path):
    """stock ran the objective alone (p=1, 2.5 s, 1 s loops); tuned ran it only in pairs,
    every time scaled to its FAST_POLL_S loops: the objective's own time for tuned is the
    stock trials' 2.5 s, while its loops and start-up are tuned's own."""
    from bench.variants import FAST_POLL_S

    run = load_run(write_loop_run(tmp_path, objectives=(
        ({}, 1, SLOW, ((1, 1),), "stock", 1.0),
        ({}, 1, LOOP["objective"], ((2, 2),), "tuned", FAST_POLL_S))).path)
    cal = calibrate(run, "tuned")
    inp = cal.inputs[ClassKey("sleep", "1")]
    assert np.median(inp.objective_s) == pytest.approx(SLOW)
    assert cal.trials_used[ClassKey("sleep", "1")] == 24          # 12 stock + 12 tuned
    assert cal.loops["dispatch_period_s"] == pytest.approx(FAST_POLL_S, rel=0.01)
    assert np.median(inp.startup_fresh_s) == pytest.approx(  # derived from epoch stamps
        LOOP["startup"] * FAST_POLL_S, abs=1e-6)


def test_holding_a_configuration_out_holds_out_its_twins_in_other_variants(tmp_path):
    # stock and tuned both ran p=2 q=2; holding stock's out must not leave tuned's trials of
    # the same objective, shape and settings to fit its objective times from
    from bench.predict.calibrate import config_key, prepare
    from bench.predict.validate import spark_configs

    run = load_run(write_loop_run(tmp_path, objectives=(
        ({}, 1, SLOW, ((2, 2),), "stock"), ({}, 1, LOOP["objective"], ((1, 1), (2, 2)),
                                               "tuned"))).path)
    prep = prepare(run)
    p2 = {v: config_key(c[c["parallelism"] == 2].iloc[0])
          for v, c in ((v, spark_configs(run, v)) for v in ("stock", "tuned"))}
    assert len(prep.twins(p2["stock"])) == 2                    # stock's and tuned's p=2
    assert calibrate(run, "tuned", prepared=prep).trials_used[ClassKey("sleep", "1")] == 36
    cal = calibrate(run, "tuned", exclude=p2["tuned"], prepared=prep)
    assert cal.trials_used[ClassKey("sleep", "1")] == 12      # tuned p=1 only
    assert np.median(cal.inputs[ClassKey("sleep", "1")].objective_s) == \
        pytest.approx(LOOP["objective"])                      # not stock's 2.5 s


def test_a_measured_shape_without_the_workloads_start_up_borrows_the_shapes_offset():
    from bench.predict.calibrate import Calibration
    from bench.predict.predict import inputs_for
    from bench.predict.startup import Startup

    # workload v starts in 1.0 s overall and 1.4 s on 1x2/tc2; w (2.0 s overall) never ran
    # there: on 1x2/tc2 it is predicted to start in 2.0 + 0.4 s
    cal = Calibration(run_id="r", variant="stock", host_cores=2, task_cpus=1,
                      inputs={ClassKey("w", "1"): inputs(startup=2.0),
                              ClassKey("v", "1"): inputs(startup=1.0)},
                      startups={("v", "1x2/tc2"): Startup(one(1.4), one(0.1), 0.0, 0.0,
                                                          one(0.02), 3)})
    tc2 = Shape(1, 2, 2, host_cores=2, label="1x2/tc2")
    assert inputs_for(cal, ClassKey("w", "1"), tc2).startup_fresh_s.tolist() == \
        pytest.approx([2.4])
    # a shape nobody ran keeps the workload's own
    other = Shape(2, 1, host_cores=2, label="2x1")
    assert inputs_for(cal, ClassKey("w", "1"), other).startup_fresh_s.tolist() == [2.0]


def test_a_variant_the_run_lacks_is_an_error_not_a_guess(known):
    from bench.errors import BenchError

    with pytest.raises(BenchError, match="no 'tuned' SparkTrials measurements"):
        calibrate(known, "tuned")


def test_recommendation_rule():
    def pred(executors, wall):
        shape = Shape(executors, 4, max_queue_len=1)
        return Prediction("w", "1", shape, 200, wall, wall, wall, wall * shape.total_cores / 200,
                          0.5, 1.0, 1)

    preds = [pred(1, 400.0), pred(2, 210.0), pred(4, 120.0), pred(8, 112.0), pred(16, 110.0)]
    rec = recommend(preds)
    assert rec.best.shape.executors == 16
    assert rec.recommended.shape.executors == 4        # 120 <= 1.1 x 110, smallest such
    # slots 4 -> 8 -> 16 -> 32 buy 47%, 43%, 6.7%; 32 -> 64 buys 1.8%
    assert rec.knee_parallelism == 32 and rec.knee.shape.executors == 8
    preds[3] = pred(8, 117.0)                           # 16 -> 32 slots now buys 2.5%
    assert recommend(preds).knee_parallelism == 16


# --- validation -------------------------------------------------------------------------------
def test_validate_reproduces_the_loop_runs_walls_within_the_target(tmp_path):
    """Each configuration predicted from the other two: the calibration must recover the
    loop periods, the dispatcher's phase, start-up, objective and return from the records,
    and the model must replay the loops that produced the walls."""
    run = load_run(write_loop_run(tmp_path).path)
    rows = validate(run, draws=3)
    assert [(r.setting, r.measured_s) for r in rows] == [
        ("spark p=1 q=1", 13.4), ("spark p=2 q=1", 8.4), ("spark p=2 q=2", 7.4)]
    summary = error_summary(rows)
    assert summary["median_abs_error"] <= 0.15 and summary["worst_abs_error"] <= 0.30, rows
    assert summary["configurations"] == 3


def test_validate_predicts_each_thread_environment_from_its_own_measurements(tmp_path):
    """The same model in two thread environments: spinning OpenMP threads (inherited) make
    its objective 2.5 s, passive waiting 0.5 s. A held-out configuration is predicted from
    the configurations of its own environment, so every wall is reproduced; pooling the two
    environments would miss each by far more than the target."""
    run = load_run(write_loop_run(tmp_path, objectives=(
        ({}, None, SLOW, CONFIGS), (PASSIVE, None, LOOP["objective"], CONFIGS))).path)
    rows = validate(run, draws=3)
    measured = sorted(r.measured_s for r in rows)
    assert measured == [7.4, 8.4, 13.4, 13.4, 14.4, 25.4]
    assert all(abs(r.error) <= 0.02 for r in rows), [(r.setting, r.error) for r in rows]
    assert not any(r.note for r in rows)
    cal = calibrate(run)
    assert {k: round(float(np.median(v.objective_s)), 3) for k, v in cal.inputs.items()} == {
        ClassKey("sleep", "None", ""): SLOW,
        ClassKey("sleep", "None", "OMP_WAIT_POLICY=passive"): LOOP["objective"]}


def test_an_environment_measured_nowhere_else_falls_back_and_says_so(tmp_path, capsys):
    # passive waiting only at p=2 q=2: held out, only the inherited environment is left
    folder = write_loop_run(tmp_path, objectives=(
        ({}, None, LOOP["objective"], CONFIGS), (PASSIVE, None, LOOP["objective"], ((2, 2),))))
    rows = validate(load_run(folder.path), draws=3)
    noted = [r for r in rows if r.note]
    assert [r.setting for r in noted] == ["spark p=2 q=2 {OMP_WAIT_POLICY=passive}"]
    assert math.isfinite(noted[0].predicted_s) and abs(noted[0].error) <= 0.02
    assert "inherited environment" in noted[0].note
    assert "sleep n_jobs=None {OMP_WAIT_POLICY=passive}" in noted[0].note
    assert main(["predict", str(folder.path), "--validate", "--draws", "2"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "passive} |" in x)
    assert "objective times from the inherited environment trials" in line


def test_validate_leaves_the_configuration_out(tmp_path):
    # n_jobs 2 ran in one configuration only: held out, nothing is left to calibrate it on
    run = load_run(write_loop_run(tmp_path, objectives=(
        ({}, 1, LOOP["objective"], CONFIGS), ({}, 2, LOOP["objective"], ((2, 2),)))).path)
    rows = {(r.setting, r.n_jobs): r for r in validate(run, draws=2)}
    alone = rows[("spark p=2 q=2 n_jobs=2", "2")]
    assert not math.isfinite(alone.predicted_s)
    assert alone.note.startswith("not predictable: no other configuration ran")
    assert sum(math.isfinite(r.predicted_s) for r in rows.values()) == 3


def test_break_even_matches_the_fixed_cost_formula_when_loops_vanish():
    # F = start-up + return with no loop delay: the model's break-even is F / (p - 1)
    from bench.predict.calibrate import Calibration

    cal = Calibration(run_id="r", variant="stock", host_cores=4, task_cpus=1,
                      inputs={ClassKey("w", "1"): inputs(startup=1.0, ret=0.2, period=1e-3)})
    assert model_break_even_s(cal, ClassKey("w", "1"), parallelism=3, slots=4, max_evals=60) == \
        pytest.approx(1.2 / 2, rel=0.05)


# --- command line -----------------------------------------------------------------------------
def test_predict_cli_json_and_chart(tmp_path, capsys):
    folder = fx.write_known_run(tmp_path)
    chart = tmp_path / "sizing.png"
    assert main(["predict", str(folder.path), "--executors", "1,2,16", "--cores", "4",
                 "--max-evals", "40", "--draws", "2", "--chart", str(chart), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {p["total_cores"] for p in out["predictions"]} == {4, 8, 64}
    assert all(p["wall_low_s"] <= p["wall_s"] <= p["wall_high_s"] for p in out["predictions"])
    assert out["recommendations"]["sleep n_jobs=1"]["recommended"]["shape"]
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_validate_cli_prints_the_table(tmp_path, capsys):
    run = write_loop_run(tmp_path).path
    assert main(["predict", str(run), "--validate", "--draws", "2"]) == 0
    out = capsys.readouterr().out
    assert "| spark p=2 q=2 |" in out and "Median absolute error" in out
    assert "launch rate on 16x4 p=64 with max_queue_len=1" in out


@pytest.mark.parametrize("args,message", [
    (["--parallelism", "abc"], "--parallelism 'abc': expected positive whole numbers"),
    (["--executors", "0"], "--executors '0': expected positive whole numbers"),
    (["--cores", "4", "--task-cpus", "8"], "--task-cpus 8 is more than --cores 4"),
    (["--max-evals", "10,20"], "--max-evals '10,20': give one number"),
    (["--variant", "tuned"], "no 'tuned' SparkTrials measurements"),
    (["--workload", "nope"], "--workload 'nope': not in this run"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, args, message):
    folder = fx.write_known_run(tmp_path)
    assert main(["predict", str(folder.path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_missing_results_folder_exits_2(tmp_path, capsys):
    assert main(["predict", str(tmp_path / "nope")]) == 2
    assert "no such results folder" in capsys.readouterr().err


# --- report ---------------------------------------------------------------------------------------
def test_report_gets_model_sections_only_with_two_spark_configurations(tmp_path):
    from bench.report import write_report

    report = write_report(fx.write_known_run(tmp_path).path).read_text()
    assert "## Model check" in report and "## What a bigger cluster would do" in report
    assert "predict_sizing.png" in report
    assert (tmp_path / "reports" / "known-run" / "predict_sizing.png").exists()


def test_a_check_row_says_whether_the_prediction_is_inside_its_repeats_range():
    from bench.predict.validate import CheckRow

    row = dict(setting="s", workload="w", n_jobs="1", shape="local", max_evals=8,
               measured_s=10.0, measured_low_s=9.0, measured_high_s=12.0)
    assert CheckRow(**row, cells=3, predicted_s=11.5).in_measured_range is True
    assert CheckRow(**row, cells=3, predicted_s=13.0).in_measured_range is False
    assert CheckRow(**row, cells=1, predicted_s=11.5).in_measured_range is None
    # judged as the table prints walls (0.1 s): whole loop turns a few ms apart are inside
    turns = dict(row, measured_low_s=17.016, measured_high_s=17.019)
    assert CheckRow(**turns, cells=2, predicted_s=17.029).in_measured_range is True
    assert CheckRow(**turns, cells=2, predicted_s=17.06).in_measured_range is False
    summary = error_summary([CheckRow(**row, cells=3, predicted_s=11.5),
                             CheckRow(**row, cells=3, predicted_s=13.0)])
    assert (summary["repeated"], summary["in_measured_range"]) == (2, 1)


def test_rows_on_a_host_their_spinning_trials_oversubscribe_get_a_note():
    from bench.predict.calibrate import Calibration
    from bench.predict.validate import spin_wait_note

    spin = dataclasses.replace(inputs(demand=1.9), oversubscribed_slowdown=4.0)
    cal = Calibration(run_id="r", variant="stock", host_cores=2, task_cpus=1,
                      inputs={ClassKey("w", "None"): spin,
                              ClassKey("w", "1"): dataclasses.replace(spin, demand_cores=1.0)})
    here = Shape(1, 2, parallelism=2, host_cores=2, label="local")
    assert "oversubscribed: 2 trials of 1.9 threads on 2 cores, measured 4.0x" in \
        spin_wait_note(cal, ClassKey("w", "None"), here)
    assert spin_wait_note(cal, ClassKey("w", "1"), here) == ""           # 2 x 1 core fits
    assert spin_wait_note(cal, ClassKey("w", "None"),
                          Shape(1, 2, parallelism=1, host_cores=2)) == ""  # one at a time
    assert spin_wait_note(cal, ClassKey("w", "None"), Shape(16, 4, parallelism=32)) == ""


def test_a_variants_only_configuration_is_not_predictable_and_says_why(tmp_path):
    run = load_run(write_loop_run(tmp_path, objectives=(({}, 1, LOOP["objective"],
                                                          ((2, 2),)),)).path)
    (row,) = validate(run, draws=2)
    assert not math.isfinite(row.predicted_s)
    assert row.note.startswith("not predictable: the run's only stock configuration")


def test_slot_use_counts_only_time_holding_a_slot():
    # 8 one-second trials at parallelism 4 on 2 slots: four waves of 2; the two waiting
    # trials hold no slot, so the slots are busy the whole time, not twice over
    inp = inputs(objective=1.0, period=1e-4)
    shape = Shape(1, 2, parallelism=4, max_queue_len=0)
    out = run_once(inp, shape, 8)
    assert out.slot_busy_s / (shape.slots * out.wall_s) == pytest.approx(1.0, abs=0.01)


def test_the_report_and_predict_validate_read_the_same_for_one_run(tmp_path, capsys):
    """One run, one model check: the report's table and `predict --validate` print the same
    predictions (the same draws per configuration), so a user comparing them sees no
    Monte-Carlo disagreement."""
    from bench.report import write_report

    folder = fx.write_large_run(tmp_path, n_trials=360, max_evals=20)  # trial times vary
    assert main(["predict", str(folder.path), "--validate"]) == 0
    cli = [x for x in capsys.readouterr().out.splitlines() if x.startswith("| spark")]
    report = write_report(folder.path).read_text().split("## Model check", 1)[1]
    table = [x for x in report.split("## What a bigger cluster", 1)[0].splitlines()
             if x.startswith("| spark")]
    assert cli and table == cli
