"""The headline's numbers: what the user's current setup does against serial Trials at each
parallelism, and what each fix measured beside it did.

Each number compares two configurations (bench.analysis.setup): the setup's SparkTrials
against the setup's serial Trials, one parallelism and one serial condition at a time; a
fix against the setup in the same mode, at the same parallelism and condition. Never a
range across configurations. Times are the primary figure (warm-up + wall: a variant or
the pool that starts its workers before the clock counts that start). Pure.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .. import keys
from ..model import NATIVE
from . import Analysis
from .frames import RunData
from .setup import Fix, Setup, differing_axes, fix_of, kind_order, setup_of

NAN = float("nan")
#: Fix axes a serial Trials run does not have: the fix's speedup against the setup's own
#: serial Trials says what the fix gives over serial.
SPARK_SIDE = ("mode", "variant_label", "max_queue_len", "cluster_label")


@dataclass(frozen=True)
class VsSerial:
    """The setup's SparkTrials against the setup's serial Trials at one parallelism."""

    parallelism: int
    condition: str          # the serial side's driver condition
    emulated: bool
    speedup: float
    n: int                  # repeats behind the ratio (the smaller side)
    ideal: float
    serial_s: float
    spark_s: float          # primary figure (warm-up + wall)
    warmup_s: float


@dataclass(frozen=True)
class FixEffect:
    """One fix configuration against the setup in its mode, parallelism and condition."""

    mode: str
    parallelism: object     # None for serial
    condition: str
    emulated: bool
    setting: str            # the fix configuration's label
    before_s: float         # the setup (primary figure)
    after_s: float          # the fix (primary figure)
    after_wall_s: float     # the fix's wall alone (workers already running)
    after_warmup_s: float   # 0 when it starts no workers before the clock; NaN: not recorded
    cells_before: int
    cells_after: int
    vs_serial: float = NAN  # the fix against the setup's serial Trials [native]

    @property
    def effect(self) -> float:
        """setup ÷ fix: above 1 the fix is faster."""
        ok = self.after_s == self.after_s and self.after_s > 0
        return self.before_s / self.after_s if ok else NAN


@dataclass
class FixRow:
    fix: Fix
    effects: list[FixEffect] = field(default_factory=list)


@dataclass
class SetupEffects:
    setup: Setup
    vs_serial: list[VsSerial]
    fixes: list[FixRow]
    missing: list[str]      # the setup's cells this run lacks, as cells to add


def _index(walls: pd.DataFrame, workload: str) -> dict:
    mine = walls[(walls["workload"] == workload) & (walls["cells"] > 0)]
    return {keys.config_key(r): r for r in mine.to_dict("records")}


def _find(index: dict, config: dict):
    """The measured configuration that is `config` (no axis differs), or None."""
    return next((r for r in index.values() if r["mode"] == config["mode"]
                 and not differing_axes(r, config)), None)


def _vs_serial(analysis: Analysis, setup: Setup) -> list[VsSerial]:
    sp = analysis.speedups
    if not len(sp):
        return []
    sp = sp[(sp["workload"] == setup.workload) & (sp["mode"] == "spark")
            & sp["speedup"].notna()]
    out = [VsSerial(int(r["parallelism"]), r["serial_condition"], bool(r["serial_emulated"]),
                    float(r["speedup"]), int(r["speedup_n"]), float(r["ideal"]),
                    float(r["serial_wall_s"]), float(r["spark_paid_s"]),
                    float(r["spark_warmup_s"]))
           for r in sp.to_dict("records") if setup.is_setup(r)]
    return sorted(out, key=lambda v: (v.emulated, v.condition != NATIVE, v.condition,
                                      v.parallelism))


def _speedup_of(analysis: Analysis, row: dict) -> float:
    sp = analysis.speedups
    if not len(sp):
        return NAN
    mine = sp[(sp["workload"] == row["workload"]) & (sp["serial_condition"] == NATIVE)]
    for r in mine.to_dict("records"):
        if r["mode"] == row["mode"] and not differing_axes(r, row):
            return float(r["speedup"])
    return NAN


def _effect(row: dict, base: dict, fix: Fix, analysis: Analysis, emulated: set) -> FixEffect:
    par = None if keys.missing(row["parallelism"]) else int(row["parallelism"])
    return FixEffect(
        mode=row["mode"], parallelism=par, condition=row["condition"],
        emulated=row["condition"] in emulated, setting=row["setting"],
        before_s=float(base["paid_median_s"]), after_s=float(row["paid_median_s"]),
        after_wall_s=float(row["wall_median_s"]),
        after_warmup_s=float(row["warmup_median_s"]),
        cells_before=int(base["cells"]), cells_after=int(row["cells"]),
        vs_serial=_speedup_of(analysis, row) if fix.axis in SPARK_SIDE else NAN)


def _effect_order(e: FixEffect) -> tuple:
    return ({"serial": 0, "spark": 1}.get(e.mode, 2), e.emulated, e.condition,
            -1 if e.parallelism is None else e.parallelism)


def _missing(setup: Setup, index: dict, modes: set[str]) -> list[str]:
    """The setup's cells a run lacks (its first value of every axis, native), to add."""
    have = [r for r in index.values() if setup.is_setup(r)]
    out = []
    for mode, what in (("spark", "SparkTrials"), ("serial", "serial Trials")):
        if mode in modes and not any(r["mode"] == mode and r["condition"] == NATIVE
                                     for r in have):
            out.append(f"{what} cells of the setup ({setup.text()}, native): put those "
                       "values first in the scenario's axis lists")
    return out


def setup_effects(run: RunData, analysis: Analysis, workload: str) -> SetupEffects:
    """The setup of one workload against serial, and every one-axis fix of it measured in
    this run, one row per fix (its effect in each mode, parallelism and condition)."""
    setup = setup_of(run.manifest, run.cells, workload)
    index = _index(analysis.walls, workload)
    emulated = set(run.cells.loc[run.cells["emulated"].fillna(False).astype(bool),
                                 "condition"]) if len(run.cells) else set()
    rows: dict = {}
    for row in index.values():
        fix = fix_of(row, setup)
        if fix is None:
            continue
        base_mode = "spark" if row["mode"] == "pool" else row["mode"]
        condition = row["condition"] if row["mode"] == "serial" else setup.condition
        base = _find(index, setup.config(base_mode, row["parallelism"], condition))
        if base is None:
            continue
        rows.setdefault(fix, FixRow(fix)).effects.append(
            _effect(row, base, fix, analysis, emulated))
    fixes = sorted(rows.values(), key=lambda r: (kind_order(r.fix.kind), r.fix.axis,
                                                 r.fix.value))
    for r in fixes:
        r.effects.sort(key=_effect_order)
    modes = set(run.cells["mode"]) if len(run.cells) else set()
    return SetupEffects(setup, _vs_serial(analysis, setup), fixes,
                        _missing(setup, index, modes))
