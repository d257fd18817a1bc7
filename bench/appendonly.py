"""Appending to a JSON-lines file so that a kill never costs more than the line in flight.

Kept free of other bench imports so every writer of an append-only file can use it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def repair_torn_tail(path: Path) -> int:
    """Before appending to an append-only JSON-lines file: cut a line left unfinished by a
    killed writer off its end, so the next record starts a line of its own instead of being
    glued onto the fragment (and lost with it). A last line that is whole but lacks its
    newline (edited by hand) only gets the newline. Returns the bytes cut off."""
    try:
        fh = open(path, "r+b")
    except FileNotFoundError:
        return 0
    with fh:
        size = fh.seek(0, os.SEEK_END)
        keep = size
        while keep > 0:  # back to the last newline, a block at a time
            start = max(0, keep - 65536)
            fh.seek(start)
            cut = fh.read(keep - start).rfind(b"\n")
            if cut >= 0:
                keep = start + cut + 1
                break
            keep = start
        if keep == size:
            return 0
        fh.seek(keep)
        try:
            whole = isinstance(json.loads(fh.read()), dict)
        except ValueError:
            whole = False
        if whole:
            fh.seek(size)
            fh.write(b"\n")
        else:
            fh.truncate(keep)
        fh.flush()
        os.fsync(fh.fileno())
        return 0 if whole else size - keep


def append_lines(path: Path, lines: str) -> None:
    """Append whole lines (text ending in a newline) and fsync, so what returned is on disk
    even after kill -9; a torn last line left by an earlier kill is cut off first."""
    if not lines:
        return
    repair_torn_tail(path)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(lines)
        fh.flush()
        os.fsync(fh.fileno())
