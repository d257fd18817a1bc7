"""Priors for the time estimate: what a fresh clone knows before it has run anything.

Objective times per workload and thread setting, SparkTrials' costs (Python worker start,
hyperopt's loops, result return) and the harness' own time around the cells (Spark session
and warm-up, a fresh process per serial cell with its own thread environment, the report),
measured on a reference 2-core machine: bench.predict.calibrate fitted on its runs, each
distribution kept as ten quantiles. They ship as `priors.json` beside this module; to fit
them on a machine of one's own (the first run named wins where two measured the same thing):

    python -m bench.predict.priors results/<run-id> [results/<run-id> ...] > priors.json

(which also times `python -m bench report` on each run for the report's share).
"""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import load_run
from ..errors import BenchError
from ..model import Manifest
from ..variant_table import VARIANTS
from .calibrate import Calibration, calibrate, prepare, variants_in

PATH = Path(__file__).with_name("priors.json")
FORMAT = 1
QUANTILES = np.linspace(0.05, 0.95, 10)
SLEEP = "sleep"


def quantiles(values) -> list[float]:
    """Ten quantiles of a measured distribution (empty: none measured)."""
    a = np.asarray(values, float)
    a = a[np.isfinite(a)]
    return [round(float(x), 4) for x in np.quantile(a, QUANTILES)] if len(a) else []


def workload_kind(workload: str, builtin: str | None = None) -> str:
    """What the start-up of a workload's trials depends on: its libraries (rf, lgbm, sleep)."""
    name = builtin or workload
    return SLEEP if name == SLEEP or name.startswith(SLEEP + "_") else name


def objective_key(workload: str, n_jobs, env: str = "") -> str:
    """The key of one objective's priors: workload, n_jobs label, thread environment."""
    return f"{workload}|{'None' if n_jobs is None else n_jobs}|{env}"


def loop_group(variant: str | None) -> str:
    spec = VARIANTS.get(variant or "stock")
    return "fastpoll" if spec is not None and spec.fastpoll else "stock"


def startup_group(variant: str | None) -> str:
    spec = VARIANTS.get(variant or "stock")
    return "reuse" if spec is not None and spec.reuse else "stock"


def load(path: Path | None = None) -> dict:
    """The priors file (the shipped one by default)."""
    path = Path(path) if path is not None else PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BenchError(f"{path}: cannot read the estimate's priors ({exc})") from None
    if data.get("format") != FORMAT:
        raise BenchError(f"{path}: priors format {data.get('format')!r}, expected {FORMAT}")
    return data


# --- fitting ---------------------------------------------------------------------------------
def _add_calibration(priors: dict, cal: Calibration, cells: pd.DataFrame) -> None:
    """One variant's calibration: its loops, start-up per workload kind, objectives."""
    prewarm = pd.to_numeric(cells.loc[cells["variant_label"] == cal.variant, "prewarm_s"],
                            errors="coerce").dropna()
    priors["loops"].setdefault(loop_group(cal.variant), {
        **{k: round(cal.loops[k], 4) for k in ("fmin_period_s", "dispatch_period_s",
                                               "first_suggest_s")},
        "dispatch_phase_s": quantiles(cal.dispatch_phases)})
    by_kind: dict = {}
    for key, inp in sorted(cal.inputs.items()):
        by_kind.setdefault(workload_kind(key.workload), []).append(inp)
    for kind, inputs in by_kind.items():  # every workload of a kind pooled (sleep lengths)
        def pooled(field: str) -> list[float]:
            return quantiles(np.concatenate([getattr(i, field) for i in inputs]))

        priors["startup"].setdefault(kind, {}).setdefault(startup_group(cal.variant), {
            "fresh_s": pooled("startup_fresh_s"), "reused_s": pooled("startup_reused_s"),
            "kept_s": pooled("startup_kept_s"), "return_s": pooled("return_s"),
            "reuse_prob": round(float(np.mean([i.reuse_prob for i in inputs])), 3),
            "kept_workers": round(float(np.mean([np.mean(i.kept_workers) for i in inputs])), 3),
            "prewarm_s": round(float(prewarm.median()), 3) if len(prewarm) else 0.0})
    for key, inp in sorted(cal.inputs.items()):
        if workload_kind(key.workload) == SLEEP:
            continue  # a sleep trial's length is its setting
        entry = priors["objectives"].setdefault(objective_key(*key), {"serial_s": {}})
        entry.setdefault("spark_s", quantiles(inp.objective_s))
        entry.setdefault("demand_cores", round(inp.demand_cores, 3))
        entry.setdefault("oversubscribed_slowdown", round(inp.oversubscribed_slowdown, 3))
    for (key, condition), inp in sorted(cal.serial.items()):
        if workload_kind(key.workload) != SLEEP:
            entry = priors["objectives"].setdefault(objective_key(*key), {"serial_s": {}})
            entry["serial_s"].setdefault(condition, quantiles(inp.serial_objective_s))
        priors["serial_overhead_s"].setdefault(
            condition, round(float(np.median(inp.serial_overhead_s)), 4))


def cell_kind(cell: dict) -> str:
    """What the harness does around a cell besides its fmin call (bench.runner)."""
    if cell.get("mode") == "serial":
        if cell.get("thread_env_set"):
            return "serial_child"      # a fresh driver process (bench.cellspawn)
        return "serial_condition" if cell.get("condition", "native") != "native" else "serial"
    if cell.get("mode") == "pool":
        return "pool"
    return "spark_prewarm" if startup_group(cell.get("variant")) == "reuse" else "spark"


def _harness(cells: pd.DataFrame, manifest: Manifest) -> dict:
    """Seconds outside the fmin calls: before the first cell (process, Spark session,
    warm-up); before a cell that starts a standalone cluster, or a session for another
    thread environment (with its warm-up); else between cells, by the kind of the next
    one (medians)."""
    rows = cells.dropna(subset=["start_ts", "end_ts"]).sort_values("start_ts")
    rows = rows.to_dict("records")
    created = dt.datetime.fromisoformat(manifest.created).timestamp()
    gaps: dict = {}
    session = None
    for prev, cur in zip(rows, rows[1:]):
        gap = cur["start_ts"] - prev["end_ts"]
        cluster = cur.get("cluster") if isinstance(cur.get("cluster"), str) else None
        key = session_of(cur)
        if cluster and cluster != (prev.get("cluster") if isinstance(prev.get("cluster"), str)
                                   else None):
            gaps.setdefault("cluster_start", []).append(gap)
        elif key is not None and session is not None and key != session:
            gaps.setdefault("session", []).append(gap)
        else:
            gaps.setdefault(f"gap_{cell_kind(cur)}", []).append(gap)
        session = key if key is not None else session
    out = {"run_start_s": round(float(rows[0]["start_ts"] - created), 2)}
    out.update({f"{k}_s": round(float(np.median(v)), 3) for k, v in sorted(gaps.items())})
    return out


def session_of(cell: dict):
    """The Spark session a spark cell needs (cluster shape, thread environment); None for
    the other modes, which run in the driver whatever session is open."""
    if cell.get("mode") != "spark":
        return None
    cluster = cell.get("cluster") if isinstance(cell.get("cluster"), str) else None
    env = cell.get("thread_env_set")
    return cluster, tuple(sorted(env.items())) if isinstance(env, dict) else ()


def fit(paths, report_seconds: dict | None = None) -> dict:
    """Priors from finished runs; `report_seconds` (run path -> seconds the report of that
    run took) adds the report's cost per cell."""
    priors = {"format": FORMAT, "reference": {"runs": [], "cores": None},
              "loops": {}, "startup": {}, "objectives": {}, "serial_overhead_s": {},
              "harness": {}}
    for path in paths:
        run = load_run(path)
        prepared = prepare(run)
        for variant in variants_in(run):
            _add_calibration(priors, calibrate(run, variant, prepared=prepared),
                             prepared.cells)
        for k, v in _harness(run.cells, run.manifest).items():
            priors["harness"].setdefault(k, v)
        priors["reference"]["cores"] = (priors["reference"]["cores"]
                                        or run.manifest.logical_cores)
        priors["reference"]["cpu_model"] = run.manifest.cpu_model
        priors["reference"]["runs"].append(
            {"run_id": run.run_id, "cells": int(len(run.cells)),
             "other_busy_cores_median": _busy(run.trials)})
    per_cell = [s / max(1, len(load_run(p).cells)) for p, s in (report_seconds or {}).items()]
    priors["harness"]["report_per_cell_s"] = round(float(np.median(per_cell)), 3) \
        if per_cell else 1.0
    return priors


def _busy(trials: pd.DataFrame):
    """How busy the reference machine was: median cores other processes kept busy."""
    v = pd.to_numeric(trials.get("other_busy_cores"), errors="coerce").dropna()
    return round(float(v.median()), 2) if len(v) else None


def main(argv=None) -> int:
    """`python -m bench.predict.priors RUN_FOLDER... > priors.json`: the first run named
    wins wherever two runs measure the same thing; bad input is one line, exit 2."""
    import argparse
    import subprocess
    import sys
    import tempfile
    import time

    from ..errors import BenchError

    parser = argparse.ArgumentParser(
        prog="python -m bench.predict.priors",
        description="Fit the estimate's priors from finished runs (JSON on stdout); the first "
                    "run named wins wherever two runs measure the same thing.")
    parser.add_argument("runs", nargs="+", metavar="RUN_FOLDER")
    paths = parser.parse_args(argv).runs
    try:
        seconds = {}
        for p in paths:
            with tempfile.TemporaryDirectory() as out:
                t0 = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "bench", "report", p, "--out", out],
                                      capture_output=True, text=True)
                if done.returncode:  # the report's own one-line error
                    last = (done.stderr.strip().splitlines() or [f"{p}: report failed"])[-1]
                    raise BenchError(last.removeprefix("error: "))
                seconds[p] = time.perf_counter() - t0
        priors = fit(paths, seconds)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(priors, indent=1, sort_keys=True,
                     default=lambda v: None if isinstance(v, float) and math.isnan(v) else v))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
