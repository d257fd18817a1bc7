"""build_report: results folder -> reports/<run-id>/report.md with its PNG charts.

The diagnosis module renders its findings by calling build_report(run, findings=[...]).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..analysis import Analysis, analyze, load_run, manifest_task_slots
from ..analysis.frames import RunData
from ..errors import BenchError
from . import captions, charts, cure, sections

REPORT_NAME = "report.md"


@dataclass
class ChartResult:
    key: str
    title: str
    filename: str
    path: Optional[Path]
    caption: str
    skipped: Optional[str]


def default_out_dir(run_path: Path) -> Path:
    """reports/<run-id> beside the results/ folder that holds the run."""
    run_path = Path(run_path).resolve()
    return run_path.parent.parent / "reports" / run_path.name


def _chart_specs(run: RunData, analysis: Analysis) -> list[tuple]:
    """(key, title, filename, draw(path), caption()) for the charts, in report order."""
    env = run.manifest.get("environment") or {}
    logical, physical = env.get("logical_cores"), env.get("physical_cores")
    slots = manifest_task_slots(run.manifest)
    timeline_cells = charts.pick_timeline_cells(run.cells)
    return [
        ("speedup", "Speedup vs parallelism", "speedup.png",
         lambda p: charts.plot_speedup(analysis.speedups, p),
         lambda: captions.speedup_caption(analysis.speedups)),
        ("objective", "Objective time per trial", "objective_time.png",
         lambda p: charts.plot_objective_times(run.trials, p),
         lambda: captions.objective_caption(run.trials)),
        ("latency", "Latency decomposition", "latency.png",
         lambda p: charts.plot_latency(analysis.latency, p),
         lambda: captions.latency_caption(analysis.latency)),
        ("timeline", "Timeline of one cell per mode", "timeline.png",
         lambda p: charts.plot_timeline(run.trials, run.cells, timeline_cells, p),
         lambda: captions.timeline_caption(run.trials, run.cells, timeline_cells,
                                           analysis.cell_concurrency, slots)),
        ("cores", "Effective cores per trial", "effective_cores.png",
         lambda p: charts.plot_effective_cores(run.trials, logical, physical, p),
         lambda: captions.effective_cores_caption(analysis.threads, logical)),
        ("loss", "Best loss vs evaluations", "best_loss.png",
         lambda p: charts.plot_best_loss(analysis.loss_curves, p),
         lambda: captions.best_loss_caption(analysis.final_loss)),
    ] + ([  # only runs that swept cluster shapes get the sizing chart
        ("sizing", "Wall time by cluster shape", "cluster_sizing.png",
         lambda p: charts.plot_cluster_sizing(analysis.sizing, p),
         lambda: captions.sizing_caption(analysis.sizing)),
    ] if len(analysis.sizing) else [])


def draw_charts(run: RunData, analysis: Analysis, out_dir: Path) -> list[ChartResult]:
    """Draw every chart that has data; a skipped chart's old PNG is removed, not left stale."""
    results = []
    for key, title, filename, draw, caption in _chart_specs(run, analysis):
        path = out_dir / filename
        try:
            draw(path)
            results.append(ChartResult(key, title, filename, path, caption(), None))
        except charts.NoData as why:
            path.unlink(missing_ok=True)
            results.append(ChartResult(key, title, filename, None, "", str(why)))
    return results


def render_markdown(run: RunData, analysis: Analysis, chart_results: list[ChartResult],
                    findings, extra_sections: Optional[list[str]] = None) -> str:
    m = run.manifest
    lines = sections.header(m, analysis)
    lines += sections.what_was_run(m, analysis)
    lines += sections.conditions(m, analysis)
    lines += sections.summary(analysis, sections.emulated_conditions(m))
    lines += sections.errors_section(analysis)
    lines += ["## Charts", ""]
    for c in chart_results:
        lines += sections.chart_block(c.title, c.filename, c.caption, c.skipped)
    lines += sections.findings_section(findings)
    lines += list(extra_sections or [])
    lines += sections.missing_section(analysis)
    lines += sections.environment(m)
    lines += sections.speedup_detail(analysis)
    lines += sections.latency_detail(analysis)
    lines += sections.concurrency_detail(analysis)
    lines += sections.threads_detail(analysis)
    lines += sections.sizing_detail(analysis)
    lines += sections.placement_detail(analysis)
    lines += sections.quality_detail(analysis)
    return "\n".join(lines).rstrip() + "\n"


def prediction_sections(run: RunData, analysis: Analysis, out: Path,
                        findings: Optional[list[dict]]) -> list[str]:
    """The model's check and cluster-sizing sections (bench.predict), with their chart."""
    from ..predict.report import markdown

    return markdown(run, analysis, out, findings)


def build_report(run_path, out_dir=None, findings: Optional[list[dict]] = None,
                 run: Optional[RunData] = None, analysis: Optional[Analysis] = None,
                 extra_sections: Optional[list[str]] = None) -> Path:
    """Analyse a results folder and write report.md plus PNG charts; return the report path.

    out_dir defaults to reports/<run-id> beside results/. `findings` are dicts
    {id, severity, summary, evidence, recommendation} from the diagnosis; None means no
    diagnosis was run. A caller that already has them passes `run` (bench.analysis.load_run)
    and `analysis` (bench.analysis.analyze of that run) so nothing is read or computed twice.
    `extra_sections` are Markdown lines placed after the findings (the diagnosis' what-ifs).
    """
    findings = sections.validate_findings(findings)
    run = run if run is not None else load_run(run_path)
    out = Path(out_dir) if out_dir is not None else default_out_dir(run.path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BenchError(f"{out}: cannot create report folder ({exc.strerror})")
    analysis = analysis if analysis is not None else analyze(run)
    chart_results = draw_charts(run, analysis, out)
    extra_sections = (cure.section(run, out) + list(extra_sections or [])
                      + prediction_sections(run, analysis, out, findings))
    path = out / REPORT_NAME
    path.write_text(render_markdown(run, analysis, chart_results, findings, extra_sections),
                    encoding="utf-8")
    return path
