"""How long a run will take, said before its first cell.

One cell = one simulated fmin call (bench.predict.simulate), its inputs taken from priors
(bench.predict.priors: objective times and SparkTrials costs measured on a reference 2-core
machine), plus the harness' own time around the cells (Spark session and warm-up, a fresh
process per serial cell with its own thread environment, the report). A workload without a
prior (an own objective) is assumed to take DEFAULT_OBJECTIVE_S per trial, and the
estimate says so. On --resume the run's finished cells refine it: a configuration already
measured in another repeat takes its measured wall, and every other cell the prior scaled
by how the finished cells compared with theirs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import grid as grid_mod
from ..keys import env_label
from ..shapes import parse_label
from . import priors as priors_mod
from .simulate import Inputs, Shape, simulate, simulate_serial

#: Seconds per trial assumed for a workload without a prior: slower than every built-in one
#: on the reference machine, so the estimate errs long.
DEFAULT_OBJECTIVE_S = 1.0
DRAWS = 5
SEED = 13
#: A finished run's measured/estimated ratio is trusted within these bounds.
FACTOR_BOUNDS = (1 / 3, 3.0)


@dataclass
class Estimate:
    """Seconds per pending cell (fmin wall plus the harness' time around it), before the
    first cell (process and Spark start, warm-up) and after the last (the report)."""

    cells: dict = field(default_factory=dict)
    start_s: float = 0.0
    end_s: float = 0.0
    sessions_s: float = 0.0          # extra sessions (thread environments, clusters)
    notes: list = field(default_factory=list)
    refined_by: int = 0              # finished cells of this run the estimate used
    factor: float = 1.0

    @property
    def total_s(self) -> float:
        return self.start_s + self.sessions_s + sum(self.cells.values()) + self.end_s

    def line(self) -> str:
        """`estimated time: ...` and what it rests on, for the terminal."""
        parts = [f"cells {duration(sum(self.cells.values()))}",
                 f"Spark start and warm-up {duration(self.start_s + self.sessions_s)}"]
        if self.end_s:
            parts.append(f"report {duration(self.end_s)}")
        left = " left" if self.refined_by else ""
        text = (f"estimated time: {duration(self.total_s)} for {len(self.cells)} cell(s){left} "
                f"({', '.join(parts)})")
        basis = (f"refined with the {self.refined_by} finished cell(s) of this run, which took "
                 f"{self.factor:.2g}x their estimate" if self.refined_by else
                 "from priors measured on a reference 2-core machine")
        return "\n  ".join([f"{text}; {basis}", *self.notes])


def duration(seconds: float) -> str:
    """'45 s', '4 min 40 s', '1 h 05 min'."""
    s = int(round(max(0.0, seconds)))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


class _Model:
    """The priors, this machine's cores and the scenario's workloads: one cell's seconds."""

    def __init__(self, priors: dict, grid: dict, cores: int):
        self.p, self.cores = priors, max(1, int(cores or 1))
        self.grid = grid
        self.workloads = {w["name"]: w for w in grid.get("workloads") or []
                          if isinstance(w, dict)}
        self.notes: dict = {}
        self.rng = np.random.default_rng(SEED)

    def kind(self, workload: str) -> str | None:
        """The workload's start-up kind, None for an own objective (no prior)."""
        w = self.workloads.get(workload, {"name": workload})
        if "objective" in w:
            return None
        kind = priors_mod.workload_kind(w["name"], w.get("builtin"))
        return kind if kind in self.p["startup"] else None

    def objective(self, cell: dict, where: str) -> tuple[np.ndarray, float]:
        """(objective seconds samples, cores one keeps busy) in `where`: 'spark' or a
        serial condition."""
        w = self.workloads.get(cell["workload"], {})
        if self.kind(cell["workload"]) == priors_mod.SLEEP:
            seconds = w.get("sleep_seconds", (self.grid.get("sleep") or {}).get("seconds", 0.3))
            return np.array([float(seconds)]), 0.01
        entry = self._objective_entry(cell)
        if entry is None:
            self.notes.setdefault(cell["workload"], (
                f"workload {cell['workload']!r} has no prior: {DEFAULT_OBJECTIVE_S:g} s per "
                "trial assumed (a conservative default; --resume refines it)"))
            return np.array([DEFAULT_OBJECTIVE_S]), 1.0
        serial = entry.get("serial_s") or {}
        if where == "spark":
            samples = entry.get("spark_s") or serial.get("native")
        else:
            samples = serial.get(where) or serial.get("native") or entry.get("spark_s")
        return np.asarray(samples, float), float(entry.get("demand_cores", 1.0))

    def _objective_entry(self, cell: dict) -> dict | None:
        """The cell's own objective prior, else the workload's with the same n_jobs, else
        any of the workload's (an own objective has none)."""
        if self.kind(cell["workload"]) is None:
            return None
        objectives = self.p["objectives"]
        env = env_label(cell.get("thread_env_set") or {})
        key = priors_mod.objective_key(cell["workload"], cell.get("n_jobs"), env)
        if key in objectives:
            return objectives[key]
        same = [k for k in sorted(objectives) if k.startswith(key.rsplit("|", 1)[0] + "|")]
        same = same or [k for k in sorted(objectives) if k.startswith(cell["workload"] + "|")]
        return objectives[same[0]] if same else None

    def startup(self, cell: dict) -> dict:
        group = priors_mod.startup_group(cell.get("variant"))
        kind = self.kind(cell["workload"])
        by_kind = self.p["startup"].get(kind) or max(  # an own objective: the slowest start
            self.p["startup"].values(), key=lambda s: np.median(s["stock"]["fresh_s"]))
        return by_kind.get(group) or by_kind["stock"]

    def spark_wall(self, cell: dict) -> float:
        obj, demand = self.objective(cell, "spark")
        start = self.startup(cell)
        loops = self.p["loops"][priors_mod.loop_group(cell.get("variant"))]
        reused = np.asarray(start["reused_s"] or start["fresh_s"], float)
        inp = Inputs(objective_s=obj, demand_cores=demand,
                     startup_fresh_s=np.asarray(start["fresh_s"], float),
                     startup_reused_s=reused, reuse_prob=start["reuse_prob"],
                     return_s=np.asarray(start["return_s"], float),
                     fmin_period_s=loops["fmin_period_s"],
                     dispatch_period_s=loops["dispatch_period_s"],
                     first_suggest_s=loops["first_suggest_s"],
                     dispatch_phase_s=np.asarray(loops["dispatch_phase_s"] or [0.0], float),
                     kept_workers=np.array([start.get("kept_workers", 0.0)]),
                     prewarmed=start["reuse_prob"] > 0,
                     startup_kept_s=np.asarray(start.get("kept_s") or [], float))
        walls = [simulate(inp, self.shape(cell), int(cell["max_evals"]), self.rng).wall_s
                 for _ in range(DRAWS)]
        return float(np.median(walls)) + float(start.get("prewarm_s", 0.0) or 0.0)

    def shape(self, cell: dict) -> Shape:
        p, q = int(cell["parallelism"]), int(cell["max_queue_len"])
        parsed = parse_label(cell.get("cluster") or "")
        if parsed:
            workers, per_worker, tc = parsed
            return Shape(workers, per_worker, tc, p, q, host_cores=self.cores,
                         label=cell["cluster"])
        return Shape(1, self.cores, 1, p, q, host_cores=self.cores, label="local")

    def serial_wall(self, cell: dict) -> float:
        condition = cell.get("condition") or "native"
        obj, _ = self.objective(cell, condition)
        over = self.p["serial_overhead_s"]
        inp = Inputs(objective_s=obj, demand_cores=1.0, startup_fresh_s=obj, startup_reused_s=obj,
                     reuse_prob=0.0, return_s=obj, fmin_period_s=1.0, dispatch_period_s=1.0,
                     first_suggest_s=0.0, dispatch_phase_s=obj, serial_objective_s=obj,
                     serial_overhead_s=np.array([over.get(condition, over.get("native", 0.0))]))
        return float(np.median([simulate_serial(inp, int(cell["max_evals"]), self.rng)
                                for _ in range(DRAWS)]))

    def pool_wall(self, cell: dict) -> float:
        obj, _ = self.objective(cell, "native")
        workers = min(int(cell["parallelism"]), self.cores)
        return math.ceil(int(cell["max_evals"]) / workers) * float(np.mean(obj))

    def cell_s(self, cell: dict) -> float:
        """A cell's fmin wall (capped by the scenario's timeout) and the harness' time
        around it."""
        mode = cell["mode"]
        wall = (self.serial_wall(cell) if mode == "serial" else
                self.pool_wall(cell) if mode == "pool" else self.spark_wall(cell))
        timeout = self.grid.get("timeout_s")
        if timeout:
            wall = min(wall, float(timeout))
        return wall + self.p["harness"].get(f"gap_{priors_mod.cell_kind(cell)}_s", 0.0)


def _session_starts(cells: list[dict], harness: dict) -> float:
    """Seconds the cells spend starting what the run's first session does not give them:
    a standalone cluster per shape (with its session and warm-up), a session per other
    thread environment, in the order the runner groups them (bench.grid.segments)."""
    planned = [grid_mod.Cell(**c) for c in cells]
    total, cluster, session = 0.0, None, None
    for shape, segment in grid_mod.segments(planned):
        keys = [priors_mod.session_of(c.to_dict()) for c in segment if c.mode == "spark"]
        if shape and shape != cluster:
            total += harness.get("cluster_start_s", harness.get("session_s", 30.0))
        elif keys and session is not None and keys[0] != session:
            total += harness.get("session_s", 10.0)
        cluster = shape
        session = keys[-1] if keys else session
    return total


def estimate(grid: dict, cells: list[dict], cores: int, *, report: bool = False,
             measured: dict | None = None, priors: dict | None = None,
             busy_cores: float | None = None) -> Estimate:
    """The estimate for `cells` (planned cell dicts, in run order) of a scenario whose
    resolved grid is `grid`; `measured` maps finished cells (of the same plan) to their
    measured fmin walls; `busy_cores`: how many cores other processes keep busy now (a
    note when it is more than the reference machine's priors saw)."""
    priors = priors if priors is not None else priors_mod.load()
    model = _Model(priors, grid, cores)
    measured = measured or {}
    done = [c for c in cells if c["cell_id"] in measured]
    pending = [c for c in cells if c["cell_id"] not in measured]
    est = Estimate(start_s=priors["harness"].get("run_start_s", 10.0),
                   sessions_s=_session_starts(pending, priors["harness"]))
    prior = {c["cell_id"]: model.cell_s(c) for c in cells}
    if done:
        ratio = sum(measured[c["cell_id"]] for c in done) / max(
            1e-9, sum(prior[c["cell_id"]] for c in done))
        est.factor = float(np.clip(ratio, *FACTOR_BOUNDS))
        est.refined_by = len(done)
    same = _measured_by_configuration(done, measured)
    for c in pending:
        key = grid_mod.Cell(**c).settings_key
        est.cells[c["cell_id"]] = (float(np.median(same[key])) if key in same
                                   else prior[c["cell_id"]] * est.factor)
    if report:
        est.end_s = priors["harness"].get("report_per_cell_s", 1.0) * len(cells)
    est.notes = list(model.notes.values()) + _busy_note(busy_cores, cores, priors)
    return est


def _busy_note(busy: float | None, cores: int, priors: dict) -> list[str]:
    """Say so when other processes keep more of this machine busy than they kept the
    reference machine's while its least busy prior run was measured: the run will likely
    take longer."""
    seen = [r.get("other_busy_cores_median") or 0.0
            for r in (priors.get("reference") or {}).get("runs", [])]
    reference = min(seen, default=0.0)
    if busy is None or busy < max(0.5, reference + 0.25):
        return []
    return [f"this machine is busy now (other processes keep {busy:.1f} of {cores} cores "
            f"busy, the reference machine {reference:.1f}): expect longer; the progress "
            "bar's time left follows the run"]


def busy_cores_now(seconds: float = 0.5) -> float | None:
    """Cores other processes keep busy, sampled over `seconds` (None when unreadable)."""
    try:
        import psutil

        return psutil.cpu_percent(interval=seconds) / 100.0 * (psutil.cpu_count() or 1)
    except Exception:  # the note is optional; never fail a run on it
        return None


def _measured_by_configuration(done: list[dict], measured: dict) -> dict:
    out: dict = {}
    for c in done:
        out.setdefault(grid_mod.Cell(**c).settings_key, []).append(measured[c["cell_id"]])
    return out


def master_cores(master: str | None) -> int | None:
    """Task slots of a local master ('local[4]' -> 4); None for local[*] or a cluster."""
    text = (master or "").strip()
    if text.startswith("local[") and text.endswith("]") and text[6:-1].isdigit():
        return int(text[6:-1])
    return None


def for_scenario(scn, *, report: bool = False, master: str | None = None) -> Estimate:
    """The estimate of a new run of a loaded scenario (bench.scenario.Scenario)."""
    from ..environment import usable_cores
    from ..scenario import describe_settings

    cells = [c.to_dict() for c in grid_mod.expand(scn.settings)]
    return estimate(describe_settings(scn.settings), cells,
                    master_cores(master) or usable_cores() or 1, report=report,
                    busy_cores=busy_cores_now())


def for_resume(path, *, report: bool = False, master: str | None = None) -> Estimate:
    """The estimate of what is left of an interrupted run, refined by its finished cells."""
    from ..environment import usable_cores
    from ..storage import RunFolder

    folder = RunFolder(path)
    manifest = folder.read_manifest()
    measured = {c["cell_id"]: c["wall_s"] for c in folder.committed().cells
                if c.get("wall_s") is not None and not c.get("error")}
    cores = master_cores(master or manifest.requested_master) or usable_cores() or 1
    return estimate(manifest.grid or {}, manifest.planned_cells, cores,
                    report=report, measured=measured, busy_cores=busy_cores_now())


def for_ab(scns: dict, cells: list, *, stacks: dict | None = None,
           master: str | None = None) -> Estimate:
    """The estimate of an A/B run: each side's cells (planned cell dicts tagged with `side`)
    from that side's own scenario; both drivers start before the first cell. The priors are
    this environment's: a side on another stack is estimated as if it ran on this one (said)."""
    from ..environment import usable_cores
    from ..scenario import describe_settings

    cores = master_cores(master) or usable_cores() or 1
    parts = [estimate(describe_settings(scn.settings), [c for c in cells if c["side"] == side],
                      cores) for side, scn in scns.items()]
    est = Estimate(start_s=sum(p.start_s for p in parts),
                   cells={k: v for p in parts for k, v in p.cells.items()})
    other = [f"side {side} runs on stack {stack!r}: estimated with the priors of this one"
             for side, stack in (stacks or {}).items() if stack != "current"]
    est.notes = list(dict.fromkeys(n for p in parts for n in p.notes)) + other + _busy_note(
        busy_cores_now(), cores, priors_mod.load())
    return est
