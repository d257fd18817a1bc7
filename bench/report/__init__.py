"""The report: Markdown with PNG charts, the at-a-glance view of one run.

`build_report(run_path, out_dir=None, findings=None) -> Path` is the entry point; the
`report` CLI command (bench.report.cli) and the diagnosis both call it.
"""
from .build import build_report, default_out_dir

__all__ = ["build_report", "default_out_dir"]
