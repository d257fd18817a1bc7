"""Expand a scenario's settings into cells: one fmin call each, in a seeded order.

Pure functions: the runner only executes what `expand` returns, so the plan is stored in the
manifest before anything runs and `--resume` can tell what is left.
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any, Optional

from . import variants


@dataclass(frozen=True)
class Cell:
    """One planned fmin call."""

    cell_id: str
    mode: str
    workload: str
    parallelism: Optional[int]
    max_queue_len: int
    n_jobs: Any
    max_evals: int
    repeat: int
    condition: str = "native"
    order: int = 0
    cluster: Optional[str] = None
    variant: Optional[str] = None  # spark cells: see bench.variants

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def settings_key(self) -> tuple:
        """What makes cells comparable across repeats."""
        return (self.workload, self.mode, self.condition, self.parallelism,
                self.max_queue_len, self.n_jobs, self.max_evals, self.cluster, self.variant)


def resolve_queue_len(value, parallelism: int) -> int:
    return parallelism if value == "parallelism" else int(value)


def cell_id(workload, mode, condition, parallelism, max_queue_len, n_jobs, max_evals, repeat,
            cluster=None, variant=None) -> str:
    where = condition if mode == "serial" else f"p{parallelism}q{max_queue_len}"
    if mode == "pool":
        where = f"p{parallelism}"
    if variant and variant != "stock":
        where += f".{variant}"
    if cluster:
        where = f"{cluster.replace('/', '-')}.{where}"
    return f"{workload}.{mode}.{where}.nj{n_jobs}.e{max_evals}.r{repeat}"


def _thread_axis(workload: dict, n_jobs: list) -> list:
    """Thread settings that mean something for this workload (a custom objective gets None,
    a workload may name its own)."""
    if "n_jobs" in workload:
        return list(workload["n_jobs"])
    if "objective" in workload:  # an own objective sweeps n_jobs only if it takes it
        from .workloads import accepts_n_jobs

        return list(n_jobs) if accepts_n_jobs(workload["objective"]) else [None]
    builtin = workload.get("builtin", workload["name"])  # 'sleep_0.2s' runs the sleep workload
    return list(n_jobs) if builtin in ("rf", "lgbm", "sleep") else [None]


def cells_of_repeat(settings: dict, repeat: int) -> list[Cell]:
    """Every cell of one repeat, in declaration order, without duplicates."""
    out: dict[str, Cell] = {}
    for workload in settings["workloads"]:
        conditions = ["native", *workload.get("conditions", settings.get("conditions", {}))]
        for n_jobs in _thread_axis(workload, settings["n_jobs"]):
            for max_evals in settings["max_evals"]:
                base = dict(workload=workload["name"], n_jobs=n_jobs, max_evals=max_evals,
                            repeat=repeat)
                if "serial" in settings["modes"]:
                    for cond in conditions:
                        cid = cell_id(workload["name"], "serial", cond, None, 1, n_jobs,
                                      max_evals, repeat)
                        out.setdefault(cid, Cell(cid, "serial", parallelism=None,
                                                 max_queue_len=1, condition=cond, **base))
                if "spark" in settings["modes"]:
                    clusters = [c["label"] for c in settings.get("clusters", [])] or [None]
                    for cluster in clusters:
                        for p in settings["parallelism"]:
                            for q_raw in settings["max_queue_len"]:
                                for v in settings.get("variants") or ["stock"]:
                                    q = variants.queue_len(v, resolve_queue_len(q_raw, p), p)
                                    cid = cell_id(workload["name"], "spark", "native", p, q,
                                                  n_jobs, max_evals, repeat, cluster, v)
                                    out.setdefault(cid, Cell(cid, "spark", parallelism=p,
                                                             max_queue_len=q, cluster=cluster,
                                                             variant=v, **base))
                if "pool" in settings["modes"]:
                    for p in settings["parallelism"]:
                        cid = cell_id(workload["name"], "pool", "native", p, p, n_jobs,
                                      max_evals, repeat)
                        out.setdefault(cid, Cell(cid, "pool", parallelism=p, max_queue_len=p,
                                                 **base))
    return list(out.values())


def expand(settings: dict) -> list[Cell]:
    """All cells of all repeats. Each repeat is shuffled with its own seed so that slow drift
    of the machine (warm caches, a neighbour's load) does not always favour one mode."""
    cells: list[Cell] = []
    for repeat in range(settings["repeats"]):
        block = cells_of_repeat(settings, repeat)
        rng = random.Random(settings["seed"] * 1_000_003 + repeat)
        rng.shuffle(block)
        # cells of one cluster shape run together (a cluster starts once per repeat),
        # the shapes themselves in a shuffled order
        shapes = list(dict.fromkeys(c.cluster for c in block))
        rng.shuffle(shapes)
        block.sort(key=lambda c: shapes.index(c.cluster))
        cells.extend(block)
    return [Cell(**{**c.to_dict(), "order": i}) for i, c in enumerate(cells)]


def segments(cells: list[Cell]) -> list[tuple[Optional[str], list[Cell]]]:
    """Consecutive runs of cells sharing a cluster shape (None: the run's own session)."""
    out: list = []
    for cell in cells:
        if out and out[-1][0] == cell.cluster:
            out[-1][1].append(cell)
        else:
            out.append((cell.cluster, [cell]))
    return out


def count_cells(settings: dict) -> int:
    return len(cells_of_repeat(settings, 0)) * settings["repeats"]
