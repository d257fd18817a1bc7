"""Predictions: the simulation run several times per shape, summarised with an interval.

Every shape is simulated with the same seed (common random numbers), so differences between
shapes come from the shapes, not from different draws. The interval (bench.predict.intervals)
is the 5th-95th percentile of the draws combined with the class's measured repeat spread: it
covers the measured spread of trial times, loop phases, spin-wait factors and repeats, not
the error of the model itself (see bench.predict.validate and holdout for that).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..model import NATIVE
from .calibrate import Calibration, startup_fields
from .grouping import ClassKey
from .intervals import INTERVAL, interval
from .simulate import Inputs, Shape, simulate, simulate_serial

#: Draws per shape by default: AUTO_DRAWS, in batches of DRAW_BATCH until neither end of
#: the 5th-95th percentile moves more than STABLE_SHIFT of the median from one batch to the
#: next (at least MIN_DRAWS, at most MAX_DRAWS). With five draws that percentile is little
#: more than the smallest and largest draw, and moved by a third of the wall between seeds on
#: a spinning class (see README, Cluster sizing).
AUTO_DRAWS = 0
DEFAULT_DRAWS = AUTO_DRAWS
DRAW_BATCH, MIN_DRAWS, MAX_DRAWS = 10, 10, 200
STABLE_SHIFT = 0.02
DEFAULT_SEED = 13


@dataclass(frozen=True)
class Prediction:
    workload: str
    n_jobs: str
    shape: Shape
    max_evals: int
    wall_s: float
    wall_low_s: float
    wall_high_s: float
    core_s_per_trial: float
    utilisation: float            # share of slot-seconds held by trials
    launch_rate: float            # trials booked per second, first to last booking
    draws: int
    env: str = ""                 # thread environment the objective was measured in
    walls: tuple = field(default=(), repr=False, compare=False)  # every draw's wall

    @property
    def key(self) -> ClassKey:
        return ClassKey(self.workload, self.n_jobs, self.env)

    def to_dict(self) -> dict:
        s = self.shape
        return {"workload": self.workload, "n_jobs": self.n_jobs, "thread_env": self.env,
                "objective": self.key.text(), "shape": s.name(),
                "executors": s.executors, "cores_per_executor": s.cores,
                "task_cpus": s.task_cpus, "total_cores": s.total_cores, "task_slots": s.slots,
                "parallelism": s.p, "max_queue_len": s.q, "max_evals": self.max_evals,
                "wall_s": round(self.wall_s, 3), "wall_low_s": round(self.wall_low_s, 3),
                "wall_high_s": round(self.wall_high_s, 3),
                "core_s_per_trial": round(self.core_s_per_trial, 3),
                "slot_utilisation": round(self.utilisation, 3),
                "launch_rate_per_s": round(self.launch_rate, 3), "draws": self.draws}


def inputs_for(cal: Calibration, key: tuple, shape: Shape) -> Inputs:
    """The class's inputs for a shape.

    A shape measured on this machine keeps its background load and takes the start-up the
    workload measured on it: with as many trials at once if other configurations ran so,
    else with any number; if only other workloads ran on it, the workload's own fresh-worker
    start-up moved by what the shape added to theirs. A predicted executor is a host of its own,
    idle, whose Python workers start cold (unless the variant starts them before the
    clock, as the harness' reuse variants do)."""
    key = ClassKey.of(key)
    inp = cal.inputs[key]
    if shape.host_cores:
        start = cal.startups_at.get((key.workload, shape.label, min(shape.p, shape.slots)),
                                    cal.startups.get((key.workload, shape.label)))
        if start is not None:
            return dataclasses.replace(inp, **startup_fields(start))
        offset = shape_startup_offset(cal, shape.label)
        return dataclasses.replace(inp, startup_fresh_s=np.maximum(
            inp.startup_fresh_s + offset, 0.0)) if offset else inp
    return dataclasses.replace(inp, background_cores=0.0, kept_workers=np.zeros(1))


def shape_startup_offset(cal: Calibration, label: str) -> float:
    """Seconds a measured shape adds to a fresh worker's start-up (fewer or more starts
    sharing the host's cores), from the workloads measured on it: the mean over them of
    their median there minus their median over every shape. 0 when none was."""
    overall = {k.workload: np.median(inp.startup_fresh_s) for k, inp in cal.inputs.items()}
    diffs = [np.median(start.fresh_s) - overall[w]
             for (w, shape), start in cal.startups.items() if shape == label and w in overall]
    return float(np.mean(diffs)) if diffs else 0.0


def predict(cal: Calibration, key: tuple, shape: Shape, max_evals: int,
            draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED) -> Prediction:
    """The shape simulated `draws` times (AUTO_DRAWS: until the interval is stable)."""
    inp = inputs_for(cal, key, shape)
    rng = np.random.default_rng(seed)
    walls, util, rates = [], [], []

    def one() -> None:
        out = simulate(inp, shape, max_evals, rng)
        walls.append(out.wall_s)
        util.append(out.slot_busy_s / (shape.slots * out.wall_s) if out.wall_s > 0 else np.nan)
        books = out.book_times
        span = books[-1] - books[0] if len(books) > 1 else 0.0
        rates.append((len(books) - 1) / span if span > 0 else np.nan)
    for _ in range(draws or MIN_DRAWS):
        one()
    while not draws and len(walls) < MAX_DRAWS:
        before = np.percentile(walls, INTERVAL)
        for _ in range(DRAW_BATCH):
            one()
        if settled(before, np.percentile(walls, INTERVAL), float(np.median(walls))):
            break
    draws = len(walls)
    walls = np.array(walls)
    wall = float(np.median(walls))
    key = ClassKey.of(key)
    low, high = interval(walls, cal.repeat_ratios.get(key))
    return Prediction(workload=key.workload, n_jobs=key.n_jobs, env=key.env, shape=shape,
                      max_evals=max_evals,
                      wall_s=wall, wall_low_s=low, wall_high_s=high,
                      core_s_per_trial=wall * shape.total_cores / max_evals,
                      utilisation=float(np.nanmedian(util)),
                      launch_rate=float(np.nanmedian(rates)) if np.isfinite(rates).any()
                      else float("nan"), draws=draws, walls=tuple(walls.tolist()))


def settled(before, after, median: float) -> bool:
    """Neither end of the interval moved more than STABLE_SHIFT of the median."""
    shift = np.max(np.abs(np.asarray(after, float) - np.asarray(before, float)))
    return bool(shift <= STABLE_SHIFT * max(abs(median), 1e-9))


def predict_serial(cal: Calibration, key: tuple, max_evals: int, condition: str = NATIVE,
                   draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED):
    """(median, low, high) wall of serial Trials for the class, or None if never measured
    (AUTO_DRAWS: MIN_DRAWS)."""
    draws = draws or MIN_DRAWS
    inp = cal.serial.get((ClassKey.of(key), condition))
    if inp is None or not len(inp.serial_objective_s):
        return None
    rng = np.random.default_rng(seed)
    walls = np.array([simulate_serial(inp, max_evals, rng) for _ in range(draws)])
    low, high = np.percentile(walls, INTERVAL)
    return float(np.median(walls)), float(low), float(high)


def predict_many(cal: Calibration, shapes: list[Shape], max_evals: int, keys=None,
                 draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED) -> list[Prediction]:
    keys = keys if keys is not None else cal.classes()
    return [predict(cal, key, shape, max_evals, draws, seed) for key in keys for shape in shapes]
