"""The report on synthetic results folders: files, charts, values, gaps, findings, CLI."""
from __future__ import annotations

import argparse
import json
import re
import statistics

import matplotlib.image as mpimg
import pytest

from bench.diagnosis import Finding
from bench.errors import BenchError
from bench.report import build_report, default_out_dir, write_report_files
from bench.report import cli as report_cli
from bench.report.build import REPORT_NAME
from bench.storage import write_json
from tests import fixture_records as fr

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHARTS = ["speedup.png", "objective_time.png", "latency.png", "timeline.png",
          "effective_cores.png", "best_loss.png"]


@pytest.fixture(scope="module")
def known_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    folder = fr.write_known_run(root)
    path = build_report(folder.path)
    return folder, path, path.read_text(encoding="utf-8")


def table_row(text: str, first_cell: str) -> list[str]:
    """Cells of the first Markdown table row that starts with `first_cell`."""
    for line in text.splitlines():
        if line.startswith(f"| {first_cell} |"):
            return [c.strip() for c in line.strip("|").split("|")]
    raise AssertionError(f"no table row starting with {first_cell!r}")


def section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    rest = text[start + 3:]
    end = rest.find("\n## ")
    return rest if end < 0 else rest[:end]


def test_report_goes_to_reports_beside_results(known_report):
    folder, path, _ = known_report
    assert path == default_out_dir(folder.path) / REPORT_NAME
    assert path.parent == folder.path.parent.parent / "reports" / folder.run_id


def test_every_chart_is_a_readable_png(known_report):
    _, path, text = known_report
    for name in CHARTS:
        png = path.parent / name
        assert png.read_bytes()[:8] == PNG_SIGNATURE, name
        image = mpimg.imread(png)
        assert image.shape[0] > 100 and image.shape[1] > 100, name
        assert f"]({name})" in text, f"{name} not embedded"


def test_summary_values_match_the_records(known_report):
    folder, _, text = known_report
    cells = [json.loads(line) for line in folder.cells_path.read_text().splitlines()]
    walls = [c["wall_s"] for c in cells if c["mode"] == "serial"
             and c["condition"] == "native"]
    serial = table_row(section(text, "Summary per workload"), "serial")
    assert serial[2].startswith(f"{statistics.median(walls):.2f} (")
    assert serial[3] == "12 of 12"
    trials = [json.loads(line) for line in folder.trials_path.read_text().splitlines()]
    objective = statistics.median(t["objective_s"] for t in trials if t["mode"] == "serial")
    latency = table_row(section(text, "Per-trial latency split"), "sleep | serial")
    assert latency[5].startswith(f"{objective:.2f} (")
    speedup = table_row(section(text, "Speedup against every serial condition"),
                        "sleep | spark p=2 | serial")
    assert speedup[5].startswith("2.00× (") and speedup[7] == "1.00"  # efficiency
    threads = table_row(section(text, "Cores and threads per trial"), "sleep | spark p=2")
    assert threads[2] == "1.00"  # effective cores


def test_each_table_has_one_place(known_report):
    """Speedups, per-trial medians and cores are not repeated in the summary."""
    _, _, text = known_report
    summary = section(text, "Summary per workload")
    header = next(line for line in summary.splitlines() if line.startswith("| configuration"))
    assert header == "| configuration | cells | fmin wall, s (interval, n) | trials ok |"
    assert text.count("| speedup (interval, n) |") == 1


def test_emulated_condition_is_stated(known_report):
    _, _, text = known_report
    assert "| serial [busy_driver] (emulated) |" in text
    conditions = section(text, "Native and emulated results")
    assert "**busy_driver** ran on an **emulated** driver" in conditions
    assert "| busy_driver | emulated |" in conditions


def test_captions_are_computed_from_data(known_report):
    _, _, text = known_report
    assert "trials spent 38% of their latency before the objective started" in text
    assert "best 2.67× (range " in text and ", n=3) at parallelism" in text  # 3 repeats
    assert "the host has 2 logical cores" in text


def test_speedup_detail_and_latency_tables(known_report):
    _, _, text = known_report
    detail = section(text, "Speedup against every serial condition")
    p4 = [line for line in detail.splitlines() if line.startswith("| sleep | spark p=4 | serial |")]
    # efficiency and Karp–Flatt with p = ideal (2 slots), not the parallelism 4
    assert len(p4) == 1 and "| 2.67× (" in p4[0] and "| 1.33 | -0.25 |" in p4[0]
    latency = section(text, "Per-trial latency split")
    assert "| sleep | spark p=2 | 12 | 0.25 (12%) | 0.50 (25%) | 1.00 (50%) |" in latency
    assert "python_start_s" in latency


def test_no_diagnosis_says_how_to_run_one(known_report):
    _, _, text = known_report
    findings = section(text, "Findings")
    assert "No diagnosis was run" in findings and "python -m bench diagnose" in findings
    assert "## Missing data" not in text


def test_findings_are_rendered(tmp_path):
    folder = fr.write_known_run(tmp_path)
    findings = [Finding(id="dispatch-loop", rule="dispatch-loop", severity="high",
                        summary="One-second polling caps launches at one per second",
                        evidence={"queue_wait_s": 1.5, "parallelism": 2,
                                  "serial": {"effective_cores": 1.96}},
                        recommendation="Set max_queue_len to the parallelism."),
                Finding(id="threads", rule="threads", severity="low",
                        summary="Executors run 1 thread")]
    text = build_report(folder.path, out_dir=tmp_path / "out", findings=findings).read_text()
    part = section(text, "Findings")
    assert "### [HIGH] dispatch-loop: One-second polling caps launches" in part
    # the label people read with its unit, the value, the machine key beside them
    assert "| evidence | value | key |" in part
    assert "| wait in the queue (s) | 1.50 | `queue_wait_s` |" in part
    assert "| serial: cores kept busy (cores) | 1.96 | `serial.effective_cores` |" in part
    assert "**Fix:** Set max_queue_len to the parallelism." in part
    assert "### [LOW] threads: Executors run 1 thread" in part
    assert "No diagnosis was run" not in text


def test_diagnosis_can_pass_its_run_and_analysis(tmp_path):
    from bench.analysis import analyze, load_run
    folder = fr.write_known_run(tmp_path)
    run = load_run(folder.path)
    analysis = analyze(run)
    analysis.walls.loc[analysis.walls["setting"] == "serial", "wall_median_s"] = 12.5
    text = build_report(folder.path, out_dir=tmp_path / "out", run=run,
                        analysis=analysis).read_text()
    assert table_row(section(text, "Summary per workload"), "serial")[2].startswith("12.5")


def test_empty_findings_say_nothing_was_found(tmp_path):
    folder = fr.write_known_run(tmp_path)
    text = build_report(folder.path, out_dir=tmp_path / "out", findings=[]).read_text()
    assert "The diagnosis ran and found nothing to report." in text


@pytest.mark.parametrize("findings,message", [
    ("oops", "findings: expected a list"),
    ([Finding(id="x", rule="x", severity="low", summary="")], r"findings\[0\]: missing 'summary'"),
    ([{"id": "x", "summary": "y"}], r"findings\[0\]: expected a Finding, got dict"),
    ([Finding(id="x", rule="x", severity="low", summary="s", evidence={"wait_s": 1.0})],
     r"findings\[0\] \(x\): evidence key 'wait_s' has no declared unit"),
])
def test_bad_findings_name_the_problem(tmp_path, findings, message):
    folder = fr.write_known_run(tmp_path)
    with pytest.raises(BenchError, match=message):
        build_report(folder.path, out_dir=tmp_path / "out", findings=findings)


@pytest.mark.parametrize("torn", ["cells", "trials"])
def test_interrupted_run_renders_and_names_the_gap(tmp_path, torn):
    folder = fr.write_known_run(tmp_path, extra_planned=2)
    cell = fr.interrupt_run(folder, torn=torn)
    path = build_report(folder.path)
    text = path.read_text()
    assert "This run is incomplete" in text
    gap = section(text, "Missing data")
    assert "**2 of 14 planned cells did not finish**" in gap
    assert f"`{cell['cell_id']}`" in gap
    torn_file = f"{torn}.jsonl"
    lines = len((folder.path / torn_file).read_text().splitlines())
    assert f"`{torn_file}`: 1 unreadable line(s) skipped (line {lines})" in gap
    assert "Run status in the manifest: **interrupted**" in gap
    assert "sleep spark, parallelism 8 [native]: 2 cell(s)" in gap
    for name in CHARTS:
        assert (path.parent / name).read_bytes()[:8] == PNG_SIGNATURE


def test_serial_only_run_skips_spark_charts_with_a_reason(tmp_path):
    plan = [c for c, _ in fr.known_plan("serial-only") if c["mode"] == "serial"]
    folder = fr.write_known_run(tmp_path, run_id="serial-only")
    # keep the serial cells only: rewrite the folder's files without spark lines
    for name in ("cells.jsonl", "trials.jsonl"):
        p = folder.path / name
        kept = [line for line in p.read_text().splitlines() if '"mode": "spark"' not in line]
        p.write_text("\n".join(kept) + "\n")
    (folder.path / "spark_tasks.jsonl").unlink()
    write_json(folder.manifest_path, {**folder.manifest(), "cells": plan})
    path = build_report(folder.path)
    text = path.read_text()
    assert "*Chart skipped: no spark configuration has a finished serial counterpart" in text
    assert not (path.parent / "speedup.png").exists()
    assert (path.parent / "objective_time.png").exists()
    assert "no spark_tasks.jsonl records joined" in text


def test_run_without_cells_still_reports(tmp_path):
    plan = [c for c, _ in fr.known_plan("empty")]
    from bench.storage import RunFolder
    folder = RunFolder(tmp_path / "results" / "empty").create(
        fr.manifest("empty", plan, status="running"))
    text = build_report(folder.path).read_text()
    assert "0 of 12 planned cells finished" in text
    assert "No cell has finished yet." in text
    assert text.count("*Chart skipped:") == 6
    assert "**12 of 12 planned cells did not finish**" in text


def test_rebuild_removes_a_chart_that_lost_its_data(tmp_path):
    folder = fr.write_known_run(tmp_path)
    out = tmp_path / "out"
    build_report(folder.path, out_dir=out)
    assert (out / "speedup.png").exists()
    for name in ("cells.jsonl", "trials.jsonl"):
        p = folder.path / name
        kept = [line for line in p.read_text().splitlines() if '"mode": "spark"' not in line]
        p.write_text("\n".join(kept) + "\n")
    build_report(folder.path, out_dir=out)
    assert not (out / "speedup.png").exists()


def test_cli_prints_the_report_path_last(tmp_path, capsys):
    folder = fr.write_known_run(tmp_path)
    parser = argparse.ArgumentParser()
    report_cli.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", str(folder.path), "--out", str(tmp_path / "o")])
    assert args.func(args) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == str(tmp_path / "o" / REPORT_NAME)


def test_bench_cli_report_command(tmp_path, capsys):
    from bench.cli import main
    folder = fr.write_known_run(tmp_path)
    assert main(["report", str(folder.path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.endswith(f"reports/{folder.run_id}/report.md")
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert re.search(r"error: .*missing: no such results folder", capsys.readouterr().err)


@pytest.mark.spark
def test_report_of_a_real_smoke_run(spark, tmp_path):
    from bench import runner
    from tests.conftest import SCENARIOS
    run_path = runner.run(SCENARIOS / "smoke.py", spark=spark, results_dir=tmp_path / "results",
                          quiet=True)
    files = write_report_files(run_path)
    path = files.md
    text = path.read_text()
    assert files.html.is_file() and text.index("## Headline") < text.index("## Findings")
    assert [line.split()[0] for line in files.headline if not line.startswith(" ")] == [
        "rf", "sleep"]
    assert all(" setup: stock SparkTrials, max_queue_len = parallelism" in line
               for line in files.headline
               if not line.startswith(" "))
    assert sum(line.strip().startswith("vs serial Trials [native]: ")
               for line in files.headline) == 2  # one line per workload
    assert "4 of 4 planned cells finished" in text
    for name in CHARTS:
        assert (path.parent / name).read_bytes()[:8] == PNG_SIGNATURE, name
    for workload in ("sleep", "rf"):
        row = table_row(section(text, "Speedup against every serial condition"),
                        f"{workload} | spark p=2")
        speedup = re.match(r"^(\d+\.\d+)×", row[5])
        assert speedup and float(speedup.group(1)) > 0, row
        row = table_row(section(text, "Per-trial latency split"), f"{workload} | spark p=2")
        assert float(row[5].split()[0]) > 0  # median objective seconds
    assert "## Missing data" not in text


def test_effective_cores_caption_names_the_usable_cores_under_a_quota():
    import pandas as pd

    from bench.report.captions import effective_cores_caption

    threads = pd.DataFrame([{"workload": "lgbm", "setting": "serial", "mode": "serial",
                             "effective_cores_median": 1.9}])
    quota = effective_cores_caption(threads, 64, 2)
    assert "the host has 64 logical cores, of which this process may keep 2 busy" in quota
    assert "keep" not in effective_cores_caption(threads, 2, 2)  # no quota: nothing to add
