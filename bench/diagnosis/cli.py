"""`python -m bench diagnose RESULTS [--json]`."""
from __future__ import annotations

import json

from . import THRESHOLDS, diagnose


def add_parser(sub):
    p = sub.add_parser("diagnose", help="explain a run's speedups: findings with evidence")
    p.add_argument("results", help="results folder, e.g. results/<run-id>")
    p.add_argument("--json", action="store_true", help="print findings as JSON")
    p.add_argument("--thresholds", action="store_true", help="print the rules' thresholds too")
    return p


def run(args) -> int:
    findings = diagnose(args.results)
    if args.json:
        print(json.dumps([f.to_dict() for f in findings], indent=2, default=str))
        return 0
    if not findings:
        print("no findings: no rule fired on this run's measurements")
    for f in findings:
        print(f"[{f.severity}] {f.id}\n  {f.summary}\n  evidence: "
              f"{json.dumps(f.evidence, default=str)}\n  do: {f.recommendation}\n")
    if args.thresholds:
        for name, (value, why) in THRESHOLDS.items():
            print(f"threshold {name} = {value}: {why}")
    return 0
