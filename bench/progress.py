"""Progress bar over cells (done/total, ETA); silent with --quiet or when nothing is left."""
from __future__ import annotations

import sys


class Progress:
    def __init__(self, total: int, done: int = 0, quiet: bool = False):
        self.total, self.done, self.quiet = total, done, quiet
        self._bar = None

    def __enter__(self):
        if not self.quiet and self.done < self.total:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, initial=self.done, unit="cell", file=sys.stderr,
                             dynamic_ncols=True, desc="cells", leave=True)
        return self

    def describe(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=True)

    def advance(self, cell: dict) -> None:
        self.done += 1
        if self._bar is not None:
            self._bar.update(1)
            if cell.get("error"):
                from .redaction import text

                self._bar.write(text(f"cell {cell['cell_id']} failed: {cell['error']}"))

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.close()
