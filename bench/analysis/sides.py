"""The two sides of an A/B run (run --ab): which sides a run holds, and one side as a run of
its own, so every reader (compare's paired verdicts, the report's headline) sees each side
with the side axis cleared and the other side's cells gone."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .. import keys
from .frames import RunData


def sides_in(cells: pd.DataFrame) -> list[str]:
    """The A/B sides a run's cells hold, in order ('A', 'B'); [] outside an A/B run."""
    if not len(cells) or "side" not in cells.columns:
        return []
    return sorted({keys.side_label(v) for v in cells["side"]} - {""})


def side_of(run: RunData, side: str) -> RunData:
    """One side of an A/B run as a run of its own, the side axis cleared so both sides'
    configurations key alike (the cell ids keep their side)."""
    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        if not len(frame) or "side" not in frame.columns:
            return frame
        part = frame[frame["side"] == side].copy()
        part["side"] = ""
        return part

    cells = pick(run.cells)
    ids = set(cells["cell_id"]) if len(cells) else set()
    tasks = run.spark_tasks
    if len(tasks) and "cell_id" in tasks.columns:
        tasks = tasks[tasks["cell_id"].isin(ids)]
    m = run.manifest
    entry = m.ab_sides.get(side, {})
    software = entry.get("environment") or {}  # the side driver's own Python and packages
    manifest = replace(m, ab={side: entry}, environment={**m.environment_facts(), **software},
                       cells=[{**c, "side": None} for c in m.planned_cells
                              if c.get("side") == side])
    return replace(run, manifest=manifest, cells=cells, trials=pick(run.trials),
                   spark_tasks=tasks)
