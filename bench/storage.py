"""Results on disk: one folder per run, append-only JSON lines flushed after every cell.

Like hyperfine, a crash loses at most the unit of work in flight. Reading is tolerant: a
line cut off by a kill is skipped and reported, never fatal, so partial runs stay readable.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from .errors import BenchError

MANIFEST = "manifest.json"
TRIALS = "trials.jsonl"
CELLS = "cells.jsonl"
SPARK_TASKS = "spark_tasks.jsonl"
EVENTLOG_DIR = "eventlog"


def _clean(value):
    """JSON has no NaN/inf: write them as null so every reader can parse the line."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def dumps(obj) -> str:
    return json.dumps(_clean(obj), sort_keys=False, default=str)


def append_jsonl(path: Path, records: Iterable[dict]) -> None:
    """Append records and fsync, so what returned is on disk even after kill -9."""
    lines = "".join(dumps(r) + "\n" for r in records)
    if not lines:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(lines)
        fh.flush()
        os.fsync(fh.fileno())


def _replace_text(path: Path, text: str) -> None:
    """Write a whole file atomically (temp file + rename): a reader sees the old or the new."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json(path: Path, obj) -> None:
    """Write atomically so a reader never sees half a manifest."""
    _replace_text(path, json.dumps(_clean(obj), indent=2, default=str) + "\n")


def rewrite_jsonl(path: Path, records: Iterable[dict]) -> None:
    """Replace a JSON-lines file whole, atomically."""
    _replace_text(path, "".join(dumps(r) + "\n" for r in records))


@dataclass
class JsonlRead:
    """Records read from a JSON-lines file, with the lines that could not be parsed."""

    records: list = field(default_factory=list)
    bad_lines: list = field(default_factory=list)  # 1-based line numbers

    @property
    def truncated(self) -> bool:
        return bool(self.bad_lines)


def read_jsonl(path: Path) -> JsonlRead:
    """Read every parseable line; a torn or corrupt line is recorded, not raised."""
    out = JsonlRead()
    if not Path(path).exists():
        return out
    with open(path, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                out.bad_lines.append(n)
                continue
            if isinstance(rec, dict):
                out.records.append(rec)
            else:
                out.bad_lines.append(n)
    return out


def iter_jsonl(path: Path) -> Iterator[dict]:
    yield from read_jsonl(path).records


class RunFolder:
    """A run's folder: where each file lives, and the only code that writes them."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @property
    def run_id(self) -> str:
        return self.path.name

    manifest_path = property(lambda self: self.path / MANIFEST)
    trials_path = property(lambda self: self.path / TRIALS)
    cells_path = property(lambda self: self.path / CELLS)
    spark_tasks_path = property(lambda self: self.path / SPARK_TASKS)
    eventlog_dir = property(lambda self: self.path / EVENTLOG_DIR)

    def create(self, manifest: dict) -> "RunFolder":
        self.path.mkdir(parents=True, exist_ok=False)
        write_json(self.manifest_path, manifest)
        return self

    def manifest(self) -> dict:
        """The manifest, or a clear error naming the folder when it is absent or unreadable."""
        if not self.path.is_dir():
            raise BenchError(f"{self.path}: no such results folder")
        if not self.manifest_path.exists():
            raise BenchError(f"{self.manifest_path}: missing; is this a results folder?")
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise BenchError(f"{self.manifest_path}: not valid JSON ({exc.msg}, line {exc.lineno})")

    def update_manifest(self, **changes) -> None:
        data = self.manifest()
        data.update(changes)
        write_json(self.manifest_path, data)

    def append_cell(self, cell: dict, trials: list[dict]) -> None:
        """Trials first, then the cell line: a cell line is the commit mark of its trials."""
        append_jsonl(self.trials_path, trials)
        append_jsonl(self.cells_path, [cell])

    def read_cells(self) -> JsonlRead:
        return read_jsonl(self.cells_path)

    def read_trials(self) -> JsonlRead:
        """Trials of finished cells only: trials of a cell killed mid-write are left out."""
        done = {c["cell_id"] for c in self.read_cells().records if "cell_id" in c}
        raw = read_jsonl(self.trials_path)
        raw.records = [t for t in raw.records if t.get("cell_id") in done]
        return raw

    def drop_unfinished_trials(self) -> int:
        """Before resuming: remove trial lines of cells that never finished (and torn lines),
        so the re-run cell's trials are not mixed with a killed attempt's. Returns lines removed."""
        if not self.trials_path.exists():
            return 0
        done = self.finished_cell_ids()
        raw = read_jsonl(self.trials_path)
        keep = [t for t in raw.records if t.get("cell_id") in done]
        removed = len(raw.records) - len(keep) + len(raw.bad_lines)
        if removed:
            rewrite_jsonl(self.trials_path, keep)
        return removed

    def write_spark_tasks(self, records: list[dict]) -> None:
        """Replace spark_tasks.jsonl: it is derived from the event logs, rebuilt whole."""
        rewrite_jsonl(self.spark_tasks_path, records)

    def finished_cell_ids(self) -> set[str]:
        return {c["cell_id"] for c in self.read_cells().records if "cell_id" in c}
