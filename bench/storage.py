"""Results on disk: one folder per run, append-only JSON lines flushed after every cell.

Like hyperfine, a crash loses at most the unit of work in flight. Reading is tolerant: a
line cut off by a kill is skipped and reported, never fatal, so partial runs stay readable.
The manifest is the exception: it is checked on every read (manifest_problem below),
because every reader relies on it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import math
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from . import redaction
from .appendonly import append_lines
from .errors import BenchError
from .model import MANIFEST_REQUIRED, RUN_STATUSES, SCHEMA_HISTORY, SCHEMA_VERSION, Manifest

# Every file of a run folder is named here (README "Results layout").
MANIFEST = "manifest.json"
LOCK = "run.lock"
TRIALS = "trials.jsonl"
CELLS = "cells.jsonl"
SPARK_TASKS = "spark_tasks.jsonl"
#: Every executor of the run's Spark applications (bench.model.SparkExecutorRecord).
SPARK_EXECUTORS = "spark_executors.jsonl"
EVENTLOG_DIR = "eventlog"
#: Spark's own console output, one file per session (spark-<label>.log).
LOGS_DIR = "logs"
#: State and daemon logs of the standalone clusters a run starts, one folder per shape.
CLUSTERS_DIR = "clusters"
#: Started and stopped background-load processes of emulated conditions (bench.conditions).
EMULATION = "emulation.jsonl"
#: Where reports go: reports/<run-id>/ beside the results folder that holds the run.
REPORTS_DIR = "reports"


def default_out_dir(run_path: Path | str) -> Path:
    """reports/<run-id> beside the results/ folder that holds the run."""
    run_path = Path(run_path).resolve()
    return run_path.parent.parent / REPORTS_DIR / run_path.name


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


def _record_line(record: dict) -> str:
    """A record as stored: secrets in its text redacted (bench.redaction; keys' values are
    data here, so only secret values, URL passwords and credential parameters go)."""
    return dumps(redaction.tree(_clean(record), keys=False))


def append_jsonl(path: Path, records: Iterable[dict]) -> None:
    """Append records and fsync, so what returned is on disk even after kill -9; a torn
    last line left by an earlier kill is cut off first (appendonly.repair_torn_tail)."""
    append_lines(path, "".join(_record_line(r) + "\n" for r in records))


def _replace_text(path: Path, text: str) -> None:
    """Write a whole file atomically (temp file + rename): a reader sees the old or the new."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_json(path: Path, obj) -> None:
    """Write atomically so a reader never sees half a manifest; every secret redacted, under a
    secret key or in any text (bench.redaction)."""
    _replace_text(path, json.dumps(redaction.tree(_clean(obj)), indent=2, default=str) + "\n")


def rewrite_jsonl(path: Path, records: Iterable[dict]) -> None:
    """Replace a JSON-lines file whole, atomically."""
    _replace_text(path, "".join(_record_line(r) + "\n" for r in records))


@dataclass
class JsonlRead:
    """Records read from a JSON-lines file, with the lines that could not be parsed."""

    records: list = field(default_factory=list)
    bad_lines: list = field(default_factory=list)  # 1-based line numbers


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


@dataclass
class Committed:
    """What a results folder holds for certain: the cells that have a cell line and the
    trials those lines commit, with what was skipped on the way."""

    cells: list = field(default_factory=list)
    trials: list = field(default_factory=list)
    #: file name -> 1-based numbers of lines that could not be parsed (torn or corrupt)
    bad_lines: dict = field(default_factory=dict)
    #: trial lines whose cell has no cell line (cell killed before it finished)
    orphan_trials: int = 0

    @property
    def cell_ids(self) -> set[str]:
        return {c["cell_id"] for c in self.cells}


def _upgrade_cell(cell: dict, version: int) -> dict:
    """A cell record of an older schema version as the current version means it."""
    if version < 2 and isinstance(cell.get("closure_bytes"), int) and cell["closure_bytes"] < 0:
        cell = {**cell, "closure_bytes": None}  # version 1 wrote -1 for "unknown"
    return cell


def manifest_problem(data) -> Optional[str]:
    """Why `data` (a parsed manifest.json) cannot be read by this bench, or None."""
    if not isinstance(data, dict):
        return f"not a JSON object (found {type(data).__name__})"
    missing = [name for name, required in MANIFEST_REQUIRED.items()
               if required and name not in data]
    if missing:
        return f"lacks {', '.join(missing)}; is this a results folder?"
    version = data["schema_version"]
    if isinstance(version, bool) or version not in SCHEMA_HISTORY:
        return (f"schema version {version!r} is not one this bench reads "
                f"({', '.join(map(str, SCHEMA_HISTORY))})")
    for name, kind in (("scenario", dict), ("cells", list)):
        if not isinstance(data[name], kind):
            return f"{name}: expected a {'list' if kind is list else 'JSON object'}, " \
                   f"found {type(data[name]).__name__}"
    if any(not isinstance(c, dict) or "cell_id" not in c for c in data["cells"]):
        return "cells: every planned cell needs a cell_id"
    return None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


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
    spark_executors_path = property(lambda self: self.path / SPARK_EXECUTORS)
    eventlog_dir = property(lambda self: self.path / EVENTLOG_DIR)
    emulation_path = property(lambda self: self.path / EMULATION)

    def spark_log(self, label: str) -> Path:
        """Where a Spark session's console output goes."""
        return self.path / LOGS_DIR / f"spark-{label}.log"

    def cluster_dir(self, shape_label: str) -> Path:
        """State and logs of the standalone cluster the run starts for a shape ('2x1')."""
        return self.path / CLUSTERS_DIR / shape_label.replace("/", "-")

    lock_path = property(lambda self: self.path / LOCK)

    # --- the manifest: created once, then changed only through the named methods below ---
    def create(self, manifest: Manifest | dict) -> "RunFolder":
        """Make this folder (it must not exist yet) with its manifest."""
        data = manifest.to_dict() if isinstance(manifest, Manifest) else dict(manifest)
        problem = manifest_problem(data)
        if problem:  # a bug in the writer, named before anything is on disk
            raise BenchError(f"{self.manifest_path}: {problem}")
        try:
            self.path.mkdir(parents=True, exist_ok=False)
        except FileExistsError:
            raise BenchError(f"{self.path}: already exists; choose another run id") from None
        write_json(self.manifest_path, data)
        return self

    @classmethod
    def create_new(cls, results_dir: Path | str, name: str,
                   manifest: Manifest | dict) -> "RunFolder":
        """A new run's folder, NAME-YYYYmmdd-HHMMSS (then -2, -3, ... when taken), claimed by
        an atomic mkdir: runs of one scenario started in the same second, in this process or
        others, each get a folder of their own. The manifest's run_id is set to its name."""
        data = manifest.to_dict() if isinstance(manifest, Manifest) else dict(manifest)
        results_dir = Path(results_dir)
        results_dir.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        for n in itertools.count(1):
            folder = cls(results_dir / (f"{name}-{stamp}" + (f"-{n}" if n > 1 else "")))
            data["run_id"] = folder.run_id
            problem = manifest_problem(data)
            if problem:  # a bug in the writer, named before anything is on disk
                raise BenchError(f"{folder.manifest_path}: {problem}")
            try:
                folder.path.mkdir(exist_ok=False)
            except FileExistsError:
                continue
            write_json(folder.manifest_path, data)
            return folder
        raise AssertionError("unreachable")

    def manifest(self) -> dict:
        """The manifest, checked: a clear one-line error naming the file when it is absent,
        unreadable, not a manifest or of a schema version this bench does not read."""
        if not self.path.is_dir():
            raise BenchError(f"{self.path}: no such results folder")
        if not self.manifest_path.exists():
            raise BenchError(f"{self.manifest_path}: missing; is this a results folder?")
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise BenchError(f"{self.manifest_path}: not valid JSON ({exc.msg}, line {exc.lineno})")
        except (OSError, UnicodeDecodeError) as exc:
            raise BenchError(f"{self.manifest_path}: cannot be read ({exc})")
        problem = manifest_problem(data)
        if problem:
            raise BenchError(f"{self.manifest_path}: {problem}")
        return data

    def read_manifest(self) -> Manifest:
        """The manifest, checked as manifest() checks it, read as a Manifest: what readers
        use (its accessors answer their questions; the plain dict is for rewriting it)."""
        return Manifest.read(self.manifest())

    def _change_manifest(self, change: Callable[[dict], None]) -> None:
        """Read, change and rewrite the manifest whole (atomically); keys this version of
        bench does not know (a newer writer's) are kept."""
        data = self.manifest()
        change(data)
        write_json(self.manifest_path, data)

    def set_status(self, status: str, *, resumed: bool = False) -> None:
        """The run's status ('running', 'finished', 'interrupted', 'failed'); `resumed`
        stamps the start of a --resume."""
        if status not in RUN_STATUSES:
            raise ValueError(f"run status {status!r} is not one of {RUN_STATUSES}")

        def change(m):
            m["status"] = status
            if resumed:
                m["resumed"] = _now()
        self._change_manifest(change)

    @contextlib.contextmanager
    def running(self, *, resumed: bool = False):
        """Mark the run running for the block; after it the status says how it ended:
        finished, interrupted (Ctrl-C) or failed (any other exception, raised on)."""
        self.set_status("running", resumed=resumed)
        try:
            yield self
        except KeyboardInterrupt:
            self.set_status("interrupted")
            raise
        except BaseException:
            self.set_status("failed")
            raise
        self.set_status("finished")

    def upgrade(self) -> None:
        """Before appending to a folder of an older schema version (--resume): rewrite its
        cell records as the current version means them, then mark the folder current, so
        old and new records never mix meanings. Safe to repeat after a crash in between."""
        version = self.manifest()["schema_version"]
        if version == SCHEMA_VERSION:
            return
        if self.cells_path.exists():
            read = read_jsonl(self.cells_path)
            rewrite_jsonl(self.cells_path, [_upgrade_cell(c, version) for c in read.records])
        self._change_manifest(lambda m: m.update(schema_version=SCHEMA_VERSION))

    def record_shipping(self, shipping: dict) -> None:
        """Per spark workload: what SparkTrials will pickle and ship (bench.shipping)."""
        self._change_manifest(lambda m: m.update(shipping=shipping))

    def record_spark(self, facts: dict) -> None:
        """Facts about the run's (or the caller's) Spark session."""
        self._change_manifest(lambda m: m.update(spark=facts))

    def add_cluster_session(self, shape: str, facts: dict) -> None:
        """One more session started on a cluster shape."""
        self._change_manifest(lambda m: m.setdefault("clusters", {}).setdefault(
            shape, []).append(facts))

    def add_warmup(self, where: str, seconds: float) -> None:
        """Seconds of warm-up spent on a session ('session') or cluster shape."""
        def change(m):
            warm = m.get("warmup_s") if isinstance(m.get("warmup_s"), dict) else {}
            warm[where] = round(warm.get(where, 0.0) + seconds, 3)
            m["warmup_s"] = warm
        self._change_manifest(change)

    def record_ab_side(self, side: str, facts: dict) -> None:
        """An A/B run: facts of one side's driver (pid, JVM pid, session, warm-up)."""
        self._change_manifest(lambda m: m.setdefault("ab", {}).setdefault(side, {}).update(
            facts))

    def record_observed_calls(self, cells: list[dict], calls: list[dict]) -> None:
        """bench.observe: the cells so far and how each fmin was called."""
        self._change_manifest(lambda m: m.update(cells=cells, grid={"calls": calls}))

    # --- one process at a time ---
    @contextlib.contextmanager
    def lock(self):
        """Hold the folder for this process while it runs cells: a second run or --resume
        of the same folder is refused while the holder lives. The lock file names the
        holder; one left behind by a process that died (kill -9) is taken over."""
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": _now()}
        for _ in range(2):
            try:
                fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._clear_stale_lock()
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(me) + "\n")
            break
        else:
            raise BenchError(f"{self.lock_path}: in use by another process that just took it")
        try:
            yield self
        finally:
            with contextlib.suppress(OSError):
                if self._lock_holder().get("pid") == me["pid"]:
                    self.lock_path.unlink()

    def _lock_holder(self) -> dict:
        try:
            holder = json.loads(self.lock_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return holder if isinstance(holder, dict) else {}

    def _clear_stale_lock(self) -> None:
        """Remove the lock file if its holder is dead; otherwise say who holds it."""
        holder = self._lock_holder()
        pid, host = holder.get("pid"), holder.get("host")
        if isinstance(pid, int) and host == socket.gethostname() and not _pid_alive(pid):
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.unlink()
            return
        if not holder:  # being written this instant, or unreadable: not ours to remove
            raise BenchError(f"{self.lock_path}: in use (the lock file names no process; "
                             "remove it if no bench runs this folder)")
        where = f" on {host}" if host != socket.gethostname() else ""
        raise BenchError(f"{self.path}: in use by pid {pid}{where} since "
                         f"{holder.get('since', '?')} ({LOCK}); wait for it or stop it (if that "
                         f"pid is no bench run, delete {LOCK})")

    # --- records ---
    def append_cell(self, cell: dict, trials: list[dict]) -> None:
        """Trials first, then the cell line: a cell line is the commit mark of its trials."""
        append_jsonl(self.trials_path, trials)
        append_jsonl(self.cells_path, [cell])

    def committed(self, version: Optional[int] = None) -> Committed:
        """The one reader of cells and trials: cells with a cell line and the trials they
        commit (a cell line is written after its trials, so trials without one belong to a
        cell killed mid-write), upgraded from the folder's schema version; torn lines and
        orphan trials are counted, never fatal."""
        if version is None:
            version = self.manifest()["schema_version"]
        cells_read = read_jsonl(self.cells_path)
        cells = [_upgrade_cell(c, version) for c in cells_read.records if "cell_id" in c]
        done = {c["cell_id"] for c in cells}
        trials_read = read_jsonl(self.trials_path)
        trials = [t for t in trials_read.records if t.get("cell_id") in done]
        bad = {name: read.bad_lines for name, read in
               ((CELLS, cells_read), (TRIALS, trials_read)) if read.bad_lines}
        return Committed(cells=cells, trials=trials, bad_lines=bad,
                         orphan_trials=len(trials_read.records) - len(trials))

    def drop_unfinished_trials(self) -> int:
        """Before resuming: remove trial lines of cells that never finished (and torn lines),
        so the re-run cell's trials are not mixed with a killed attempt's. Returns lines removed."""
        if not self.trials_path.exists():
            return 0
        got = self.committed()
        removed = got.orphan_trials + len(got.bad_lines.get(TRIALS, []))
        if removed:
            rewrite_jsonl(self.trials_path, got.trials)
        return removed

    def write_spark_tasks(self, records: list[dict]) -> None:
        """Replace spark_tasks.jsonl: it is derived from the event logs, rebuilt whole."""
        rewrite_jsonl(self.spark_tasks_path, records)
