"""Which two sides an A/B run compares, and the order their cells run in. Pure functions.

A side is a stack name (`current`: the running environment, no build) or the path of a
second scenario file whose grid expands to the same cells; that side runs on the other
side's stack. Every repeat block holds each cell of A next to its twin in B; which side
goes first alternates from one twin pair to the next, starting on a seeded side per block,
so neither side always runs right after the other's cells (or always first after a pause).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import BenchError

#: The stack name of the environment bench runs in now (no venv to build).
CURRENT = "current"
SIDES = ("A", "B")


@dataclass(frozen=True)
class SideSpec:
    """One side: the stack its driver runs in and the scenario file it runs."""

    name: str          # 'A' or 'B'
    stack: str         # a stack name, or CURRENT
    scenario: str      # path of the scenario file

    def to_dict(self) -> dict:
        return {"side": self.name, "stack": self.stack, "scenario": self.scenario}


def _is_scenario(text: str) -> bool:
    return text.endswith(".py") or "/" in text or Path(text).is_file()


def parse_ab(text: str, scenario: str) -> tuple[SideSpec, SideSpec]:
    """`--ab A,B` with the run's scenario -> the two sides. A scenario path takes the other
    side's stack; two scenario paths (or none of either) are refused with one line."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2 or not all(parts):
        raise BenchError(f"--ab {text!r}: expected two sides separated by a comma, e.g. "
                         "--ab current,current or --ab may2022,current or "
                         "--ab current,new_objective.py")
    files = [_is_scenario(p) for p in parts]
    if all(files):
        raise BenchError(f"--ab {text!r}: at most one side may be a scenario file (the other "
                         "names the stack both run on)")
    for part, is_file in zip(parts, files):
        if is_file and not Path(part).is_file():
            raise BenchError(f"--ab {text!r}: {part}: no such scenario file")
    a, b = parts
    if files[0]:
        return SideSpec("A", b, a), SideSpec("B", b, scenario)
    if files[1]:
        return SideSpec("A", a, scenario), SideSpec("B", a, b)
    return SideSpec("A", a, scenario), SideSpec("B", b, scenario)


def side_cell_id(cell_id: str, side: str) -> str:
    """A cell's id on one side: its twin has the same id with the other side's letter."""
    return f"{cell_id}.{side}"


def twins_of(cells: list, other: list, where: str) -> None:
    """Refuse two grids that do not expand to the same cells (same ids, same order)."""
    a, b = [c.cell_id for c in cells], [c.cell_id for c in other]
    if a != b:
        extra = sorted(set(a) ^ set(b))
        what = f"cells in one only: {', '.join(extra[:3])}" if extra else "same cells, other order"
        raise BenchError(f"{where}: the two sides' grids differ ({what}); an A/B run needs "
                         "the same cells on both sides")


def refuse_clusters(settings: dict, where: str) -> None:
    if settings.get("clusters"):
        raise BenchError(f"{where}: clusters: --ab runs on each side's own local session; a "
                         "scenario with cluster shapes cannot run as an A/B run")


def interleave(cells: list, seed: int) -> list:
    """The A/B plan from one side's planned cells (grid.expand order): per repeat block each
    cell followed or preceded by its twin, the first side alternating from pair to pair
    (seeded per block). Cells come back tagged with `side`, ids suffixed, `order` renumbered."""
    blocks: dict[int, list] = {}
    for cell in cells:
        blocks.setdefault(cell.repeat, []).append(cell)
    out = []
    for repeat in sorted(blocks):
        first = random.Random(seed * 1_000_003 + 7919 * (repeat + 1)).randrange(2)
        for i, cell in enumerate(blocks[repeat]):
            order = SIDES if (first + i) % 2 == 0 else SIDES[::-1]
            out += [replace(cell, side=s, cell_id=side_cell_id(cell.cell_id, s)) for s in order]
    return [replace(c, order=i) for i, c in enumerate(out)]
