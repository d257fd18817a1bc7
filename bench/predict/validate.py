"""Validation built in: every measured spark configuration predicted from the others.

Leave-one-configuration-out: the configuration's cells and trials are removed, the model is
calibrated on what is left, and its fmin wall for that configuration's shape and settings is
compared with the measured median. Two mechanism checks ask the calibrated model about
shapes that were not run: the launch rate at max_queue_len=1 on 64 slots, and the objective
length at which SparkTrials breaks even with serial Trials (against the `fixed-overhead`
finding's number).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..analysis import RunData, group_walls, usable_cells
from ..model import NATIVE
from ..errors import BenchError
from .calibrate import Calibration, calibrate
from .crossover import fixed_lengths, measured_crossovers
from .grouping import STOCK, ClassKey, config_key, config_keys, with_variant
from .predict import DEFAULT_SEED, inputs_for, predict
from .prepare import Prepared, measured_shape, prepare
from .simulate import Shape, simulate, simulate_serial, trials_per_host
from .spin import collapses

#: The accuracy the model aims for on held-out configurations (absolute relative error).
TARGET_MEDIAN = 0.15
TARGET_WORST = 0.30
#: Simulations per held-out configuration (and per mechanism check). A run has a handful of
#: configurations, so draws cost little beside calibration; 25 put the Monte-Carlo error of
#: the simulated median at about a quarter of one draw's spread (1.25 sigma / sqrt(25)), so the
#: error reported is the model's, not the dice's. (With 3 and 5 draws one quick may2022 run's
#: median error read 8.3% and 11.1%; with 15, 25 and 50, 6.3%.)
VALIDATE_DRAWS = 25
#: Walls as the check's table prints them (decimals of a second). Whether a prediction lies
#: within its repeats' range is judged at this precision, so the count agrees with the table:
#: fmin walls are whole loop turns, and a few milliseconds of turn jitter are not a miss.
WALL_DECIMALS = 1


@dataclass(frozen=True)
class CheckRow:
    setting: str
    workload: str
    n_jobs: str
    shape: str
    max_evals: int
    cells: int
    measured_s: float
    measured_low_s: float = float("nan")   # the fastest and slowest of its repeats
    measured_high_s: float = float("nan")
    predicted_s: float = float("nan")
    low_s: float = float("nan")
    high_s: float = float("nan")
    note: str = ""

    @property
    def in_measured_range(self) -> bool | None:
        """The prediction lies within the range of the configuration's own repeats (None
        with fewer than two repeats or no prediction)."""
        if self.cells < 2 or not math.isfinite(self.predicted_s):
            return None
        low, pred, high = (round(x, WALL_DECIMALS) for x in (
            self.measured_low_s, self.predicted_s, self.measured_high_s))
        return bool(low <= pred <= high)

    @property
    def error(self) -> float:
        if not (math.isfinite(self.predicted_s) and self.measured_s > 0):
            return float("nan")
        return (self.predicted_s - self.measured_s) / self.measured_s

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["error"] = None if not math.isfinite(self.error) else round(self.error, 4)
        d["in_measured_range"] = self.in_measured_range
        return {k: (round(v, 3) if isinstance(v, float) and math.isfinite(v) else
                    (None if isinstance(v, float) else v)) for k, v in d.items()}


def spark_configs(run: RunData, variant: str) -> pd.DataFrame:
    """Measured median wall per spark configuration of the variant (bench.analysis)."""
    cells = with_variant(run.cells)
    cells = cells[(cells["mode"] == "spark") & (cells["variant"] == variant)]
    walls = group_walls(cells)
    return walls[walls["cells"] > 0].reset_index(drop=True)


def validate(run: RunData, variant: str = STOCK, draws: int = VALIDATE_DRAWS,
             seed: int = DEFAULT_SEED, prepared: Prepared | None = None) -> list[CheckRow]:
    """Predict every spark configuration of the variant from the other configurations."""
    prepared = prepared if prepared is not None else prepare(run)
    configs = spark_configs(run, variant)
    if configs.empty:
        raise BenchError(f"{run.path}: no finished '{variant}' spark cells to validate against")
    cells = with_variant(run.cells)
    cells = cells[(cells["mode"] == "spark") & (cells["variant"] == variant)]
    cell_keys = config_keys(cells)
    rows = []
    for cfg in configs.to_dict("records"):
        key = config_key(cfg)
        mine = cells[[k == key for k in cell_keys]]
        shape = measured_shape(mine, run.manifest)
        base = dict(setting=str(cfg["setting"]), workload=str(cfg["workload"]),
                    n_jobs=str(cfg["n_jobs_label"]), shape=_shape_text(shape),
                    max_evals=int(cfg["max_evals"]), cells=int(cfg["cells"]),
                    measured_s=float(cfg["wall_median_s"]),
                    measured_low_s=float(usable_cells(mine)["wall_s"].min()),
                    measured_high_s=float(usable_cells(mine)["wall_s"].max()))
        if len(configs) == 1:
            rows.append(CheckRow(**base, note=f"not predictable: the run's only {variant} "
                                              f"configuration (the model takes a variant's "
                                              f"loops and start-up from its other ones)"))
            continue
        try:
            cal = calibrate(run, variant, exclude=key, prepared=prepared)
        except BenchError as exc:
            rows.append(CheckRow(**base, note=f"not predictable: {exc}"))
            continue
        source, note = cal.source_for(ClassKey.of(cfg))
        if source is None:
            rows.append(CheckRow(**base, note="not predictable: no other configuration ran "
                                              "this objective under SparkTrials"))
            continue
        pred = predict(cal, source, shape, int(cfg["max_evals"]), draws, seed)
        note = "; ".join(n for n in (note, spin_wait_note(cal, source, shape)) if n)
        rows.append(CheckRow(**base, predicted_s=pred.wall_s, low_s=pred.wall_low_s,
                             high_s=pred.wall_high_s, note=note))
    return rows


def spin_wait_note(cal: Calibration, key: ClassKey, shape: Shape) -> str:
    """A note when the shape puts two or more of the objective's trials on a host whose cores
    they (with the background) oversubscribe and the objective was measured slowing down
    beyond sharing there: that slowdown varies from cell to cell (threads spin-waiting on
    each other's cores), so one configuration's wall can land far from the model's median."""
    inp = inputs_for(cal, key, shape)
    per_host = trials_per_host(shape)
    cores = shape.cores_per_host
    threads = inp.threads_per_trial or inp.demand_cores
    if not collapses(threads, per_host, cores) or round(inp.oversubscribed_slowdown, 1) <= 1.0:
        return ""
    factors = inp.spin_factors
    spread = (f" ({np.min(factors):.1f}-{np.max(factors):.1f}x over {len(factors)} calls)"
              if len(factors) > 1 else "")
    return (f"oversubscribed: {per_host} trials of {threads:g} threads on {cores} cores, "
            f"measured {inp.oversubscribed_slowdown:.1f}x slower than sharing explains"
            f"{spread}")


def _shape_text(shape: Shape) -> str:
    tc = f"/tc{shape.task_cpus}" if shape.task_cpus != 1 else ""
    where = shape.label if shape.label and shape.label != "local" else "local"
    slots = f"{shape.slots} slot" + ("s" if shape.slots != 1 else "")
    return f"{where}{tc if where == 'local' else ''} ({slots})"


def error_summary(rows: list[CheckRow]) -> dict:
    errs = np.array([abs(r.error) for r in rows if math.isfinite(r.error)])
    if not len(errs):
        return {"configurations": 0, "median_abs_error": None, "worst_abs_error": None,
                "within_target": None}
    med, worst = float(np.median(errs)), float(errs.max())
    ranged = [r.in_measured_range for r in rows if r.in_measured_range is not None]
    return {"configurations": int(len(errs)), "median_abs_error": round(med, 4),
            "worst_abs_error": round(worst, 4),
            "repeated": len(ranged), "in_measured_range": int(sum(ranged)),
            "target": {"median": TARGET_MEDIAN, "worst": TARGET_WORST},
            "within_target": bool(med <= TARGET_MEDIAN and worst <= TARGET_WORST),
            "not_predictable": sum(1 for r in rows if not math.isfinite(r.error))}


# --- mechanism checks ---------------------------------------------------------------------------
def launch_rate_check(cal: Calibration, key: tuple, max_evals: int = 200,
                      draws: int = VALIDATE_DRAWS, seed: int = DEFAULT_SEED) -> dict:
    """Trials booked per second on 16 executors x 4 cores (64 slots, parallelism 64), with
    max_queue_len 1 and with max_queue_len = parallelism."""
    # with a queue of one, the n suggestions need n distinct fmin turns, and a booking
    # trails its suggestion by less than one dispatcher turn: the first to last booking
    # spans at least (n - 1) fmin turns minus one dispatcher turn
    pf, pd_ = cal.loops["fmin_period_s"], cal.loops["dispatch_period_s"]
    bound = (max_evals - 1) / max((max_evals - 1) * pf - pd_, 1e-9)
    out = {"shape": "16x4 p=64", "max_evals": max_evals, "fmin_period_s": round(pf, 4),
           "bound_per_s": round(bound, 4)}
    for q, name in ((1, "q1"), (0, "q_parallelism")):
        pred = predict(cal, key, Shape(16, 4, 1, 64, q), max_evals, draws, seed)
        out[f"launch_rate_{name}_per_s"] = round(pred.launch_rate, 3)
        out[f"wall_{name}_s"] = round(pred.wall_s, 1)
    out["holds"] = bool(out["launch_rate_q1_per_s"] <= bound + 1e-3)
    return out


def model_break_even_s(cal: Calibration, key: tuple, parallelism: int, slots: int,
                       max_evals: int = 200, draws: int = VALIDATE_DRAWS,
                       seed: int = DEFAULT_SEED, max_queue_len: int = 0) -> float:
    """Objective length at which the model's SparkTrials (parallelism p, max_queue_len p or
    as given, measured start-up, return and loops, no core contention) matches serial
    Trials."""
    key = ClassKey.of(key)
    inp = dataclasses.replace(cal.inputs[key], demand_cores=0.0, background_cores=0.0)
    serial = cal.serial.get((key, NATIVE)) or next(
        (s for (k, cond), s in sorted(cal.serial.items(), key=lambda item: item[0])
         if k.workload == key.workload and cond == NATIVE), None)
    shape = Shape(1, max(slots, parallelism), 1, parallelism, max_queue_len,
                  label="break-even")

    def gap(t: float) -> float:
        rng = np.random.default_rng(seed)
        objective = np.full(max_evals, t)
        spark = np.median([simulate(inp, shape, max_evals, rng, objective).wall_s
                           for _ in range(draws)])
        over = (np.median([simulate_serial(dataclasses.replace(
            serial, serial_objective_s=np.zeros(1)), max_evals, rng) for _ in range(draws)])
            if serial is not None else 0.0)
        return spark - (t * max_evals + over)

    lo, hi = 0.0, 1.0
    while gap(hi) > 0:
        lo, hi = hi, hi * 2
        if hi > 3600:
            return float("inf")
    for _ in range(30):
        mid = (lo + hi) / 2
        if gap(mid) > 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-3:
            break
    return (lo + hi) / 2


def break_even_check(run: RunData, cal: Calibration, draws: int = VALIDATE_DRAWS,
                     analysis=None, findings: list | None = None) -> list[dict]:
    """The model's break-even objective length against the `fixed-overhead` finding's, per
    workload and parallelism the finding reports. `findings` (the diagnosis' Finding
    objects, as the report has them) saves running the diagnosis again."""
    if cal.variant != STOCK:  # the finding measures stock SparkTrials' fixed costs
        return []
    if findings is None:
        from ..diagnosis import diagnose_data

        findings = diagnose_data(run, analysis)
    out = []
    slots = run.cells["task_slots"].dropna()
    n_slots = int(slots.max()) if len(slots) else 1
    for f in findings:
        if f.rule != "fixed-overhead" or not f.workload:
            continue
        workload = f.workload
        keys = [k for k in cal.classes() if k[0] == workload]
        if not keys:
            continue
        for p, be in sorted((f.evidence.get("break_even_objective_s") or {}).items()):
            p = int(p)
            if not isinstance(be, (int, float)) or p < 2 or p > n_slots:
                continue
            model = model_break_even_s(cal, keys[0], p, n_slots, draws=draws)
            out.append({"workload": workload, "parallelism": p,
                        "finding_s": round(float(be), 3), "model_s": round(model, 3),
                        "difference": round((model - be) / be, 3) if be else None,
                        "holds": bool(be and abs(model - be) / be <= 0.10)})
    return out


def measured_break_even_check(run: RunData, cal: Calibration,
                              draws: int = VALIDATE_DRAWS) -> list[dict]:
    """The model's break-even against the crossover measured directly over fixed-length
    objectives (bench.predict.crossover), at the parallelism, queue and evaluations the
    cells ran; within 10% holds."""
    if cal.variant != STOCK:
        return []
    lengths = fixed_lengths(run.trials)
    keys = [k for k in cal.classes() if k.workload in lengths]
    slots = run.cells["task_slots"].dropna()
    n_slots = int(slots.max()) if len(slots) else 1
    out = []
    for row in measured_crossovers(run.cells, run.trials) if keys else []:
        measured = row["crossover_s"]
        # start-up and return of the length nearest the crossover (the longest measured
        # when it is not bracketed): those trials decide where the walls cross
        near = measured if measured is not None else max(row["lengths_s"])
        key = min(keys, key=lambda k: (abs(lengths[k.workload] - near), k))
        model = model_break_even_s(cal, key, row["parallelism"], n_slots,
                                   row["max_evals"], draws,
                                   max_queue_len=row["max_queue_len"])
        diff = (model - measured) / measured if measured else None
        out.append({**row, "model_s": round(model, 3), "model_from": key.workload,
                    "difference": None if diff is None else round(diff, 3),
                    "holds": None if diff is None else bool(abs(diff) <= 0.10)})
    return out


def mechanism_checks(run: RunData, cal: Calibration, draws: int = VALIDATE_DRAWS,
                     analysis=None, findings: list | None = None) -> dict:
    """The checks; `analysis` / `findings` of the run save recomputing them."""
    key = cal.classes()[0]
    return {"launch_rate": launch_rate_check(cal, key, draws=draws),
            "break_even": break_even_check(run, cal, draws, analysis, findings),
            "break_even_measured": measured_break_even_check(run, cal, draws)}
