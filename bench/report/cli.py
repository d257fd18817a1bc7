"""`python -m bench report RESULTS_DIR [--out DIR] [--format md|html|both]`: diagnose and write
the report, print its headline, then its path(s) — report.md (when written) last."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report", help="write reports/<run-id>/report.md and report.html for a results folder",
        description="Analyse and diagnose a results folder (finished or interrupted) and write "
                    "report.md with PNG charts beside it and a self-contained report.html. "
                    "Prints the headline, then the report path as the last line.")
    parser.add_argument("run", type=Path, metavar="RESULTS_DIR",
                        help="a run folder, e.g. results/<run-id>")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="folder for the report and charts (default: reports/<run-id> "
                             "beside results/)")
    parser.add_argument("--format", default="both", choices=("md", "html", "both"),
                        help="report.md, report.html or both (default)")
    parser.set_defaults(func=run)
    return parser


def print_report(files) -> None:
    """The headline, a blank line, report.html, then the main path last."""
    for line in files.headline:
        print(line)
    if files.headline:
        print()
    if files.html is not None and files.md is not None:
        print(files.html)
    print(files.path)


def run(args: argparse.Namespace) -> int:
    from . import write_report_files

    print_report(write_report_files(args.run, args.out, formats=args.format))
    return 0
