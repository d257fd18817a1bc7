"""The report answers first: headline per workload from the analysis, findings and what-ifs."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bench.diagnosis import diagnose_data
from bench.analysis.whatif import what_if_effects
from bench.formats import fmt_s, fmt_x
from bench.report import write_report_files
from bench.report.headline import headline_markdown, headline_text, headlines
from tests import fixture_records as fr
from tests.test_diagnosis import cell, cell_record, run_of, trials_for

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _queue_what_if_run():
    """Serial trials of 0.3 s; spark p=2 with max_queue_len 1 and 2, each trial paying 1.0 s
    in the loops, 1.2 s to start and 0.05 s to return: fixed-overhead fires and the queue
    what-if is measured."""
    s, q1, q2 = cell("serial"), cell("spark", p=2, q=1), cell("spark", p=2, q=2)
    parts = dict(objective=0.3, delay=1.0, startup=1.2, ret=0.05)
    pairs = [(s, trials_for(s, objective=0.3)),
             (q1, trials_for(q1, **parts, start=fr.BASE_TS + 100)),
             (q2, trials_for(q2, **parts, concurrency=2, start=fr.BASE_TS + 200))]
    run, analysis = run_of(*pairs)
    walls = {c["cell_id"]: cell_record(c, ts)["wall_s"] for c, ts in pairs}
    return run, analysis, walls[q1["cell_id"]], walls[q2["cell_id"]], walls[s["cell_id"]]


def test_headline_names_the_top_finding_numbers_and_the_measured_fix():
    run, analysis, wall_q1, wall_q2, wall_serial = _queue_what_if_run()
    findings = diagnose_data(run, analysis)
    top = next(f for f in findings if f.id == "fixed-overhead:w")
    (head,) = headlines(run, analysis, findings, what_if_effects(run, analysis))
    assert head.finding_id == top.id
    ev = top.evidence
    assert (f"each spark trial pays {fmt_s(ev['fixed_s_per_trial'])} s of fixed cost against "
            f"a {fmt_s(ev['objective_s'])} s objective") in head.why
    assert f"{fmt_s(ev['startup_s'])} s starting the trial" in head.why
    assert f"{fmt_s(ev['dispatch_delay_s'])} s in hyperopt's 1-second loops" in head.why
    assert ev["fixed_s_per_trial"] == pytest.approx(2.25)  # 1.0 + 1.2 + 0.05 by construction
    effect = wall_q1 / wall_q2
    measured = (f"p=2 {fmt_s(wall_q1)} s → {fmt_s(wall_q2)} s ({fmt_x(effect)} faster, "
                f"{fmt_x(wall_serial / wall_q2)} serial)")
    assert head.fix == f"max_queue_len = parallelism — measured: {measured}"
    # (a) the setup (q=1) against serial: one number, not a range over q=1 and q=2
    assert head.speedup == (f"vs serial Trials [native]: {fmt_x(wall_serial / wall_q1)} at "
                            "p=2 (ideal 2×, n=1)")
    assert head.fixes == [("public knob", "max_queue_len = parallelism", measured)]
    text = headline_text([head])
    assert text[:3] == [
        "w  setup: stock SparkTrials, max_queue_len 1, n_jobs=None, inherited thread environment",
        f"   {head.speedup}", f"   fix  public knob  max_queue_len = parallelism: {measured}"]
    md = "\n".join(headline_markdown([head]))
    assert head.why in md and head.fix in md and "`fixed-overhead:w`" in md


def test_a_run_without_what_if_cells_says_what_to_add(tmp_path):
    folder = fr.write_known_run(tmp_path)
    files = write_report_files(folder.path, formats="md")
    fix = next(line for line in files.headline if "its fix:" in line)
    assert ('max_queue_len = parallelism — not measured in this run: add cells with '
            '"max_queue_len": [1, "parallelism"] at parallelism >= 2 to measure it') in fix
    text = files.md.read_text()
    assert "- **Fix:** max_queue_len = parallelism — not measured in this run" in text
    # known run: 1.0 s fixed per trial against a 1.0 s objective (fixture_records.SPARK_PARTS)
    assert ("each spark trial pays 1.00 s of fixed cost against a 1.00 s objective: 0.50 s "
            "starting the trial in a fresh Python worker (with imports), 0.25 s in hyperopt's "
            "1-second loops, 0.25 s returning the result") in text
    assert ("- **Setup vs serial Trials [native]:** 2.00× at p=2 (ideal 2×, n=3), 2.67× at "
            "p=4 (ideal 2×, n=3).") in text
    assert ("- **Setup vs serial Trials [busy_driver] (emulated):** 4.00× at p=2 (ideal 2×, "
            "n=3), 5.33× at p=4 (ideal 2×, n=3).") in text
    assert files.headline[2] == ("       vs serial Trials [busy_driver] (emulated): 4.00× at "
                                 "p=2 (ideal 2×, n=3), 5.33× at p=4 (ideal 2×, n=3)")
    # no axis with a second value: no fix row, and what to add
    assert "- **Fixes:** none measured in this run: measure the setup with one thing changed" in text
    assert "give an axis a second value" in text and "call obs.fmin again" in text


def test_headline_answers_the_three_questions_in_order(tmp_path):
    """(a) the setup against serial, one number per parallelism (and the emulated driver's,
    labelled); (b) one row per fix, each one axis changed, labelled by kind, warm-up
    counted; (c) why. Two-axis changes (tuned with passive waiting, pinned and passive) give
    no row; no range anywhere."""
    files = write_report_files(fr.write_setup_run(tmp_path).path, formats="md")
    lines = files.headline
    assert lines[:8] == [
        "sleep  setup: stock SparkTrials, max_queue_len 1, n_jobs=0, inherited thread environment",
        "       vs serial Trials [native]: 0.50× at p=1 (ideal 1×, n=1), 0.80× at p=2 (ideal 2×, "
        "n=1)",
        "       vs serial Trials [busy_driver] (emulated): 1.00× at p=1 (ideal 1×, n=1), 1.60× "
        "at p=2 (ideal 2×, n=1)",
        "       fix  public knob        max_queue_len = parallelism: p=2 10.0 s → 8.00 s (1.25× "
        "faster, 1.00× serial)",
        "       fix  modified hyperopt  variant tuned: p=2 10.0 s → 4.00 s incl. "
        "2.00 s warm-up (2.50× faster, 2.00× serial; 2.00 s with workers already running)",
        "       fix  pool               process pool (the same points in warm local workers): "
        "p=2 10.0 s → 4.00 s incl. 1.00 s warm-up (2.50× faster, 2.00× serial; 3.00 s with "
        "workers already running)",
        "       fix  thread pinning     n_jobs=1: serial 8.00 s → 6.00 s (1.33× faster); p=2 "
        "10.0 s → 5.00 s (2.00× faster)",
        "       fix  wait policy        OMP_WAIT_POLICY=passive: p=2 10.0 s → 20.0 s (2.00× "
        "slower)"]
    assert lines[8].startswith("       why: each spark trial pays")
    assert not any("–" in line for line in lines)  # no range across configurations
    text = files.md.read_text()
    head = text[text.index("## Headline"):text.index("## Findings")]
    assert "| modified hyperopt | variant tuned | p=2 10.0 s → 4.00 s incl. 2.00 s " \
           "warm-up (2.50× faster, 2.00× serial; 2.00 s with workers already running) |" in head
    order = [head.index(x) for x in ("**Setup vs serial Trials [native]:**",
                                     "**What each fix did**", "**Why:**")]
    assert order == sorted(order)


def test_a_run_without_the_setups_cells_says_which_to_add(tmp_path):
    """The grid puts n_jobs=0 first but only n_jobs=1 cells ran: nothing is the setup, so no
    speedup or fix row is claimed for it; the headline says what to add."""
    plan = [c for c in fr.SETUP_PLAN if c[0][2].get("n_jobs") == 1]
    files = write_report_files(fr.write_setup_run(tmp_path, plan=plan).path, formats="md")
    lines = files.headline
    assert lines[1].endswith("no speedup yet: it needs finished serial and SparkTrials cells "
                             "of the current setup")
    assert [x.strip() for x in lines if "add:" in x] == [
        "add: SparkTrials cells of the setup (stock SparkTrials, max_queue_len 1, n_jobs=0, "
        "inherited thread environment, native): put those values first in the scenario's "
        "axis lists",
        "add: serial Trials cells of the setup (stock SparkTrials, max_queue_len 1, n_jobs=0, "
        "inherited thread environment, native): put those values first in the scenario's "
        "axis lists"]
    assert not any(" fix  " in x for x in lines)


def test_report_opens_with_the_answer_and_ends_with_the_appendix(tmp_path):
    folder = fr.write_known_run(tmp_path)
    text = write_report_files(folder.path, formats="md").md.read_text()
    order = ["## Headline", "## Findings", "## What the recommended changes did (measured)",
             "## Charts", "## Summary per workload", "## Native and emulated results",
             "## Speedup against every serial condition", "## Search quality",
             "## Appendix: what was run", "## Appendix: machine and Spark"]
    positions = [text.index(f"\n{title}\n") for title in order]
    assert positions == sorted(positions)
    assert "Resolved grid:" in text[positions[-2]:]


def test_headline_without_a_diagnosis_says_so():
    run, analysis, *_ = _queue_what_if_run()
    (head,) = headlines(run, analysis, None, what_if_effects(run, analysis))
    assert head.why.startswith("no diagnosis was run") and head.fix == ""


def _imported_modules(path: Path, source: str | None = None) -> set[str]:
    """Every module a bench source file imports, as absolute dotted names ('from .. import x'
    counts as importing package.x too)."""
    package = ["bench", *path.relative_to(BENCH).parent.parts]
    found = set()
    source = path.read_text() if source is None else source
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found |= {module} | {f"{module}.{a.name}" for a in node.names}
    return found


def test_diagnosis_imports_nothing_from_the_report():
    """The pipeline runs analysis -> diagnosis -> report: never back."""
    files = sorted((BENCH / "diagnosis").glob("*.py"))
    assert files
    for path in files:
        back = {m for m in _imported_modules(path) if m.startswith("bench.report")}
        assert not back, f"{path.name} imports {sorted(back)}"


def test_the_import_check_sees_relative_and_package_imports():
    probe = BENCH / "diagnosis" / "rules.py"
    for source in ("from ..report import build\n", "from .. import report\n",
                   "import bench.report.whatif\n", "from ..report.whatif import WHAT_IFS\n"):
        assert any(m.startswith("bench.report") for m in _imported_modules(probe, source)), source
    assert "bench.analysis" in _imported_modules(probe)
    assert not any(m.startswith("bench.report") for m in _imported_modules(probe))


def test_an_emulated_drivers_cause_is_labelled_and_kept_to_its_workload():
    """Native serial 0.3 s trials; an emulated busy driver where the same model runs 8
    threads and takes 3 s; spark p=1 with 2.25 s of fixed cost per trial, in two repeats (a
    finding on one cell of one repeat is never high)."""
    s, busy, k = cell("serial"), cell("serial", condition="busy"), cell("spark", p=1)
    k2 = cell("spark", p=1, repeat=1)
    other = cell("serial", workload="v")
    spark = dict(objective=0.3, threads=1, omp="1", delay=1.0, startup=1.2, ret=0.05)
    run, analysis = run_of(
        (s, trials_for(s, objective=0.3, threads=1, omp="1")),
        (busy, trials_for(busy, objective=3.0, threads=8, omp="32", start=fr.BASE_TS + 50)),
        (k, trials_for(k, start=fr.BASE_TS + 100, **spark)),
        (k2, trials_for(k2, start=fr.BASE_TS + 300, **spark)),
        (other, trials_for(other, objective=0.3, start=fr.BASE_TS + 200)))
    findings = diagnose_data(run, analysis)
    mismatch = next(f for f in findings if f.rule == "thread-mismatch")
    assert mismatch.evidence["emulated"] and mismatch.severity == "high"
    heads = {h.workload: h for h in headlines(run, analysis, findings,
                                               what_if_effects(run, analysis))}
    w = heads["w"]
    assert w.finding_id == "fixed-overhead:w"  # native causes first
    assert w.emulated_why.startswith("[busy] (emulated): n_jobs=None: each spark trial is "
                                     "10.0x faster than serial because it ran 1 thread(s)")
    assert ("; fix: pin the model's threads to spark.task.cpus (n_jobs=1) in both modes — not "
            "measured in this run: add cells with n_jobs=1") in w.emulated_why
    assert "[busy] (emulated)" not in heads["v"].emulated_why + heads["v"].why
    assert "emulated: busy" not in " ".join(headline_text(list(heads.values())))


def test_a_setup_that_already_fills_the_queue(tmp_path):
    """A scenario whose max_queue_len axis lists "parallelism" first: that is the setup, the
    queue of one is a fix of it (here a slower one), and the queue advice says the setup has
    it already."""
    from bench.analysis import analyze, load_run
    from bench.diagnosis.cure import advice

    run = load_run(fr.write_setup_run(tmp_path).path)
    run.manifest.grid["max_queue_len"] = ["parallelism", 1]
    analysis = analyze(run)
    findings = diagnose_data(run, analysis)
    (head,) = headlines(run, analysis, findings, what_if_effects(run, analysis))
    assert head.setup.startswith("stock SparkTrials, max_queue_len = parallelism, n_jobs=0")
    assert head.speedup == ("vs serial Trials [native]: 0.50× at p=1 (ideal 1×, n=1), 1.00× "
                            "at p=2 (ideal 2×, n=1)")
    assert ("public knob", "max_queue_len = 1",
            "p=2 8.00 s → 10.0 s (1.25× slower, 0.80× serial)") in head.fixes
    assert head.fix == "max_queue_len = parallelism — already the current setup"
    assert "fmin(..., max_queue_len=2) (already the current setup)." in advice(run, "sleep")


def test_effects_read_faster_slower_or_no_change():
    from bench.report.whatif import faster

    assert [faster(x) for x in (2.0, 0.5, 1.0004, float("nan"))] == [
        "2.00× faster", "2.00× slower", "no change, 1.00×", "no effect measured"]
