"""Diagnosis: rules over a run's measurements that say why the speedup is what it is."""
from __future__ import annotations

from pathlib import Path

from ..analysis import Analysis, RunData, analyze, load_run
from .finding import SEVERITIES, Finding
from .rules import AFTER_RULES, RULES
from .thresholds import THRESHOLDS


def _findings(run: RunData, analysis: Analysis | None = None) -> list[Finding]:
    """Every rule over one run's frames, with the advice attached (no support yet)."""
    from .cure import installed_only, with_advice

    installed = installed_only(run)
    if installed is not run:
        analysis = analyze(installed)
    analysis = analysis if analysis is not None else analyze(run)
    findings = [f for rule in RULES for f in rule(installed, analysis)]
    for rule in AFTER_RULES:
        findings += rule(installed, analysis, list(findings))
    return with_advice(findings, run)


def diagnose_data(run: RunData, analysis: Analysis | None = None) -> list[Finding]:
    """Every rule over one run's frames, most severe first (pure). Rules judge hyperopt as
    installed: cells of variants that modify it, and pool cells, are left out of them. Each
    finding records what it rests on (support.py): a finding seen in one cell of one repeat
    says so and is never high; with several repeats each repeat is diagnosed alone too."""
    from .support import with_support

    findings = with_support(_findings(run, analysis), run, _findings)
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.id))


def diagnose(path: str | Path) -> list[Finding]:
    return diagnose_data(load_run(path))


__all__ = ["Finding", "RULES", "THRESHOLDS", "diagnose", "diagnose_data"]
