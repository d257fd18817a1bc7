"""The report: the answer first (headline, findings, what the fixes did), then charts, detail
tables and an appendix — as report.md and a self-contained report.html.

`write_report(run_path, out_dir=None, formats="both")` diagnoses a results folder and writes
the report, returning its path (`write_report_files` also returns the headline: what the
`report` command and `run --report` print); `build_report` writes it from findings a caller
already has; `show(run_path)` displays it inside a notebook.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..analysis import analyze, load_run
from ..diagnosis import diagnose_data
from .build import (FORMATS, HTML_NAME, REPORT_NAME, ReportFiles, build_report, default_out_dir,
                    write_files)
from .html import render_fragment


def write_report_files(run_path, out_dir=None, formats="both") -> ReportFiles:
    """Read the run once, diagnose it, write the report with its findings and what-ifs.

    formats: "md", "html", "both" (default) or a list of "md"/"html". Returns the files
    written and the headline as text lines (`.path` is report.md, or report.html alone).
    """
    run = load_run(run_path)
    analysis = analyze(run)
    return write_files(run.path, out_dir, findings=diagnose_data(run, analysis), run=run,
                       analysis=analysis, formats=formats)


def write_report(run_path, out_dir=None, formats="both") -> Path:
    """write_report_files, returning the main report path (report.md unless html only)."""
    return write_report_files(run_path, out_dir, formats).path


def _notebook_display():
    """Databricks' displayHTML or IPython's display(HTML(...)) when running in a notebook."""
    import __main__

    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    user_ns = getattr(shell, "user_ns", {}) or {}
    display_html = user_ns.get("displayHTML") or getattr(__main__, "displayHTML", None)
    if callable(display_html):
        return display_html
    if shell is not None and type(shell).__name__ != "TerminalInteractiveShell":
        from IPython.display import HTML, display

        return lambda text: display(HTML(text))
    return None


def show(run_path, out_dir=None) -> Optional[Path]:
    """Write the HTML report and display it inline in a notebook (Jupyter or Databricks).

    Returns None when it was displayed, else the report.html path to open in a browser.
    """
    files = write_report_files(run_path, out_dir, formats="html")
    display = _notebook_display()
    if display is None:
        return files.html
    markdown_text = files.markdown
    display(render_fragment(markdown_text, files.html.parent))
    return None


__all__ = ["FORMATS", "HTML_NAME", "REPORT_NAME", "ReportFiles", "build_report",
           "default_out_dir", "show", "write_files", "write_report", "write_report_files"]
