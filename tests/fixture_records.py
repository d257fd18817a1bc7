"""Synthetic results folders for the analysis and report tests.

`write_known_run` builds a small run whose answers are known by construction (speedup
exactly 2.0, concurrency 1.0, latency shares 12.5/25/50/12.5 %, ...); `interrupt_run` turns
it into a killed run; `write_large_run` builds a random run of any size for the benchmark.
Everything is written through bench.storage, as the runner writes it.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from bench.model import SCHEMA_VERSION
from bench.storage import RunFolder, append_jsonl

BASE_TS = 1_750_000_000.0
HOST = "host-a"
DRIVER_PID = 100
CONDITIONS = {
    "native": {"emulated": False, "description": "Driver as it is."},
    "busy_driver": {"emulated": True,
                    "description": "Driver with two CPU burners running beside fmin."},
}

# Known-answer design of write_known_run (workload "sleep", n_jobs 1, 4 evals per cell).
SERIAL_WALLS = [7.9, 8.0, 8.1]          # median 8.0
BUSY_WALLS = [15.0, 16.0, 17.0]         # median 16.0 (emulated busy driver)
SPARK2_WALLS = [3.9, 4.0, 4.1]          # median 4.0 -> speedup 2.0 vs native serial
SPARK4_WALLS = [3.0, 3.0, 3.0]          # 4 trials at once on 2 slots
SERIAL_PARTS = (0.0, 0.0, 1.9, 0.1)     # wait, dispatch->start, objective, return
SPARK_PARTS = (0.25, 0.5, 1.0, 0.25)    # shares 12.5 %, 25 %, 50 %, 12.5 %
SERIAL_LOSSES = [0.5, 0.3, 0.4, 0.2]    # best after k: 0.5 0.3 0.3 0.2
SPARK_LOSSES = [0.6, 0.5, 0.35, 0.4]    # best after k: 0.6 0.5 0.35 0.35
TASK_SLOTS = 2
SPARK_TASK = {"submit": 0.05, "schedule": 0.02, "scheduler_delay": 0.02,
              "deserialize": 0.01, "python_start": 0.4, "result_serialize": 0.005}


def cell_dict(run_id, mode, workload, parallelism, repeat, *, max_queue_len=None, n_jobs=1,
              max_evals=4, condition="native", order=0, thread_env=None,
              variant=None) -> dict:
    """A planned cell as the manifest lists it (`thread_env`: the variables the harness set
    for it, e.g. {"OMP_WAIT_POLICY": "passive"}; none by default; `variant`: the SparkTrials
    variant of a spark cell, stock when None)."""
    queue = max_queue_len if max_queue_len is not None else (1 if mode == "serial" else 1)
    par = parallelism if mode == "spark" else None
    tag = f"p{par}q{queue}" if mode == "spark" else condition
    tag += f"-{variant}" if variant and mode == "spark" else ""
    env = "".join(f"-{k.lower()}-{str(v).lower()}" for k, v in sorted((thread_env or {}).items()))
    cell = {"cell_id": f"{workload}-{mode}-{tag}-n{n_jobs}-e{max_evals}{env}-r{repeat}",
            "mode": mode, "workload": workload, "parallelism": par, "max_queue_len": queue,
            "n_jobs": n_jobs, "max_evals": max_evals, "repeat": repeat,
            "condition": condition, "order": order}
    if thread_env:
        cell["thread_env_set"] = dict(thread_env)
    if variant and mode == "spark":
        cell["variant"] = variant
    return cell


def manifest(run_id: str, cells: list[dict], *, status="finished", task_slots=TASK_SLOTS,
             conditions=None) -> dict:
    """A manifest with every key the runner writes."""
    return {
        "schema_version": SCHEMA_VERSION, "run_id": run_id, "created": "2025-06-15T10:00:00",
        "status": status,
        "scenario": {"name": "synthetic", "path": "scenarios/synthetic.py", "sha256": "0" * 64,
                     "source": "", "description": "Synthetic results for tests."},
        "profile": "quick",
        "grid": {"workloads": sorted({c["workload"] for c in cells}), "repeats": 3},
        "cells": cells, "argv": ["run", "scenarios/synthetic.py"],
        "environment": {"python": "3.11.2", "packages": {"hyperopt": "0.3.0",
                                                         "pyspark": "4.3.0"},
                        "java": "17", "cpu_model": "Test CPU", "logical_cores": 2,
                        "physical_cores": 2, "memory_bytes": 8 * 2**30, "hostname": HOST,
                        "platform": "Linux", "thread_env": {}, "git_commit": "abc123"},
        "spark": {"master": "local[2]", "version": "4.3.0", "default_parallelism": 2,
                  "task_cpus": 1, "task_slots": task_slots, "executor_cores": None,
                  "conf": {}},
        "conditions": conditions or CONDITIONS,
    }


def _trial(cell: dict, run_id: str, tid: int, start: float, parts, loss, *, spark: bool,
           pid: int, attempt: int | None) -> dict:
    wait, d2s, obj, ret = parts
    suggest = start
    book = suggest + wait
    begin = book + d2s
    end = begin + obj
    return {
        "run_id": run_id, "cell_id": cell["cell_id"], "mode": cell["mode"],
        "workload": cell["workload"], "parallelism": cell["parallelism"],
        "max_queue_len": cell["max_queue_len"], "n_jobs": cell["n_jobs"],
        "max_evals": cell["max_evals"], "repeat": cell["repeat"],
        "condition": cell["condition"], "thread_env_set": cell.get("thread_env_set", {}),
        "variant": cell.get("variant"),
        "tid": tid, "status": "ok", "loss": loss,
        "params": {"x": tid}, "error": None,
        "suggest_ts": suggest, "book_ts": book, "refresh_ts": end + ret,
        "start_ts": begin, "end_ts": end, "objective_s": obj,
        "cpu_s": obj * (1.0 if spark else 2.0),
        "effective_cores": 1.0 if spark else 2.0, "peak_threads": 3 if spark else 9,
        "omp_num_threads": "1" if spark else None,
        "thread_env": {"OMP_NUM_THREADS": "1"} if spark else {},
        "threadpools": [{"library": "libgomp", "api": "openmp",
                         "num_threads": 1 if spark else 2}],
        "model_threads_requested": cell["n_jobs"],
        "model_threads_effective": 1 if spark else 2,
        "pid": pid, "hostname": HOST,
        "spark_stage_id": attempt if spark else None,
        "spark_partition_id": 0 if spark else None,
        "spark_task_attempt_id": attempt, "spark_task_cpus": 1 if spark else None,
        "wait_dispatch_s": wait, "dispatch_to_start_s": d2s, "return_s": ret,
    }


def _task(run_id: str, trial: dict, job_id: int) -> dict:
    t = SPARK_TASK
    submit = trial["book_ts"] + t["submit"]
    launch = submit + t["schedule"]
    finish = trial["end_ts"] + 0.01
    return {"run_id": run_id, "cell_id": trial["cell_id"], "tid": trial["tid"],
            "job_id": job_id, "job_group": trial["cell_id"], "stage_id": job_id,
            "task_attempt_id": trial["spark_task_attempt_id"], "executor_id": "driver",
            "host": HOST, "job_submit_ts": submit, "job_end_ts": finish + 0.01,
            "launch_ts": launch, "finish_ts": finish,
            "scheduler_delay_s": t["scheduler_delay"], "deserialize_s": t["deserialize"],
            "run_s": trial["objective_s"] + t["python_start"], "cpu_s": 0.01,
            "result_serialize_s": t["result_serialize"], "gc_s": 0.0, "successful": True}


def _cell_record(cell: dict, run_id: str, start: float, wall: float, trials: list[dict]) -> dict:
    losses = [t["loss"] for t in trials if t["status"] == "ok"]
    spark = cell["mode"] == "spark"
    return {"run_id": run_id, **cell, "emulated": CONDITIONS.get(cell["condition"], {}).get(
                "emulated", False),
            "start_ts": start, "end_ts": start + wall, "wall_s": wall,
            "trials_ok": len(losses), "trials_failed": len(trials) - len(losses),
            "best_loss": min(losses) if losses else None,
            "task_slots": TASK_SLOTS if spark else None,
            "spark_job_group": cell["cell_id"] if spark else None, "error": None}


class _Ids:
    """Counters for pids, task attempt ids and job ids across a run."""

    def __init__(self):
        self.pid = 1000
        self.attempt = 0

    def next_pid(self) -> int:
        self.pid += 1
        return self.pid

    def next_attempt(self) -> int:
        self.attempt += 1
        return self.attempt


def _known_cell_trials(cell: dict, run_id: str, start: float, ids: _Ids):
    """Trials of one known cell: serial back to back; spark in `parallelism` lanes, each
    lane running its trials back to back (2.0 s per trial: 0.25 + 0.5 + 1.0 + 0.25)."""
    n = cell["max_evals"]
    if cell["mode"] == "serial":
        step = sum(SERIAL_PARTS)
        return [_trial(cell, run_id, tid, start + tid * step, SERIAL_PARTS,
                       SERIAL_LOSSES[tid], spark=False, pid=DRIVER_PID, attempt=None)
                for tid in range(n)]
    lanes = cell["parallelism"]
    step = sum(SPARK_PARTS)
    return [_trial(cell, run_id, tid, start + (tid // lanes) * step, SPARK_PARTS,
                   SPARK_LOSSES[tid], spark=True, pid=ids.next_pid(),
                   attempt=ids.next_attempt())
            for tid in range(n)]


def known_plan(run_id: str) -> list[tuple[dict, float]]:
    """(planned cell, wall seconds) of the known run, in execution order."""
    plan = []
    for repeat in range(3):
        plan.append((cell_dict(run_id, "serial", "sleep", None, repeat), SERIAL_WALLS[repeat]))
        plan.append((cell_dict(run_id, "serial", "sleep", None, repeat,
                               condition="busy_driver"), BUSY_WALLS[repeat]))
        plan.append((cell_dict(run_id, "spark", "sleep", 2, repeat), SPARK2_WALLS[repeat]))
        plan.append((cell_dict(run_id, "spark", "sleep", 4, repeat), SPARK4_WALLS[repeat]))
    for order, (cell, _) in enumerate(plan):
        cell["order"] = order
    return plan


def write_known_run(root: Path, run_id: str = "known-run", extra_planned: int = 0,
                    status: str = "finished") -> RunFolder:
    """Write the known-answer run under root/results/run_id. `extra_planned` adds planned
    spark cells (workload 'sleep', parallelism 8) that never ran."""
    plan = known_plan(run_id)
    planned = [c for c, _ in plan]
    for i in range(extra_planned):
        planned.append(cell_dict(run_id, "spark", "sleep", 8, i, order=len(planned)))
    folder = RunFolder(Path(root) / "results" / run_id).create(
        manifest(run_id, planned, status=status))
    ids = _Ids()
    start = BASE_TS
    job = 0
    for cell, wall in plan:
        trials = _known_cell_trials(cell, run_id, start, ids)
        folder.append_cell(_cell_record(cell, run_id, start, wall, trials), trials)
        if cell["mode"] == "spark":
            tasks = []
            for t in trials:
                job += 1
                tasks.append(_task(run_id, t, job))
            append_jsonl(folder.spark_tasks_path, tasks)
        start += wall + 1.0
    return folder


# Known-answer design of write_setup_run: the user's current setup (every axis at its first
# value) and one-axis fixes of it, workload "sleep", 4 evals per cell, one repeat.
PASSIVE = {"OMP_WAIT_POLICY": "passive"}
SETUP_GRID = {"workloads": ["sleep"], "repeats": 1, "modes": ["serial", "spark", "pool"],
              "parallelism": [1, 2], "max_queue_len": [1, "parallelism"], "n_jobs": [0, 1],
              "variants": ["stock", "tuned"], "thread_env": [{}, PASSIVE], "max_evals": [4],
              "clusters": []}
#: (cell: mode, parallelism, keyword arguments of cell_dict; fmin wall s; warm-up before
#: the clock s (None: starts no workers)); the setup is n_jobs 0, queue 1, stock, {}.
SETUP_PLAN = [
    (("serial", None, {"n_jobs": 0}), 8.0, None),                        # setup, serial
    (("serial", None, {"n_jobs": 0, "condition": "busy_driver"}), 16.0, None),  # emulated
    (("spark", 1, {"n_jobs": 0}), 16.0, None),                           # setup p=1: 0.50x
    (("spark", 2, {"n_jobs": 0}), 10.0, None),                           # setup p=2: 0.80x
    (("spark", 2, {"n_jobs": 0, "max_queue_len": 2}), 8.0, None),        # public knob: 1.25x
    (("spark", 2, {"n_jobs": 0, "max_queue_len": 2, "variant": "tuned"}), 2.0, 2.0),  # 2.50x
    (("pool", 2, {"n_jobs": 0}), 3.0, 1.0),                              # pool: 2.50x
    (("serial", None, {"n_jobs": 1}), 6.0, None),                        # pinning, serial
    (("spark", 2, {"n_jobs": 1}), 5.0, None),                            # pinning p=2: 2.00x
    (("spark", 2, {"n_jobs": 0, "thread_env": PASSIVE}), 20.0, None),    # wait policy: 0.50x
    # two axes changed from the setup: no fix row, no pair
    (("spark", 2, {"n_jobs": 0, "max_queue_len": 2, "variant": "tuned",
                   "thread_env": PASSIVE}), 1.0, 0.5),
    (("spark", 2, {"n_jobs": 1, "thread_env": PASSIVE}), 3.0, None),
]


def write_setup_run(root: Path, run_id: str = "setup-run", plan=None) -> RunFolder:
    """The setup-and-fixes run under root/results/run_id (SETUP_PLAN unless `plan` given):
    its manifest's grid lists each axis with the setup first, as a scenario does."""
    cells, walls = [], {}
    for order, ((mode, par, kwargs), wall, warm) in enumerate(plan or SETUP_PLAN):
        cell = cell_dict(run_id, mode, "sleep", par, 0, order=order, **kwargs)
        if mode == "pool":
            cell["parallelism"] = par
            cell["cell_id"] = cell["cell_id"].replace("-pool-native-", f"-pool-p{par}-")
        cells.append(cell)
        walls[cell["cell_id"]] = (wall, warm)
    man = manifest(run_id, cells)
    man["grid"] = dict(SETUP_GRID)
    folder = RunFolder(Path(root) / "results" / run_id).create(man)
    ids, start = _Ids(), BASE_TS
    for cell in cells:
        wall, warm = walls[cell["cell_id"]]
        lanes = dict(cell, mode="spark", parallelism=cell["parallelism"] or 1)
        trials = [dict(t, mode=cell["mode"], parallelism=cell["parallelism"])
                  for t in _known_cell_trials(lanes if cell["mode"] == "pool" else cell,
                                              run_id, start, ids)]
        record = _cell_record(cell, run_id, start, wall, trials)
        if warm is not None:
            record.update(workers_prewarmed=cell["parallelism"], prewarm_s=warm)
        folder.append_cell(record, trials)
        start += wall + 1.0
    return folder


def interrupt_run(folder: RunFolder, torn: str = "cells") -> dict:
    """Simulate a kill during the first planned cell that never ran: its trials are written
    (orphans) and its cell line is cut in half (torn='cells'), or the kill hits while its
    trials are written, leaving a half trial line (torn='trials'). Returns that cell."""
    man = folder.manifest()
    done = folder.committed().cell_ids
    cell = next(c for c in man["cells"] if c["cell_id"] not in done)
    trials = _known_cell_trials(cell, man["run_id"], BASE_TS + 1000.0, _Ids())
    line_trials = [t for t in trials]
    if torn == "trials":
        append_jsonl(folder.trials_path, line_trials[:2])
        _append_torn(folder.trials_path, line_trials[2])
    else:
        append_jsonl(folder.trials_path, line_trials)
        _append_torn(folder.cells_path, _cell_record(cell, man["run_id"], BASE_TS + 1000.0,
                                                     5.0, trials))
    folder.set_status("interrupted")
    return cell


def _append_torn(path: Path, record: dict) -> None:
    from bench.storage import dumps
    text = dumps(record)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text[: len(text) // 2])


def write_large_run(root: Path, n_trials: int = 100_000, seed: int = 0,
                    run_id: str = "large-run", max_evals: int = 50) -> RunFolder:
    """A random run of about n_trials trials over three workloads and six configurations,
    with spark_tasks for every spark trial. Written in one append per file (fast to make)."""
    rng = np.random.default_rng(seed)
    workloads = {"rf": 0.8, "lgbm": 0.3, "sleep": 0.2}  # median objective seconds
    configs = [("serial", None, 1, "native"), ("serial", None, 1, "busy_driver"),
               ("spark", 1, 1, "native"), ("spark", 2, 1, "native"),
               ("spark", 4, 1, "native"), ("spark", 4, 4, "native")]
    n_cells = max(1, math.ceil(n_trials / max_evals))
    repeats = max(1, math.ceil(n_cells / (len(workloads) * len(configs))))
    planned = []
    for repeat in range(repeats):
        for workload in workloads:
            for mode, par, queue, cond in configs:
                if len(planned) < n_cells:
                    planned.append(cell_dict(run_id, mode, workload, par, repeat,
                                             max_queue_len=queue, max_evals=max_evals,
                                             condition=cond, order=len(planned)))
    folder = RunFolder(Path(root) / "results" / run_id).create(manifest(run_id, planned))
    ids = _Ids()
    all_trials, all_cells, all_tasks = [], [], []
    start = BASE_TS
    for cell in planned:
        trials = _random_cell_trials(cell, run_id, start, workloads[cell["workload"]], rng, ids)
        wall = max(t["refresh_ts"] for t in trials) - start + 0.05
        all_trials += trials
        all_cells.append(_cell_record(cell, run_id, start, wall, trials))
        if cell["mode"] == "spark":
            all_tasks += [_task(run_id, t, ids.next_attempt()) for t in trials]
        start += wall + 0.5
    append_jsonl(folder.trials_path, all_trials)
    append_jsonl(folder.cells_path, all_cells)
    append_jsonl(folder.spark_tasks_path, all_tasks)
    return folder


def _random_cell_trials(cell, run_id, start, objective_median, rng, ids) -> list[dict]:
    """Trials with lognormal objective times; spark trials run in `parallelism` lanes with
    1-2 s of dispatch overhead, serial ones back to back (slower on a busy driver)."""
    n = cell["max_evals"]
    spark = cell["mode"] == "spark"
    slow = 3.0 if cell["condition"] == "busy_driver" else 1.0
    objective = objective_median * slow * rng.lognormal(0.0, 0.3, n)
    lanes = np.full(cell["parallelism"] or 1, start)
    trials = []
    losses = rng.uniform(0.1, 1.0, n)
    for tid in range(n):
        lane = int(np.argmin(lanes))
        if spark:
            parts = (float(rng.uniform(0.0, 1.0)), float(rng.uniform(1.0, 1.5)),
                     float(objective[tid]), float(rng.uniform(0.0, 1.0)))
        else:
            parts = (0.001, 0.002, float(objective[tid]), 0.01)
        trial = _trial(cell, run_id, tid, float(lanes[lane]), parts, float(losses[tid]),
                       spark=spark, pid=ids.next_pid() if spark else DRIVER_PID,
                       attempt=ids.next_attempt() if spark else None)
        if not spark:
            trial["effective_cores"] = float(rng.uniform(1.2, 2.0))
        lanes[lane] = trial["refresh_ts"]
        trials.append(trial)
    return trials


# A run shaped like the README's main job (or, with clusters, like cluster_sizing): two
# workloads, the current setup in both modes at p=1 and p=2 (and p=8), its one-axis fixes,
# an emulated driver, thread environments; random trial times.
MAIN_JOB_GRID = {
    "workloads": [{"name": "rf", "n_jobs": [None], "conditions": []},
                  {"name": "lgbm", "n_jobs": [0, 1, None],
                   "thread_env": [{}, {"OMP_WAIT_POLICY": "passive"}]}],
    "max_queue_len": [1, "parallelism"], "variants": ["stock", "tuned"],
    "thread_env": [{}], "n_jobs": [None], "repeats": 2, "points": "shared"}
PASSIVE = {"OMP_WAIT_POLICY": "passive"}


def main_job_cells(run_id: str, repeats: int = 2, parallelism=(1, 2, 8),
                   clusters=()) -> list[dict]:
    """The planned cells of a main-job-like run (clusters: shape labels whose spark cells
    replace the local session's)."""
    out = []
    top = max(parallelism)
    for repeat in range(repeats):
        for w, n_jobs in (("rf", None), ("lgbm", 0)):
            for cond in ("native",) + (("busy_driver_2022",) if w == "lgbm" else ()):
                out.append(cell_dict(run_id, "serial", w, None, repeat, n_jobs=n_jobs,
                                     condition=cond, max_evals=8))
                if w == "lgbm":
                    out.append(cell_dict(run_id, "serial", w, None, repeat, n_jobs=1,
                                         condition=cond, max_evals=8))
                    out.append(cell_dict(run_id, "serial", w, None, repeat, n_jobs=0,
                                         condition=cond, max_evals=8, thread_env=PASSIVE))
            for cluster in clusters or (None,):
                spark = [dict(max_queue_len=1, n_jobs=n_jobs, parallelism=p) for p in parallelism]
                spark += [dict(max_queue_len=top, n_jobs=n_jobs, parallelism=top),
                          dict(max_queue_len=top, n_jobs=n_jobs, parallelism=top,
                               variant="tuned")]
                if w == "lgbm":
                    spark += [dict(max_queue_len=1, n_jobs=1, parallelism=top),
                              dict(max_queue_len=1, n_jobs=None, parallelism=top)]
                for kw in spark:
                    cell = cell_dict(run_id, "spark", w, kw.pop("parallelism"), repeat,
                                     max_evals=8, **kw)
                    if cluster:
                        cell["cluster"] = cluster
                        cell["cell_id"] += "-" + cluster.replace("/", "-")
                    out.append(cell)
    for order, cell in enumerate(out):
        cell["order"] = order
    return out


def write_main_job_run(root: Path, run_id: str = "main-job", clusters=(),
                       seed: int = 0, repeats: int = 1, parallelism=(1, 2, 8)) -> RunFolder:
    """Write a main-job-like run (see main_job_cells) under root/results/run_id."""
    rng = np.random.default_rng(seed)
    planned = main_job_cells(run_id, repeats=repeats, parallelism=parallelism,
                             clusters=clusters)
    conditions = {"native": CONDITIONS["native"],
                  "busy_driver_2022": {"emulated": True, "description": "The 2022 driver."}}
    man = manifest(run_id, planned, conditions=conditions)
    man["grid"] = {**MAIN_JOB_GRID,
                   "clusters": [{"label": c, "shape": c.split("/")[0]} for c in clusters]}
    man["scenario"]["name"] = "main-job"
    folder = RunFolder(Path(root) / "results" / run_id).create(man)
    ids, start = _Ids(), BASE_TS
    medians = {"rf": 0.4, "lgbm": 0.2}
    for cell in planned:
        slow = 6.0 if cell["condition"] != "native" else 1.0
        trials = _random_cell_trials({**cell, "condition": "busy_driver" if slow > 1 else
                                      "native"}, run_id, start, medians[cell["workload"]],
                                     rng, ids)
        for t in trials:
            t["condition"] = cell["condition"]
            t["cluster"] = cell.get("cluster")
        wall = max(t["refresh_ts"] for t in trials) - start + 0.05
        record = _cell_record(cell, run_id, start, wall, trials)
        record["emulated"] = cell["condition"] != "native"
        folder.append_cell(record, trials)
        start += wall + 0.5
    return folder
