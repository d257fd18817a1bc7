"""`python -m bench report RESULTS_DIR [--out DIR]`: write the report, print its path last."""
from __future__ import annotations

import argparse
from pathlib import Path



def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "report", help="write reports/<run-id>/report.md with charts for a results folder",
        description="Analyse a results folder (finished or interrupted) and write report.md "
                    "with PNG charts beside it. Prints the report path as the last line.")
    parser.add_argument("run", type=Path, metavar="RESULTS_DIR",
                        help="a run folder, e.g. results/<run-id>")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="folder for report.md and charts (default: reports/<run-id> "
                             "beside results/)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from ..diagnosis import write_report  # the report always carries its findings

    path = write_report(args.run, args.out)
    print(path)
    return 0
