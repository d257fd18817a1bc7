"""Expand a scenario's settings into cells: one fmin call each, in a seeded order.

Pure functions: the runner only executes what `expand` returns, so the plan is stored in the
manifest before anything runs and `--resume` can tell what is left.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator, Optional

from . import fixes, variant_table
from .keys import env_label
from .model import NATIVE


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
    condition: str = NATIVE
    order: int = 0
    cluster: Optional[str] = None
    variant: Optional[str] = None  # spark cells: see bench.variants
    #: thread environment variables the harness sets for this cell ({}: as inherited)
    thread_env_set: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def settings_key(self) -> tuple:
        """What makes cells comparable across repeats."""
        return (self.workload, self.mode, self.condition, self.parallelism,
                self.max_queue_len, self.n_jobs, self.max_evals, self.cluster, self.variant,
                env_label(self.thread_env_set))


def _env_slug(env: dict | None) -> str:
    return ".".join(f"{k.lower()}-{str(v).lower()}" for k, v in sorted((env or {}).items()))


def resolve_queue_len(value, parallelism: int) -> int:
    return parallelism if value == "parallelism" else int(value)


def cell_id(workload, mode, condition, parallelism, max_queue_len, n_jobs, max_evals, repeat,
            cluster=None, variant=None, thread_env=None) -> str:
    where = condition if mode == "serial" else f"p{parallelism}q{max_queue_len}"
    if mode == "pool":
        where = f"p{parallelism}"
    if variant and variant != "stock":
        where += f".{variant}"
    if cluster:
        where = f"{cluster.replace('/', '-')}.{where}"
    if thread_env:
        where = f"{where}.{_env_slug(thread_env)}"
    return f"{workload}.{mode}.{where}.nj{n_jobs}.e{max_evals}.r{repeat}"


def _thread_axis(workload: dict, n_jobs: list) -> list:
    """Thread settings that mean something for this workload (a custom objective gets None,
    a workload may name its own)."""
    from .workloads import accepts_n_jobs, builtin_of

    if "n_jobs" in workload:
        return list(workload["n_jobs"])
    if "objective" in workload:  # an own objective sweeps n_jobs only if it takes it
        return list(n_jobs) if accepts_n_jobs(workload["objective"]) else [None]
    return list(n_jobs) if builtin_of(workload) is not None else [None]


def _serial_cells(settings: dict, workload: dict, base: dict) -> Iterator[Cell]:
    """Serial cells: one per driver condition (native first, then the emulated ones)."""
    conditions = [NATIVE, *workload.get("conditions", settings.get("conditions", {}))]
    for cond in conditions:
        cid = cell_id(base["workload"], "serial", cond, None, 1, base["n_jobs"],
                      base["max_evals"], base["repeat"], thread_env=base["thread_env_set"])
        yield Cell(cid, "serial", parallelism=None, max_queue_len=1, condition=cond, **base)


def _spark_cells(settings: dict, base: dict) -> Iterator[Cell]:
    """SparkTrials cells: every cluster shape x parallelism x queue length x variant."""
    clusters = [c["label"] for c in settings.get("clusters", [])] or [None]
    for cluster, p, q_raw, v in itertools.product(clusters, settings["parallelism"],
                                                  settings["max_queue_len"],
                                                  settings.get("variants") or ["stock"]):
        q = variant_table.queue_len(v, resolve_queue_len(q_raw, p), p)
        cid = cell_id(base["workload"], "spark", NATIVE, p, q, base["n_jobs"],
                      base["max_evals"], base["repeat"], cluster, v, base["thread_env_set"])
        yield Cell(cid, "spark", parallelism=p, max_queue_len=q, cluster=cluster, variant=v,
                   **base)


def _pool_cells(settings: dict, base: dict) -> Iterator[Cell]:
    """Process-pool cells: one per parallelism (the pool has no queue to size)."""
    for p in settings["parallelism"]:
        cid = cell_id(base["workload"], "pool", NATIVE, p, p, base["n_jobs"],
                      base["max_evals"], base["repeat"], thread_env=base["thread_env_set"])
        yield Cell(cid, "pool", parallelism=p, max_queue_len=p, **base)


def cells_of_repeat(settings: dict, repeat: int) -> list[Cell]:
    """Every cell of one repeat, in declaration order, without duplicates: the product of
    the axes, or the current setup and its one-axis fixes (bench.fixes)."""
    out: dict[str, Cell] = {}
    for workload in settings["workloads"]:
        for part in fixes.variations(settings, workload,
                                     _thread_axis(workload, settings["n_jobs"])):
            sliced = {**settings, "parallelism": list(part.parallelism),
                      "max_queue_len": list(part.max_queue_len),
                      "variants": list(part.variants)}
            for n_jobs, max_evals, env in itertools.product(
                    part.n_jobs, settings["max_evals"], part.thread_env):
                base = dict(workload=workload["name"], n_jobs=n_jobs, max_evals=max_evals,
                            repeat=repeat, thread_env_set=dict(env))
                cells = []
                if "serial" in part.modes:
                    cells += _serial_cells(settings, workload, base)
                if "spark" in part.modes:
                    cells += _spark_cells(sliced, base)
                if "pool" in part.modes:
                    cells += _pool_cells(sliced, base)
                for cell in cells:
                    out.setdefault(cell.cell_id, cell)
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
        # the shapes themselves in a shuffled order; within a shape, spark cells of one
        # thread environment run together (spark.executorEnv is fixed per session)
        shapes = list(dict.fromkeys(c.cluster for c in block))
        rng.shuffle(shapes)
        envs = list(dict.fromkeys(env_label(c.thread_env_set) for c in block))
        rng.shuffle(envs)
        block.sort(key=lambda c: (shapes.index(c.cluster),
                                  envs.index(env_label(c.thread_env_set))))
        cells.extend(block)
    return [Cell(**{**c.to_dict(), "order": i}) for i, c in enumerate(cells)]


def session_key(cell: Cell) -> tuple:
    """What a spark cell needs from its session: the cluster shape (None: the run's own
    session) and the executors' thread environment. Serial cells fit any session."""
    return (cell.cluster, env_label(cell.thread_env_set) if cell.mode == "spark" else None)


def segments(cells: list[Cell]) -> list[tuple[Optional[str], list[Cell]]]:
    """Consecutive runs of cells that can share one session: same cluster shape (None: the
    run's own session) and, for spark cells, the same thread environment."""
    out: list = []
    key = None
    for cell in cells:
        k = session_key(cell)
        fits = out and out[-1][0] == cell.cluster and (
            k[1] is None or key[1] is None or k[1] == key[1])
        if fits:
            out[-1][1].append(cell)
            if k[1] is not None:
                key = k
        else:
            out.append((cell.cluster, [cell]))
            key = k
    return out


def count_cells(settings: dict) -> int:
    return len(cells_of_repeat(settings, 0)) * settings["repeats"]
