"""build_report: results folder -> reports/<run-id>/report.md (and report.html) with its
PNG charts, from a list of section builders over one ReportContext.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from .. import redaction
from ..analysis import Analysis, analyze, load_run
from ..analysis.frames import RunData
from ..analysis.setup import setup_of
from ..diagnosis.finding import Finding
from ..analysis.whatif import what_if_effects
from ..errors import BenchError
from ..model import Manifest
from ..storage import default_out_dir  # noqa: F401  (bench.report exports it)
from . import (captions, charts, cure, headline, html, prediction, sections, speedup_chart,
               whatif)

REPORT_NAME = "report.md"
HTML_NAME = "report.html"


@dataclass
class ChartResult:
    key: str
    title: str
    filename: str
    path: Optional[Path]
    caption: str
    skipped: Optional[str]


def _chart_specs(run: RunData, analysis: Analysis) -> list[tuple]:
    """(key, title, filename, draw(path), caption()) for the charts, in report order."""
    m = run.manifest
    logical, physical, usable, slots = (m.logical_cores, m.physical_cores, m.usable_cores,
                                        m.task_slots)
    timeline_cells = charts.pick_timeline_cells(run.cells)
    setups = {w: setup_of(run.manifest, run.cells, w)  # each workload's current setup
              for w in sorted(set(run.cells["workload"]))} if len(run.cells) else {}
    return [
        ("speedup", "Speedup vs parallelism", "speedup.png",
         lambda p: speedup_chart.plot_speedup(analysis.speedups, analysis.walls, p, setups),
         lambda: captions.speedup_caption(analysis.speedups)),
        ("objective", "Objective time per trial", "objective_time.png",
         lambda p: charts.plot_objective_times(run.trials, p, setups),
         lambda: captions.objective_caption(run.trials)),
        ("latency", "Latency decomposition", "latency.png",
         lambda p: charts.plot_latency(analysis.latency, p, setups),
         lambda: captions.latency_caption(analysis.latency)),
        ("timeline", "Timeline of one cell per mode", "timeline.png",
         lambda p: charts.plot_timeline(run.trials, run.cells, timeline_cells, p),
         lambda: captions.timeline_caption(run.trials, run.cells, timeline_cells,
                                           analysis.cell_concurrency, slots)),
        ("cores", "Effective cores per trial", "effective_cores.png",
         lambda p: charts.plot_effective_cores(run.trials, logical, physical, usable, p,
                                            setups),
         lambda: captions.effective_cores_caption(analysis.threads, logical, usable)),
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


@dataclass
class ReportContext:
    """Everything a section builder may read: built once per report."""
    run: RunData
    analysis: Analysis
    findings: Optional[list[Finding]]
    effects: dict                    # measured what-ifs (bench.analysis.whatif)
    charts: list[ChartResult]
    headlines: list[headline.WorkloadHeadline]
    out: Path                        # the report folder (sections may write their own chart)

    @property
    def emulated(self) -> set[str]:
        return sections.emulated_conditions(self.run.manifest)


def _charts_section(ctx: ReportContext) -> list[str]:
    lines = ["## Charts", ""]
    for c in ctx.charts:
        lines += sections.chart_block(c.title, c.filename, c.caption, c.skipped)
    return lines


#: The report's sections in order, each a function of the context returning Markdown lines:
#: the answer first (headline, findings, what the fixes did), then charts, the detail tables,
#: and the appendix (what was run, machine). Add a section by adding its builder here.
SECTIONS: list[Callable[[ReportContext], list[str]]] = [
    lambda ctx: sections.header(ctx.run.manifest, ctx.analysis),
    lambda ctx: headline.headline_markdown(ctx.headlines),
    lambda ctx: sections.findings_section(ctx.findings),
    lambda ctx: whatif.what_if_section(ctx.effects, ctx.emulated),
    lambda ctx: cure.section(ctx.run, ctx.out),
    lambda ctx: sections.missing_section(ctx.analysis),
    lambda ctx: sections.errors_section(ctx.analysis),
    _charts_section,
    lambda ctx: prediction_section(ctx),
    lambda ctx: sections.summary(ctx.analysis, ctx.emulated),
    lambda ctx: sections.conditions(ctx.run.manifest, ctx.analysis),
    lambda ctx: sections.speedup_detail(ctx.analysis),
    lambda ctx: sections.latency_detail(ctx.analysis),
    lambda ctx: sections.concurrency_detail(ctx.analysis),
    lambda ctx: sections.threads_detail(ctx.analysis),
    lambda ctx: sections.sizing_detail(ctx.analysis),
    lambda ctx: sections.placement_detail(ctx.analysis),
    lambda ctx: sections.quality_detail(ctx.analysis, ctx.run.manifest),
    lambda ctx: sections.what_was_run(ctx.run.manifest, ctx.analysis),
    lambda ctx: sections.environment(ctx.run.manifest),
]


def prediction_section(ctx: ReportContext) -> list[str]:
    """The model's check and cluster-sizing sections (bench.predict), with their chart."""
    return prediction.markdown(ctx.run, ctx.analysis, ctx.out, ctx.findings)


def render_markdown(ctx: ReportContext) -> str:
    lines = [line for build in SECTIONS for line in build(ctx)]
    return "\n".join(lines).rstrip() + "\n"


@dataclass
class ReportFiles:
    """What build_report wrote: report.md and/or report.html, and the headline as text."""
    md: Optional[Path]
    html: Optional[Path]
    headline: list[str]
    markdown: str = ""               # the report's text (report.md's content)

    @property
    def path(self) -> Path:
        """The main file: report.md when written, else report.html."""
        return self.md if self.md is not None else self.html


FORMATS = ("md", "html")


def parse_formats(formats) -> tuple[str, ...]:
    """'md' | 'html' | 'both' or an iterable of 'md'/'html' -> a tuple in FORMATS order."""
    if isinstance(formats, str):
        formats = FORMATS if formats == "both" else (formats,)
    chosen = tuple(f for f in FORMATS if f in set(formats))
    unknown = set(formats) - set(FORMATS)
    if unknown or not chosen:
        raise BenchError(f"report format: expected md, html or both, got "
                         f"{', '.join(sorted(map(str, unknown))) or 'nothing'}")
    return chosen


def write_files(run_path, out_dir=None, findings: Optional[list[Finding]] = None,
                run: Optional[RunData] = None, analysis: Optional[Analysis] = None,
                formats=("md",)) -> ReportFiles:
    """Analyse a results folder and write the report in the chosen formats with its charts.

    out_dir defaults to reports/<run-id> beside results/. `findings` are the diagnosis'
    Finding objects; None means no diagnosis was run. A caller that already has them passes
    `run` (bench.analysis.load_run) and `analysis` (bench.analysis.analyze of that run) so
    nothing is read or computed twice.
    """
    formats = parse_formats(formats)
    findings = sections.validate_findings(findings)
    run = run if run is not None else load_run(run_path)
    # a folder written before secrets were redacted on disk is redacted here
    run = dataclasses.replace(run, manifest=Manifest.read(redaction.tree(run.manifest.to_dict())))
    out = Path(out_dir) if out_dir is not None else default_out_dir(run.path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BenchError(f"{out}: cannot create report folder ({exc.strerror})")
    analysis = analysis if analysis is not None else analyze(run)
    effects = what_if_effects(run, analysis)
    heads = headline.headlines(run, analysis, findings, effects)
    ctx = ReportContext(run, analysis, findings, effects, draw_charts(run, analysis, out), heads,
                        out)
    text = redaction.text(render_markdown(ctx))
    md_path = html_path = None
    if "md" in formats:
        md_path = out / REPORT_NAME
        md_path.write_text(text, encoding="utf-8")
    if "html" in formats:
        html_path = out / HTML_NAME
        title = f"SparkTrials benchmark report: {run.run_id}"
        html_path.write_text(html.render_document(text, out, title), encoding="utf-8")
    return ReportFiles(md_path, html_path,
                       [redaction.text(line) for line in headline.headline_text(heads)], text)


def build_report(run_path, out_dir=None, findings: Optional[list[Finding]] = None,
                 run: Optional[RunData] = None, analysis: Optional[Analysis] = None,
                 formats=("md",)) -> Path:
    """write_files, returning the main report path (report.md unless only html is asked)."""
    return write_files(run_path, out_dir, findings, run, analysis, formats).path
