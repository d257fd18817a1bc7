"""On how many cells and repeats a finding rests, and whether it held in each repeat.

A finding measured on one cell of one repeat is one sample: the same configuration in the
next run can say otherwise (the spin-wait collapse flips between regimes). Such a finding
says so in its text and is never high. Where a run has several repeats, every repeat is
diagnosed on its own as well, and each finding records the repeats it held in.

The cells a finding rests on are those of its configuration (the axes it names; those it
pooled left free) and of the configurations it covers (its `covers` filters: both sides of a
comparison); with neither, its workload's, else the whole run's.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import pandas as pd

from ..analysis import RunData
from .common import same
from .cure import installed_only
from .finding import Finding

#: Rules that judge the repeats together (they need repeated cells to fire at all): held
#: per repeat means nothing for them.
POOLED_RULES = ("search-quality",)


def _filters(f: Finding) -> list[dict]:
    """Its configuration and every configuration it covers (a comparison covers both sides:
    thread-mismatch the serial cells and the spark ones)."""
    out = [dict(f.configuration)] if f.configuration else []
    out += [{k: v for k, v in flt.items() if k != "gap"} for flt in f.covers or []]
    if out:
        return out
    return [{"workload": f.workload}] if f.workload is not None else [{}]


def cells_of(f: Finding, cells: pd.DataFrame) -> pd.DataFrame:
    """The cells of the configuration(s) the finding is about."""
    if not len(cells):
        return cells
    hit = pd.Series(False, index=cells.index)
    for flt in _filters(f):
        cols = [k for k in flt if k in cells.columns]
        hit |= cells.apply(lambda row: all(same(row[k], flt[k]) for k in cols), axis=1)
    return cells[hit]


def one_repeat(run: RunData, repeat) -> RunData:
    """The run as if it had held only this repeat (cells, trials, tasks and the plan)."""
    cells = run.cells[run.cells["repeat"] == repeat]
    ids = set(cells["cell_id"])
    tasks = run.spark_tasks
    if len(tasks) and "cell_id" in tasks:
        tasks = tasks[tasks["cell_id"].isin(ids)]
    planned = [c for c in run.manifest.planned_cells if c.get("repeat") == repeat]
    return dataclasses.replace(run, cells=cells,
                               trials=run.trials[run.trials["cell_id"].isin(ids)],
                               spark_tasks=tasks,
                               manifest=dataclasses.replace(run.manifest, cells=planned))


def _held_by_repeat(run: RunData, repeats: list,
                    findings_of: Callable[[RunData], list]) -> dict:
    if len(repeats) < 2:
        return {}
    return {r: {f.id for f in findings_of(one_repeat(run, r))} for r in repeats}


def _one_sample_text(summary: str) -> str:
    return summary + " (seen in one cell of one repeat: one sample; repeat the run to confirm)"


def with_support(findings: list[Finding], run: RunData,
                 findings_of: Callable[[RunData], list]) -> list[Finding]:
    """Each finding with its support; one resting on a single cell says so and is capped at
    medium. `findings_of` diagnoses a run (used on each repeat alone). Cells are counted
    among those the rules judge (installed hyperopt: cure.installed_only)."""
    if not len(run.cells) or "repeat" not in run.cells:
        return findings
    repeats = sorted(pd.unique(run.cells["repeat"].dropna()).tolist())
    held = _held_by_repeat(run, repeats, findings_of)
    judged = installed_only(run).cells
    out = []
    for f in findings:
        cells = cells_of(f, judged)
        reps = sorted(pd.unique(cells["repeat"].dropna()).tolist())
        if f.rule in POOLED_RULES:
            held_in = None
        elif held:
            held_in = [r for r in reps if f.id in held.get(r, ())]
        else:
            held_in = list(reps)
        support = {"cells": int(len(cells)), "repeats": [int(r) for r in reps],
                   "held_in": None if held_in is None else [int(r) for r in held_in]}
        summary, severity = f.summary, f.severity
        if len(cells) == 1:
            summary = _one_sample_text(summary)
            severity = "medium" if severity == "high" else severity
        elif held_in is not None and len(reps) > 1 and len(held_in) < len(reps):
            summary += f" (held in {len(held_in)} of {len(reps)} repeats)"
        out.append(dataclasses.replace(f, summary=summary, severity=severity, support=support))
    return out
