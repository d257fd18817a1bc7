"""In-sample and out-of-sample errors of the model, side by side.

With shared points every configuration of a repeat evaluates the same parameter sets, so
leaving one configuration out (bench.predict.validate) leaves its objective times in the
calibration. Across repeats the points differ (each repeat draws them from seed + repeat):
out of sample, each repeat r is held out whole, the model is calibrated on the other
repeats, and every configuration of repeat r is predicted from that calibration; a
configuration's prediction pools the draws of its held-out repeats (each calibration seeing
none of the points it predicts) and is compared with the median of its measured walls. In
sample, the model is calibrated on everything and predicts each configuration.

Errors are fractions of the measured median. Median and worst error are taken over the
configurations that run in one regime (bench.analysis.stability, the rule the diagnosis and
compare read: not flipping between two regimes within a cell or across repeats); coverage
(the measured median inside the predicted interval) over all of them.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..analysis import RunData
from ..analysis.stability import run_stability
from ..errors import BenchError
from .calibrate import Calibration, calibrate
from .grouping import STOCK, ClassKey, config_key, config_keys, with_variant
from .intervals import interval
from .predict import DEFAULT_SEED, predict
from .prepare import Prepared, measured_shape, prepare
from .validate import (TARGET_MEDIAN, TARGET_WORST, VALIDATE_DRAWS, WALL_DECIMALS,
                       spark_configs)

IN_SAMPLE, OUT_OF_SAMPLE = "in_sample", "out_of_sample"
STABLE, UNSTABLE, SINGLE = "stable", "unstable", "single"


@dataclass(frozen=True)
class HoldoutRow:
    """One configuration predicted in or out of sample."""

    setting: str
    workload: str
    n_jobs: str
    walls: tuple                     # measured fmin walls, one per repeat
    stability: str                   # STABLE, UNSTABLE or SINGLE (one repeat)
    predicted_s: float = float("nan")
    low_s: float = float("nan")
    high_s: float = float("nan")
    note: str = ""

    @property
    def measured_s(self) -> float:
        return float(np.median(self.walls))

    @property
    def error(self) -> float:
        if not (math.isfinite(self.predicted_s) and self.measured_s > 0):
            return float("nan")
        return (self.predicted_s - self.measured_s) / self.measured_s

    @property
    def covered(self) -> bool | None:
        """The measured median lies inside the predicted interval (None: no prediction)."""
        if not math.isfinite(self.predicted_s):
            return None
        # at the precision the table prints, as bench.predict.validate judges its ranges
        low, measured, high = (round(x, WALL_DECIMALS) for x in (
            self.low_s, self.measured_s, self.high_s))
        return bool(low <= measured <= high)

    def to_dict(self) -> dict:
        def num(x):
            return round(float(x), 3) if math.isfinite(x) else None
        return {"setting": self.setting, "workload": self.workload, "n_jobs": self.n_jobs,
                "walls_s": [round(w, 3) for w in self.walls], "stability": self.stability,
                "measured_s": num(self.measured_s), "predicted_s": num(self.predicted_s),
                "low_s": num(self.low_s), "high_s": num(self.high_s),
                "error": None if not math.isfinite(self.error) else round(self.error, 4),
                "covered": self.covered, "note": self.note}


def held_out(prepared: Prepared, repeat: int) -> Prepared:
    """The prepared run without one repeat's cells and trials."""
    cells = prepared.cells[prepared.cells["repeat"] != repeat]
    trials = prepared.trials[prepared.trials["cell_id"].isin(set(cells["cell_id"]))]
    return dataclasses.replace(prepared, cells=cells, trials=trials)


def _configurations(run: RunData, variant: str) -> list[tuple[dict, pd.DataFrame, str]]:
    """(configuration row, its usable spark cells, its stability) per spark configuration
    of the variant."""
    cells = with_variant(run.cells)
    cells = cells[(cells["mode"] == "spark") & (cells["variant"] == variant)
                  & ~cells["failed"] & cells["wall_s"].notna()]
    cell_keys = config_keys(cells)
    regimes = run_stability(run.trials)
    out = []
    for cfg in spark_configs(run, variant).to_dict("records"):
        key = config_key(cfg)
        mine = cells[[k == key for k in cell_keys]]
        found = regimes.get(key)
        label = (UNSTABLE if found is not None and found.unstable else
                 SINGLE if len(mine) < 2 else STABLE)
        out.append((cfg, mine, label))
    return out


def _row(cfg: dict, mine: pd.DataFrame, stability: str, walls: list, ratios: list,
         note: str) -> HoldoutRow:
    measured = tuple(float(w) for w in mine.sort_values("repeat")["wall_s"])
    base = dict(setting=str(cfg["setting"]), workload=str(cfg["workload"]),
                n_jobs=str(cfg["n_jobs_label"]), walls=measured, stability=stability)
    if not walls:
        return HoldoutRow(**base, note=note)
    low, high = interval(walls, np.array(ratios) if ratios else None)
    return HoldoutRow(**base, predicted_s=float(np.median(walls)), low_s=low, high_s=high,
                      note=note)


def _draws(cal: Calibration, cfg: dict, mine: pd.DataFrame, run: RunData, draws: int,
           seed: int) -> tuple[list, list, str]:
    """(simulated walls, the class's repeat ratios, note) of one configuration under one
    calibration; no walls when the calibration has no objective to stand for it."""
    source, note = cal.source_for(ClassKey.of(cfg))
    if source is None:
        return [], [], "not predictable: no calibration data for this objective"
    pred = predict(cal, source, measured_shape(mine, run.manifest), int(cfg["max_evals"]),
                   draws, seed)
    return list(pred.walls), list(cal.repeat_ratios.get(source, [])), note


def in_sample(run: RunData, variant: str = STOCK, draws: int = VALIDATE_DRAWS,
              seed: int = DEFAULT_SEED, prepared: Prepared | None = None) -> list[HoldoutRow]:
    """Every configuration predicted by the model calibrated on the whole run."""
    prepared = prepared if prepared is not None else prepare(run)
    cal = calibrate(run, variant, prepared=prepared)
    return [_row(cfg, mine, label, *_draws(cal, cfg, mine, run, draws, seed))
            for cfg, mine, label in _configurations(run, variant)]


def out_of_sample(run: RunData, variant: str = STOCK, draws: int = VALIDATE_DRAWS,
                  seed: int = DEFAULT_SEED, prepared: Prepared | None = None
                  ) -> list[HoldoutRow] | None:
    """Every configuration predicted from calibrations that held its repeats out, one at a
    time; None when the run has fewer than two repeats (nothing to hold out)."""
    prepared = prepared if prepared is not None else prepare(run)
    spark = prepared.cells[prepared.cells["mode"] == "spark"]
    repeats = sorted(int(r) for r in spark["repeat"].dropna().unique())
    if len(repeats) < 2:
        return None
    cals: dict = {}
    for r in repeats:
        try:
            cals[r] = calibrate(run, variant, prepared=held_out(prepared, r))
        except BenchError as exc:
            cals[r] = exc
    rows = []
    for cfg, mine, label in _configurations(run, variant):
        walls, ratios, notes = [], [], []
        for r in sorted(int(x) for x in mine["repeat"].unique()):
            cal = cals.get(r)
            if isinstance(cal, BenchError) or cal is None:
                notes.append(f"repeat {r} not predictable: {cal}")
                continue
            w, q, note = _draws(cal, cfg, mine[mine["repeat"] == r], run, draws, seed + r)
            walls += w
            ratios += q
            if note:
                notes.append(note)
        rows.append(_row(cfg, mine, label, walls, ratios, "; ".join(dict.fromkeys(notes))))
    return rows


def summary(rows: list[HoldoutRow] | None) -> dict:
    """median_error and worst_error (absolute, fractions) over the configurations that are
    not unstable, coverage over every predicted one, and how many of each."""
    if rows is None:
        return {"configurations": 0, "median_error": None, "worst_error": None,
                "coverage": None, "note": "in-sample only: the run has fewer than two "
                                          "repeats, so no repeat can be held out"}
    predicted = [r for r in rows if math.isfinite(r.error)]
    judged = [abs(r.error) for r in predicted if r.stability != UNSTABLE]
    covered = [r.covered for r in predicted]
    med = round(float(np.median(judged)), 4) if judged else None
    worst = round(float(max(judged)), 4) if judged else None
    every = [abs(r.error) for r in predicted]
    return {"configurations": len(predicted), "median_error": med, "worst_error": worst,
            "median_error_all": round(float(np.median(every)), 4) if every else None,
            "worst_error_all": round(float(max(every)), 4) if every else None,
            "coverage": round(sum(covered) / len(covered), 4) if covered else None,
            "judged_by_error": len(judged),
            "unstable": [f"{r.workload} {r.setting}" for r in predicted
                         if r.stability == UNSTABLE],
            "not_predictable": len(rows) - len(predicted),
            "within_target": (None if med is None else
                              bool(med <= TARGET_MEDIAN and worst <= TARGET_WORST))}


def both(run: RunData, variant: str = STOCK, draws: int = VALIDATE_DRAWS,
         prepared: Prepared | None = None) -> tuple:
    """(in-sample rows, out-of-sample rows or None, their two summaries): what `predict
    --validate` and the report's model check print side by side."""
    prepared = prepared if prepared is not None else prepare(run)
    ins = in_sample(run, variant, draws, prepared=prepared)
    outs = out_of_sample(run, variant, draws, prepared=prepared)
    return ins, outs, summary(ins), summary(outs)
