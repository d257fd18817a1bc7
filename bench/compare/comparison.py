"""Two runs compared: every configuration in both, judged, the ones present in only one,
and the differences in their setup; the gate's exit code. Pure functions of two loaded runs,
except `compare_folders` (reads the folders).

Exit codes: 0 no regression; 1 a configuration got slower; 2 bad input (raised as
BenchError, the command line's one-line error); 3 not comparable -- a configuration with
failed trials, failed, incomplete or missing cells on either side, or present in one run
only -- unless `allow_incomparable`; also 3 for an unstable configuration with
`fail_on_unstable`. 3 wins over 1: a broken run must be fixed before its speed means
anything (its regressions are listed all the same)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..analysis import GROUP_COLS, RunData, load_run
from ..analysis.stats import Estimate
from ..errors import BenchError
from ..formats import is_missing
from .. import keys
from ..keys import varying_settings
from .differences import environment_differences
from .pairing import Side, run_sides
from .threshold import DEFAULT_THRESHOLD, Threshold, parse_threshold
from .verdicts import NOT_COMPARABLE, SLOWER, UNSTABLE, attribute, load_note, verdict

EXIT_OK, EXIT_REGRESSION, EXIT_BAD_INPUT, EXIT_NOT_COMPARABLE = 0, 1, 2, 3


@dataclass
class Row:
    """One configuration present in both runs."""

    settings: dict
    label: str
    base: Side
    new: Side
    ratio: Estimate
    paired: bool
    verdict: str
    reason: str
    cause: str | None          # 'objective', 'overhead', 'other' or None
    attribution: str
    load_note: str = ""        # set when the two sides saw clearly different load

    @property
    def regression(self) -> bool:
        return self.verdict == SLOWER

    @property
    def cause_text(self) -> str:
        """The attribution's part that names the cause (the whole text for 'other')."""
        if self.cause in ("objective", "overhead"):
            key = "objective" if self.cause == "objective" else "SparkTrials overhead"
            return next((p for p in self.attribution.split("; ") if p.startswith(key)),
                        self.attribution)
        return self.attribution or "—"

    def to_dict(self) -> dict:
        return {"settings": keys.shown(self.settings), "label": self.label,
                "base": self.base.to_dict(), "new": self.new.to_dict(),
                "ratio": _json_num(self.ratio.value), "ratio_low": _json_num(self.ratio.low),
                "ratio_high": _json_num(self.ratio.high), "ratio_interval": self.ratio.kind,
                "ratio_n": self.ratio.n, "paired": self.paired,
                "verdict": self.verdict, "regression": self.regression, "reason": self.reason,
                "cause": self.cause, "attribution": self.attribution,
                "load_cores_base": _json_num(self.base.load_cores),
                "load_cores_new": _json_num(self.new.load_cores), "load_note": self.load_note}


def _json_num(x):
    return None if is_missing(x) or (isinstance(x, float) and not math.isfinite(x)) else x


@dataclass
class Comparison:
    base: RunData
    new: RunData
    threshold: Threshold
    rows: list
    only_base: list          # labels of configurations present in BASE only
    only_new: list
    environment: list        # [(fact, base value, new value)] that differ
    paired: bool = False     # the two sides shared blocks (an A/B run); never two folders
    allow_incomparable: bool = False
    fail_on_unstable: bool = False

    @property
    def regressions(self) -> list:
        return [r for r in self.rows if r.regression]

    @property
    def not_comparable(self) -> list:
        """Labels of what could not be compared: rows so judged, configurations in one run only."""
        return ([r.label for r in self.rows if r.verdict == NOT_COMPARABLE]
                + self.only_base + self.only_new)

    @property
    def unstable(self) -> list:
        return [r for r in self.rows if r.verdict == UNSTABLE]

    @property
    def exit_code(self) -> int:
        if (self.not_comparable and not self.allow_incomparable) or (
                self.unstable and self.fail_on_unstable):
            return EXIT_NOT_COMPARABLE
        return EXIT_REGRESSION if self.regressions else EXIT_OK

    def counts(self) -> dict:
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out


def compare_runs(base: RunData, new: RunData, threshold: Threshold | str = DEFAULT_THRESHOLD,
                 *, paired: bool = False, allow_incomparable: bool = False,
                 fail_on_unstable: bool = False, sides=None) -> Comparison:
    """Pure: two loaded runs -> the comparison (rows sorted like the report's settings).
    `paired` only when both sides ran in shared blocks of one run (never two folders);
    `sides` (base's, new's run_sides) when the caller has already adjusted them."""
    if isinstance(threshold, str):
        threshold = parse_threshold(threshold)
    sides_b, sides_n = sides if sides is not None else (run_sides(base), run_sides(new))
    show = varying_settings(base.cells, new.cells) if len(base.cells) and len(new.cells) \
        else set()

    def label(key: tuple) -> str:  # every axis, thread environment included: one label each
        s = dict(zip(GROUP_COLS, key))
        return f"{s['workload']} {keys.label_of(s, show)}"

    def order(key: tuple):  # every axis, thread environment included: no ties, one order
        s = dict(zip(GROUP_COLS, key))
        return (str(s["workload"]), keys.sort_key_of(s))

    common = sorted(set(sides_b) & set(sides_n), key=order)
    rows = []
    for key in common:
        b, n = sides_b[key], sides_n[key]
        v, reason, ratio, cause = verdict(b, n, threshold, paired)
        cause, why = attribute(b, n, ratio.value, cause)
        rows.append(Row(dict(zip(GROUP_COLS, key)), label(key), b, n, ratio, paired, v, reason,
                        cause, why, load_note(b, n)))
    return Comparison(
        base=base, new=new, threshold=threshold, rows=rows,
        only_base=[label(k) for k in sorted(set(sides_b) - set(sides_n), key=order)],
        only_new=[label(k) for k in sorted(set(sides_n) - set(sides_b), key=order)],
        environment=environment_differences(base.manifest, new.manifest), paired=paired,
        allow_incomparable=allow_incomparable, fail_on_unstable=fail_on_unstable)


def compare_folders(base, new, threshold: Threshold | str = DEFAULT_THRESHOLD, *,
                    allow_incomparable: bool = False, fail_on_unstable: bool = False
                    ) -> Comparison:
    """Two results folders: independent samples (they never shared a block)."""
    b, n = load_run(base), load_run(new)  # schema versions checked (and upgraded) on read
    result = compare_runs(b, n, threshold, allow_incomparable=allow_incomparable,
                          fail_on_unstable=fail_on_unstable)
    if not result.rows:
        raise BenchError(f"{base} and {new}: no configuration in common (base has "
                         f"{len(result.only_base)}, new has {len(result.only_new)}); compare "
                         "runs of the same scenario")
    return result
