"""The shapes to predict: comma lists of executors, cores, task cpus and parallelism.

One home for the option grammar (`--executors 4,8 --cores 4 --parallelism 8,16`), shared
by the command line and the report.
"""
from __future__ import annotations

import itertools

from ..errors import BenchError
from .simulate import Shape

#: Shapes predicted when none are given: 4-core executors, 1 to 64 of them.
DEFAULT_EXECUTORS = (1, 2, 4, 8, 16, 32, 64)
DEFAULT_CORES = (4,)
QUEUE_PARALLELISM = "parallelism"


def parse_ints(text: str | None, option: str) -> tuple[int, ...] | None:
    """'8,16,32' -> (8, 16, 32); None stays None. Positive whole numbers only."""
    if text is None:
        return None
    out = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) < 1:
            raise BenchError(f"{option} {text!r}: expected positive whole numbers separated by "
                             f"commas, e.g. {option} 8,16,32")
        out.append(int(part))
    if not out:
        raise BenchError(f"{option} {text!r}: no value given")
    return tuple(dict.fromkeys(out))


def parse_queue(text: str | None) -> int | None:
    """--max-queue-len N or 'parallelism' (0 in a Shape); None: the variant's default."""
    if text is None:
        return None
    if str(text).strip() == QUEUE_PARALLELISM:
        return 0
    value = parse_ints(text, "--max-queue-len")
    if len(value) != 1:
        raise BenchError(f"--max-queue-len {text!r}: give one number or 'parallelism'")
    return value[0]


def build_shapes(executors=None, cores=None, task_cpus=None, parallelism=None,
                 max_queue_len: int = 1) -> list[Shape]:
    """Every combination, smallest first; parallelism defaults to each shape's task slots."""
    executors = executors or DEFAULT_EXECUTORS
    cores = cores or DEFAULT_CORES
    task_cpus = task_cpus or (1,)
    shapes = []
    for e, c, tc in itertools.product(executors, cores, task_cpus):
        if tc > c:
            raise BenchError(f"--task-cpus {tc} is more than --cores {c}: an executor of {c} "
                             f"cores has no task slot for a task of {tc} cpus")
        for p in (parallelism or (0,)):
            shapes.append(Shape(e, c, tc, p, max_queue_len))
    return sorted(set(shapes), key=lambda s: (s.total_cores, s.slots, s.p, s.executors))
