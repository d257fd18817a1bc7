"""Progress bar over cells (done/total, time left); silent with --quiet or when nothing is
left.

The time left comes from the run's estimate (bench.predict.estimate, computed before the
first cell) from the start, not from the rate of the cells finished so far: the first
cells say little about the rest (a serial cell takes a second, a SparkTrials cell half a
minute). As cells finish, the estimate of what is left is scaled by how the run so far
compared with its own estimate.
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field

#: The run so far must have covered this share of its estimate before it rescales the rest.
RESCALE_AFTER = 0.1
#: ... and the rescaling factor stays within these bounds.
FACTOR_BOUNDS = (1 / 3, 3.0)
TICK_S = 1.0


@dataclass
class Plan:
    """Estimated seconds per pending cell, before the first cell and after the last."""

    cells: dict = field(default_factory=dict)
    start_s: float = 0.0
    end_s: float = 0.0

    @classmethod
    def of(cls, estimate) -> "Plan | None":
        """From a bench.predict.estimate.Estimate (None: no estimate)."""
        if estimate is None:
            return None
        return cls(dict(estimate.cells), estimate.start_s + estimate.sessions_s,
                   estimate.end_s)


class TimeLeft:
    """Seconds left at any moment: the estimate of what has not run yet, scaled by the run
    so far (elapsed ÷ estimate of what has run) once that covers enough of the estimate."""

    def __init__(self, plan: Plan, clock=time.monotonic):
        self.plan, self.clock = plan, clock
        self.t0 = clock()
        self.done_est = 0.0
        self.left_cells = sum(plan.cells.values())

    def finished(self, cell_id: str) -> None:
        est = self.plan.cells.get(cell_id, 0.0)
        self.done_est += est
        self.left_cells -= est

    def factor(self) -> float:
        ran = self.plan.start_s + self.done_est
        total = ran + self.left_cells + self.plan.end_s
        if self.done_est <= 0 or ran < RESCALE_AFTER * total:
            return 1.0
        lo, hi = FACTOR_BOUNDS
        return min(hi, max(lo, (self.clock() - self.t0) / ran))

    def seconds(self) -> float:
        """What is left: the cells not finished and the end, scaled; before any cell has
        finished, the estimate minus the time already spent."""
        left = self.left_cells + self.plan.end_s
        if self.done_est <= 0:
            return max(0.0, self.plan.start_s + left - (self.clock() - self.t0))
        return left * self.factor()


def clock_text(seconds: float) -> str:
    s = int(round(max(0.0, seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else \
        f"{s // 60:02d}:{s % 60:02d}"


class Progress:
    def __init__(self, total: int, done: int = 0, quiet: bool = False, plan: Plan | None = None):
        self.total, self.done, self.quiet = total, done, quiet
        self.left = TimeLeft(plan) if plan is not None else None
        self._bar = None
        self._stop = threading.Event()

    def __enter__(self):
        if not self.quiet and self.done < self.total:
            from tqdm.auto import tqdm

            fmt = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}"
            fmt += ", about {left} left{postfix}]" if self.left else "<{remaining}{postfix}]"
            self._bar = _bar_class(tqdm, self._left_text())(
                total=self.total, initial=self.done, unit="cell", file=sys.stderr,
                dynamic_ncols=True, desc="cells", leave=True, bar_format=fmt)
            if self.left is not None and sys.stderr.isatty():
                threading.Thread(target=self._tick, daemon=True, name="bench-eta").start()
        return self

    def _left_text(self) -> str:
        return clock_text(self.left.seconds()) if self.left is not None else ""

    def _tick(self) -> None:
        """Keep the time left moving while a long cell runs."""
        while not self._stop.wait(TICK_S):
            bar = self._bar
            if bar is None:
                return
            bar.left_text = self._left_text()
            bar.refresh()

    def describe(self, text: str) -> None:
        if self._bar is not None:
            self._bar.left_text = self._left_text()
            self._bar.set_postfix_str(text, refresh=True)

    def advance(self, cell: dict) -> None:
        self.done += 1
        if self.left is not None:
            self.left.finished(cell["cell_id"])
        if self._bar is not None:
            self._bar.left_text = self._left_text()
            self._bar.update(1)
            if cell.get("error"):
                from .redaction import text

                self._bar.write(text(f"cell {cell['cell_id']} failed: {cell['error']}"))

    def __exit__(self, *exc):
        self._stop.set()
        if self._bar is not None:
            self._bar.close()


def _bar_class(tqdm, left: str):
    """tqdm with the estimate's time left as `{left}` in its format (`left` at first)."""
    class Bar(tqdm):
        left_text = left

        @property
        def format_dict(self):
            return {**super().format_dict, "left": self.left_text}

    return Bar
