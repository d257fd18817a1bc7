"""Two runs compared: every configuration in both, paired and judged, the ones present in
only one, and the differences in their setup. Pure functions of two loaded runs, except
`compare_folders` (reads the folders)."""
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
from .pairing import Side, run_sides, wall_ratio
from .threshold import DEFAULT_THRESHOLD, Threshold, parse_threshold
from .verdicts import SLOWER, attribute, verdict

EXIT_OK, EXIT_REGRESSION = 0, 1


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
        return {"settings": self.settings, "label": self.label,
                "base": self.base.to_dict(), "new": self.new.to_dict(),
                "ratio": _json_num(self.ratio.value), "ratio_low": _json_num(self.ratio.low),
                "ratio_high": _json_num(self.ratio.high), "ratio_interval": self.ratio.kind,
                "ratio_n": self.ratio.n, "paired": self.paired,
                "verdict": self.verdict, "regression": self.regression, "reason": self.reason,
                "cause": self.cause, "attribution": self.attribution}


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

    @property
    def regressions(self) -> list:
        return [r for r in self.rows if r.regression]

    @property
    def exit_code(self) -> int:
        return EXIT_REGRESSION if self.regressions else EXIT_OK

    def counts(self) -> dict:
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out


def compare_runs(base: RunData, new: RunData, threshold: Threshold | str = DEFAULT_THRESHOLD
                 ) -> Comparison:
    """Pure: two loaded runs -> the comparison (rows sorted like the report's settings)."""
    if isinstance(threshold, str):
        threshold = parse_threshold(threshold)
    sides_b, sides_n = run_sides(base), run_sides(new)
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
        ratio, paired = wall_ratio(b, n)
        v, reason = verdict(ratio, b, n, threshold)
        cause, why = attribute(b, n, ratio.value)
        rows.append(Row(dict(zip(GROUP_COLS, key)), label(key), b, n, ratio, paired, v, reason,
                        cause, why))
    return Comparison(
        base=base, new=new, threshold=threshold, rows=rows,
        only_base=[label(k) for k in sorted(set(sides_b) - set(sides_n), key=order)],
        only_new=[label(k) for k in sorted(set(sides_n) - set(sides_b), key=order)],
        environment=environment_differences(base.manifest, new.manifest))


def compare_folders(base, new, threshold: Threshold | str = DEFAULT_THRESHOLD) -> Comparison:
    b, n = load_run(base), load_run(new)  # schema versions checked (and upgraded) on read
    result = compare_runs(b, n, threshold)
    if not result.rows:
        raise BenchError(f"{base} and {new}: no configuration in common (base has "
                         f"{len(result.only_base)}, new has {len(result.only_new)}); compare "
                         "runs of the same scenario")
    return result
