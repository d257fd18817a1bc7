"""Spark event-log files: where a run's logs are and their lines, whatever the layout.

One application's events are a plain file, a `.inprogress` file (still running, or killed),
a `.zstd` file, or a Spark 4 rolling-log folder (`eventlog_v2_<app id>/events_<n>_...`).
The runner writes plain JSON-lines logs (spark.eventLog.compress=false, rolling off); zstd
is read through pyarrow's codec. Lines are handed out as bytes, undecoded.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..errors import BenchError

INPROGRESS = ".inprogress"
ROLLING_PREFIX = "eventlog_v2_"
_OTHER_CODECS = (".lz4", ".lzf", ".snappy")


def _lines_plain(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:  # bytes: lines that are skipped are never even decoded
        yield from fh


def _zstd_chunks(path: Path, size: int) -> Iterator[bytes]:
    import pyarrow as pa

    with pa.CompressedInputStream(pa.OSFile(str(path)), "zstd") as stream:
        while True:
            chunk = stream.read(size)
            if not chunk:
                return
            yield chunk


def _lines_zstd(path: Path, log_) -> Iterator[bytes]:
    """Decompress with pyarrow. Arrow drops the output of a read that hits the end of a cut
    stream, so a log cut off by a kill is read again in small steps from where the fast pass
    stopped, to keep every event that can be decoded."""
    try:
        import pyarrow as pa
        usable = pa.Codec.is_available("zstd")
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        usable = False
    if not usable:
        raise BenchError(f"{path}: zstd event log but no zstd codec available; run Spark with "
                         f"spark.eventLog.compress=false")
    pending, done = b"", 0  # done: decompressed bytes already handed out or pending
    for size in (1 << 16, 256):
        skip = done
        try:
            for chunk in _zstd_chunks(path, size):
                if skip:
                    cut = min(skip, len(chunk))
                    chunk, skip = chunk[cut:], skip - cut
                    if not chunk:
                        continue
                done += len(chunk)
                pending += chunk
                last = pending.rfind(b"\n")
                if last >= 0:
                    yield from pending[:last + 1].splitlines(keepends=True)
                    pending = pending[last + 1:]
            break
        except OSError:
            log_.stream_cut = True
    if pending:
        yield pending  # no newline: parsed if whole, reported as torn otherwise


def log_parts(path: Path) -> list[Path]:
    """The files holding one application's events, in order."""
    if path.is_dir():
        parts = [p for p in path.iterdir() if p.name.startswith("events_")]
        if not parts:
            raise BenchError(f"{path}: rolling event-log folder without events_* files")

        def index(p: Path) -> int:
            try:
                return int(p.name.split("_")[1])
            except (IndexError, ValueError):
                raise BenchError(f"{p}: unexpected event-log file name") from None
        return sorted(parts, key=index)
    return [path]


def part_lines(part: Path, log_) -> Iterator[bytes]:
    """The lines of one file of a log; `log_` (an EventLog) is told when a compressed stream
    was cut off."""
    name = part.name[: -len(INPROGRESS)] if part.name.endswith(INPROGRESS) else part.name
    if name.endswith(".zstd") or name.endswith(".zst"):
        return _lines_zstd(part, log_)
    if name.endswith(_OTHER_CODECS):
        raise BenchError(f"{part}: event log compressed with {Path(name).suffix[1:]}, which "
                         f"cannot be read; run Spark with spark.eventLog.compress=false")
    return _lines_plain(part)


def find_eventlogs(directory: Path | str) -> list[Path]:
    """Event logs in a folder (one per Spark application), oldest first; [] if none."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = []
    for p in directory.iterdir():
        if p.name.startswith(".") or p.name.endswith(".crc"):
            continue
        if p.is_dir() and not p.name.startswith(ROLLING_PREFIX):
            continue
        found.append(p)
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))
