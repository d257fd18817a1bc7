"""A/B runs: the sides, the interleaved plan, the load a cell ran under, and compare of one
A/B folder (paired by block, pairs of differing load left out). Pure functions on fixture
records; the end-to-end run is tests/test_ab_run.py (long)."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bench import grid
from bench.ab import load, plan
from bench.analysis import load_run
from bench.compare import EXIT_OK, EXIT_REGRESSION, FASTER, INDICATIVE, SAME, SLOWER
from bench.compare.ab import compare_ab, load_check, load_gap, side_of
from bench.compare.pairing import Side
from bench.errors import BenchError
from bench.model import SCHEMA_VERSION
from bench.storage import RunFolder
from tests.fixture_records import BASE_TS, _cell_record, _trial, cell_dict, manifest

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {"workloads": [{"name": "sleep"}], "modes": ["serial", "spark"], "parallelism": [2],
            "max_queue_len": ["parallelism"], "n_jobs": [None], "max_evals": [2],
            "repeats": 6, "seed": 3, "conditions": {}}


# --- the sides ---------------------------------------------------------------------------

def test_sides_are_stacks_or_one_scenario_file_on_the_other_sides_stack(tmp_path):
    other = tmp_path / "slower.py"
    other.write_text("SCENARIO = {}\n")
    a, b = plan.parse_ab("current,current", "s.py")
    assert (a.stack, a.scenario, b.stack, b.scenario) == ("current", "s.py", "current", "s.py")
    a, b = plan.parse_ab("may2022, current", "s.py")
    assert (a.stack, b.stack) == ("may2022", "current")
    a, b = plan.parse_ab(f"may2022,{other}", "s.py")
    assert (a.stack, a.scenario, b.stack, b.scenario) == ("may2022", "s.py", "may2022", str(other))
    for bad, words in (("current", "two sides"), ("a,b,c", "two sides"),
                       (f"{other},{other}", "at most one side"),
                       ("current,missing/x.py", "no such scenario file")):
        with pytest.raises(BenchError, match=words):
            plan.parse_ab(bad, "s.py")


def test_each_block_holds_every_cell_next_to_its_twin_and_the_first_side_alternates():
    cells = grid.expand(SETTINGS)
    ab = plan.interleave(cells, seed=3)
    assert len(ab) == 2 * len(cells) and len({c.cell_id for c in ab}) == len(ab)
    assert [c.order for c in ab] == list(range(len(ab)))
    firsts = []
    for i in range(0, len(ab), 2):
        one, two = ab[i], ab[i + 1]
        assert {one.side, two.side} == {"A", "B"} and one.repeat == two.repeat
        assert one.cell_id[:-2] == two.cell_id[:-2] and one.cell_id.endswith("." + one.side)
        assert {**one.to_dict(), "cell_id": "", "side": "", "order": 0} == \
            {**two.to_dict(), "cell_id": "", "side": "", "order": 0}
        firsts.append((one.repeat, one.side))
    for repeat in range(SETTINGS["repeats"]):  # within a block, the first side alternates
        sides = [s for r, s in firsts if r == repeat]
        assert all(x != y for x, y in zip(sides, sides[1:]))
        block = [c for c in ab if c.repeat == repeat]
        assert block == ab[ab.index(block[0]):ab.index(block[0]) + len(block)]  # contiguous
    starts = [next(s for r, s in firsts if r == rep) for rep in range(SETTINGS["repeats"])]
    assert set(starts) == {"A", "B"}  # seeded per block: neither side always starts
    assert plan.interleave(cells, seed=3) == ab  # the same seed, the same plan


def test_two_grids_that_differ_and_cluster_shapes_are_refused():
    cells = grid.expand(SETTINGS)
    other = grid.expand({**SETTINGS, "parallelism": [1]})
    with pytest.raises(BenchError, match="grids differ"):
        plan.twins_of(cells, other, "--ab x")
    with pytest.raises(BenchError, match="clusters: --ab"):
        plan.refuse_clusters({"clusters": [{"label": "2x1"}]}, "s.py")


# --- the load a cell ran under -------------------------------------------------------------

def test_load_counters_are_read_from_proc_texts():
    assert load.host_busy_ticks("cpu  100 5 50 800 20 1 2 3 0 0\ncpu0 1 2 3 4\n") == (161, 981)
    stat = "42 (py thon) (x)) S 7 42 42 0 -1 0 0 0 0 0 30 12 5 4 20 0 1 0"
    assert load.proc_ticks(stat) == (7, 42, 9)
    stats = {1: "1 (init) S 0 " + "0 " * 9 + "500 500 0 0",
             10: "10 (driver) S 1 " + "0 " * 9 + "10 5 3 2",
             11: "11 (java) S 10 " + "0 " * 9 + "100 20 0 0",
             12: "12 (worker) S 11 " + "0 " * 9 + "7 1 0 0",
             13: "13 (other) S 1 " + "0 " * 9 + "900 0 0 0"}
    assert load.tree_ticks(stats, 10) == 10 + 5 + 3 + 2 + 120 + 8
    assert load.tree_ticks(stats, 11) == 128 and load.tree_ticks(stats, 99) == 0


def test_external_load_is_host_busy_minus_the_cells_own_tree():
    tick = load._TICK
    a = load.Snapshot(t=0.0, host=(0, 0), own=0, jvm=0)
    b = load.Snapshot(t=2.0, host=(150, 200), own=int(1.0 * tick), jvm=int(0.5 * tick))
    out = load.cores_between(a, b, cpus=2)
    assert out == {"load_host_cores": 1.5, "load_own_cores": 0.5, "load_jvm_cores": 0.25,
                   "load_external_cores": 1.0}
    assert load.cores_between(None, b, 2)["load_external_cores"] is None
    live = load.snapshot(1, None)  # this machine's /proc: the figures exist and are sane
    assert live is not None and live.host[1] > 0 and live.own >= 0


# --- compare of one A/B folder -------------------------------------------------------------

def write_ab_run(root: Path, walls: dict, *, objective: dict | None = None,
                 loads: dict | None = None, own: float | None = None,
                 run_id: str = "ab-run") -> Path:
    """An A/B folder as the runner writes it: `walls[side][name]` one fmin wall per repeat
    ('serial' and 'spark' p=2), twins adjacent; `objective[side]` the per-trial objective
    seconds; `loads[side][name]` the external load of each repeat's cell."""
    objective = objective or {"A": 0.5, "B": 0.5}
    plan_ = []
    for name, mode, par in (("serial", "serial", None), ("spark", "spark", 2)):
        for repeat in range(len(walls["A"][name])):
            for side in ("A", "B") if repeat % 2 == 0 else ("B", "A"):
                cell = cell_dict(run_id, mode, "sleep", par, repeat, max_evals=4)
                cell.update(cell_id=f"{cell['cell_id']}.{side}", side=side)
                plan_.append((side, name, cell))
    plan_.sort(key=lambda p: p[2]["repeat"])
    for order, (_, _, cell) in enumerate(plan_):
        cell["order"] = order
    man = manifest(run_id, [c for _, _, c in plan_])
    man["ab"] = {s: {"side": s, "stack": "current", "scenario": "s.py"} for s in ("A", "B")}
    folder = RunFolder(root / run_id).create(man)
    start, attempt = BASE_TS, 0
    for side, name, cell in plan_:
        wall, spark = walls[side][name][cell["repeat"]], cell["mode"] == "spark"
        trials = []
        for tid in range(4):
            attempt += 1
            parts = (0.0, 0.5 if spark else 0.0, objective[side], 0.0)
            t = _trial(cell, run_id, tid, start + tid, parts, 0.1 * tid, spark=spark,
                       pid=1000 + attempt, attempt=attempt if spark else None)
            trials.append({**t, "side": side})
        rec = _cell_record(cell, run_id, start, wall, trials)
        if loads is not None:
            rec["load_external_cores"] = loads[side][name][cell["repeat"]]
            rec["load_own_cores"] = own
        folder.append_cell(rec, trials)
        start += wall + 1.0
    return folder.path


NOISE = [8.0, 7.2, 8.8, 7.6, 8.4, 8.1, 7.9, 8.3, 7.7, 8.2]


def _same(walls):
    return {"serial": list(walls), "spark": [w / 2 for w in walls]}


def test_the_same_code_on_both_sides_is_no_change_paired_by_block(tmp_path):
    # the machine's drift hits both twins of a block alike: B = A * (1 +- 1%)
    b = [w * (1.01 if i % 2 else 0.99) for i, w in enumerate(NOISE)]
    result = compare_ab(load_run(write_ab_run(tmp_path, {"A": _same(NOISE), "B": _same(b)})))
    assert result.paired and result.exit_code == EXIT_OK
    assert [r.verdict for r in result.rows] == [SAME, SAME]
    assert all(r.ratio.n == len(NOISE) for r in result.rows)
    assert [r.label for r in result.rows] == ["sleep serial", "sleep spark p=2"]


def test_a_longer_objective_on_side_b_is_slower_and_attributed_to_it(tmp_path):
    b = [w * 1.25 for w in NOISE]
    result = compare_ab(load_run(write_ab_run(
        tmp_path, {"A": _same(NOISE), "B": _same(b)}, objective={"A": 0.5, "B": 0.625})))
    assert result.exit_code == EXIT_REGRESSION
    assert [(r.verdict, r.cause) for r in result.rows] == [(SLOWER, "objective")] * 2
    assert all(1.2 < r.ratio.value < 1.3 and r.ratio.low > 1 for r in result.rows)


SPIKES = [1.0, 1.3, 0.8, 1.0, 1.25, 0.85, 1.0, 1.2, 0.9, 1.1]  # a spark wall's tick noise


def test_a_longer_objective_hidden_by_the_walls_noise_is_found_by_its_share_of_the_wall(
        tmp_path):
    """Spark walls swing by 1 s ticks and load (B's pairs -20%..+30% of A's, no trend): the
    walls alone cannot tell; the ideal wall (objective time ÷ slots), measured inside the
    trials, moved 1.25x: slower, and the objective is named as the cause."""
    spark_a = [8.0] * 10
    spark_b = [w * s * 1.05 for w, s in zip(spark_a, SPIKES)]
    walls = {"A": {"serial": [2.0] * 10, "spark": spark_a},
             "B": {"serial": [2.5] * 10, "spark": spark_b}}
    result = compare_ab(load_run(write_ab_run(tmp_path / "slow", walls,
                                              objective={"A": 0.5, "B": 0.625})))
    spark = result.rows[1]
    assert spark.ratio.low <= 1  # the walls alone: no significant change
    assert (spark.verdict, spark.cause) == (SLOWER, "objective")
    assert "ideal wall" in spark.reason and "1.250x" in spark.reason
    # the same walls with an unchanged objective: no change (no verdict from the ideals)
    same = compare_ab(load_run(write_ab_run(tmp_path / "same", {
        "A": walls["A"], "B": {"serial": [2.0] * 10, "spark": spark_b}})))
    assert [r.verdict for r in same.rows] == [SAME, SAME]
    # an objective 5% longer is within the 10% threshold on the ideals too
    small = compare_ab(load_run(write_ab_run(tmp_path / "small", {
        "A": walls["A"], "B": {"serial": [2.1] * 10, "spark": spark_b}},
        objective={"A": 0.5, "B": 0.525})))
    assert small.rows[1].verdict == SAME


def test_the_ideal_walls_keep_the_pairs_their_trials_could_not_feel_the_load_of(tmp_path):
    """Spark walls tick: 6 of 10 pairs saw 1.5 cores more load on B and are left out of the
    walls' test (too few left). The ideal walls are measured inside trials that kept 0.05
    cores busy: they keep every pair, and find the 25% longer objective."""
    busy = {0, 2, 4, 6, 8, 9}
    quiet = [0.1] * 10
    loaded = [1.6 if i in busy else 0.1 for i in range(10)]
    walls = {"A": {"serial": [2.0] * 10, "spark": [8.0] * 10},
             "B": {"serial": [2.5] * 10, "spark": [8.0] * 10}}
    result = compare_ab(load_run(write_ab_run(
        tmp_path, walls, objective={"A": 0.5, "B": 0.625}, own=0.05,
        loads={"A": {"serial": quiet, "spark": quiet}, "B": {"serial": loaded, "spark": loaded}})))
    serial, spark = result.rows
    assert serial.verdict == SLOWER and serial.ratio.n == 10  # a sleeping serial cell: kept
    assert "6 of 10 pairs left out" in spark.load_note and spark.ratio.n == 4
    assert (spark.verdict, spark.cause) == (SLOWER, "objective") and "(n=10)" in spark.reason


def test_pairs_whose_twins_saw_different_load_are_left_out(tmp_path):
    """B is 30% slower only in the blocks where other processes kept 1.5 more cores busy
    beside it (2% elsewhere): counting those pairs calls B slower; leaving them out does not."""
    busy = {0, 2, 4, 6, 8, 9}
    b = [w * (1.3 if i in busy else 1.02) for i, w in enumerate(NOISE)]
    quiet = [0.1] * len(NOISE)
    loaded = [1.6 if i in busy else 0.1 for i in range(len(NOISE))]
    walls = {"A": _same(NOISE), "B": _same(b)}
    plain = compare_ab(load_run(write_ab_run(tmp_path / "p", walls)))
    assert [r.verdict for r in plain.rows] == [SLOWER, SLOWER]  # load unknown: kept
    assert all("load not recorded for 10 pair(s)" in r.load_note for r in plain.rows)
    result = compare_ab(load_run(write_ab_run(
        tmp_path / "l", walls, loads={"A": {"serial": quiet, "spark": quiet},
                                      "B": {"serial": loaded, "spark": loaded}})))
    assert [r.verdict for r in result.rows] == [INDICATIVE, INDICATIVE]
    for r in result.rows:
        assert "6 of 10 pairs left out" in r.load_note and r.reason.startswith("could not judge")
        assert r.ratio.n == 4


def test_load_check_keeps_pairs_within_the_bound_and_unknown_ones():
    a = Side(walls={0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}, loads={0: 0.0, 1: 0.0, 2: 1.0})
    b = Side(walls={0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}, loads={0: 0.4, 1: 0.6, 2: 0.2, 3: 2.0})
    check = load_check(a, b)
    assert check.kept == (0, 3) and check.dropped == (1, 2) and check.unknown == 1
    assert "2 of 4 pairs left out" in check.note() and "blocks 1, 2" in check.note()


def test_load_a_cell_cannot_feel_keeps_its_pair():
    """Processor sharing: a serial cell that kept 0.01 cores busy (a sleeping objective)
    feels 0.01 of a 1.5-core load difference, and its pair is kept; a CPU-bound twin (1 core)
    feels all of it; spark walls move in whole 1 s ticks and feel all of it whatever their
    CPU share; own use unknown counts it whole."""
    assert load_gap(0.2, 1.7, 0.01, 0.01, ticked=False) == pytest.approx(0.015)
    assert load_gap(0.2, 1.7, 0.01, 1.0, ticked=False) == pytest.approx(1.5)
    assert load_gap(0.2, 1.7, 0.01, 0.01, ticked=True) == pytest.approx(1.5)
    assert load_gap(0.2, 1.7, None, 0.01, ticked=False) == pytest.approx(1.5)
    walls, quiet, busy = {r: 8.0 for r in range(4)}, {r: 0.2 for r in range(4)}, \
        {r: 1.7 for r in range(4)}
    sleeping = {r: 0.01 for r in range(4)}
    a = Side(walls=walls, loads=quiet, own_cores=sleeping)
    b = Side(walls=walls, loads=busy, own_cores=sleeping)
    assert load_check(a, b).kept == (0, 1, 2, 3)
    assert load_check(replace(a, ticked=True), replace(b, ticked=True)).dropped == (0, 1, 2, 3)
    cpu = {r: 1.0 for r in range(4)}
    assert load_check(replace(a, own_cores=cpu), replace(b, own_cores=cpu)).kept == ()


def test_a_side_of_an_ab_run_keys_like_a_run_without_sides(tmp_path):
    run = load_run(write_ab_run(tmp_path, {"A": _same(NOISE), "B": _same(NOISE)}))
    assert set(run.cells["side"]) == {"A", "B"} and set(run.trials["side"]) == {"A", "B"}
    a = side_of(run, "A")
    assert set(a.cells["side"]) == {""} and len(a.cells) == len(run.cells) // 2
    assert all(c["side"] is None and c["cell_id"].endswith(".A") for c in a.manifest.planned_cells)
    assert list(a.manifest.ab_sides) == ["A"]


def bench(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_compare_of_one_ab_folder_and_its_exit_codes(tmp_path):
    same = write_ab_run(tmp_path / "s", {"A": _same(NOISE), "B": _same(NOISE)})
    slow = write_ab_run(tmp_path / "l", {"A": _same(NOISE), "B": _same([w * 1.5 for w in NOISE])})
    out = bench("compare", str(same))
    assert out.returncode == 0 and "paired by block" in out.stdout, out.stderr
    out = bench("compare", str(slow), "--format", "json")
    assert out.returncode == 1 and json.loads(out.stdout)["paired"] is True
    plain = tmp_path / "plain"
    from tests.test_compare import write_run

    write_run(plain, "r1", {"serial": NOISE})
    out = bench("compare", str(plain / "r1"))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "not an A/B run" in out.stderr


# --- the schema ----------------------------------------------------------------------------

def test_a_folder_written_before_sides_reads_with_no_side(tmp_path):
    from tests.test_compare import write_run

    path = write_run(tmp_path, "old", {"serial": NOISE[:5], "spark": NOISE[:5]})
    man = json.loads((path / "manifest.json").read_text())
    man["schema_version"] = 4
    (path / "manifest.json").write_text(json.dumps(man))
    run = load_run(path)
    assert set(run.cells["side"]) == {""} and set(run.trials["side"]) == {""}
    assert SCHEMA_VERSION == 5
    RunFolder(path).upgrade()
    assert RunFolder(path).manifest()["schema_version"] == 5


# --- refusals of the command line ------------------------------------------------------------

def test_run_ab_refuses_cluster_scenarios_and_bad_sides_with_one_line(tmp_path):
    for args, words in ((["scenarios/cluster_sizing.py", "--ab", "current,current"],
                         "clusters: --ab"),
                        (["scenarios/smoke.py", "--ab", "current"], "two sides"),
                        (["scenarios/smoke.py", "--ab", "current,scenarios/ab_sleep.py"],
                         "grids differ"),
                        (["scenarios/smoke.py", "--ab", "current,current", "--cluster", "2x1"],
                         "cannot be combined")):
        out = bench("run", *args, "--results-dir", str(tmp_path))
        assert out.returncode == 2 and out.stderr.count("\n") == 1, (args, out.stderr)
        assert words in out.stderr, (args, out.stderr)
    assert not list(tmp_path.iterdir())  # refused before any folder was made


def test_the_headline_of_an_ab_run_has_one_line_per_side_from_its_own_cells(tmp_path):
    """Each side's speedup pairs its own serial and spark cells (2.00x on both sides here);
    pooled, the sides' cells were paired across (2.21x and 1.77x under one label)."""
    from bench.analysis import analyze
    from bench.analysis.whatif import what_if_effects
    from bench.diagnosis import diagnose_data
    from bench.report.headline import headline_text, headlines

    run = load_run(write_ab_run(tmp_path, {"A": _same(NOISE),
                                           "B": _same([w * 1.25 for w in NOISE])},
                                objective={"A": 0.5, "B": 0.625}))
    analysis = analyze(run)
    heads = headlines(run, analysis, diagnose_data(run, analysis),
                      what_if_effects(run, analysis))
    assert [h.workload for h in heads] == ["sleep <A>", "sleep <B>"]
    assert all("2.00× at p=2" in h.speedup and h.speedup.count("at p=2") == 1 for h in heads)
    text = "\n".join(headline_text(heads))
    assert "0.50 s objective" in text and "0.62 s objective" in text


def test_an_ab_run_is_estimated_side_by_side_from_each_sides_own_scenario():
    """Both sides' cells, each from its own scenario (B's objective 25% longer: its serial
    twins take longer), two driver starts; a side on another stack is said to be estimated
    with this environment's priors."""
    from bench.ab.run import plan_run
    from bench.predict.estimate import for_ab

    specs, scns, cells = plan_run(str(ROOT / "scenarios/ab_sleep.py"),
                                  f"may2022,{ROOT / 'scenarios/ab_sleep_slower.py'}", "quick")
    est = for_ab(scns, [c.to_dict() for c in cells], stacks={s.name: s.stack for s in specs},
                 master="local[2]")
    assert set(est.cells) == {c.cell_id for c in cells} and len(est.cells) == 40
    serial = [c for c in cells if c.mode == "serial"]
    a = sum(est.cells[c.cell_id] for c in serial if c.side == "A")
    b = sum(est.cells[c.cell_id] for c in serial if c.side == "B")
    assert 1.15 < b / a < 1.35  # 4 x 2.5 s against 4 x 2 s per cell, plus the same gaps
    assert any("side A runs on stack 'may2022'" in n for n in est.notes)
    assert est.line().startswith("estimated time: ")
