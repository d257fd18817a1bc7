"""The data model: immutable trial and cell records and the versioned results schema.

Kept apart from the code that runs things (as pyperf does) so that analysis, reports and
other tools can read results without importing Spark or hyperopt. Every field is documented
here once; `python -m bench schema` prints these docs as Markdown.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

from .conditions import NATIVE

#: Bump when a field changes meaning or is removed; adding a field keeps the version.
SCHEMA_VERSION = 1

MODES = ("serial", "spark", "pool")


def _f(doc: str, default: Any = None):
    """A dataclass field carrying its documentation."""
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"doc": doc})
    return field(default=default, metadata={"doc": doc})


class _Record:
    """Conversion shared by all records: plain dicts out, unknown keys ignored on the way in
    (so a newer writer's extra fields do not break an older reader)."""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict):
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class TrialRecord(_Record):
    """One hyperopt trial: what the driver saw and what the probe measured inside it."""

    # --- identity and settings (copied from the cell) ---
    run_id: str = _f("Run folder name this trial belongs to.")
    cell_id: str = _f("Cell this trial belongs to (stable across --resume).")
    mode: str = _f("'serial' (hyperopt.Trials in the driver), 'spark' (SparkTrials) or 'pool' "
                   "(the same points in a local process pool: the practical ideal).")
    workload: str = _f("Workload name: rf, lgbm, sleep, or a scenario's own objective.")
    parallelism: Optional[int] = _f("SparkTrials parallelism; null in serial mode.")
    max_queue_len: int = _f("fmin max_queue_len actually passed (resolved from 'parallelism').")
    n_jobs: Any = _f("Model thread setting requested by the scenario (None, 0, -1, 1, k).")
    max_evals: int = _f("fmin max_evals of the cell.")
    repeat: int = _f("Repeat index of the cell, 0-based.")
    condition: str = _f("Driver condition label: 'native' or the name of an emulation.", NATIVE)
    cluster: Optional[str] = _f("Cluster shape the spark cell ran on ('2x1', '1x2/tc2' = task "
                                "cpus 2); null for the run's own session and serial cells.")
    thread_env_set: dict = _f("Thread environment variables the harness set for the cell "
                              "({}: as inherited); what the trial saw is thread_env.", {})
    # --- hyperopt outcome ---
    variant: Optional[str] = _f(
        "SparkTrials variant of a spark cell ('stock' = hyperopt as installed; 'queue' = "
        "max_queue_len raised to parallelism; 'reuse', 'fastpoll', 'tuned' = MODIFIED "
        "hyperopt, see bench.variants); null for serial and pool.")
    tid: int = _f("hyperopt trial id (0-based, in suggestion order).")
    status: str = _f("'ok', 'fail' (objective raised; see error) or 'error' (Spark-level failure).")
    loss: Optional[float] = _f("Loss returned by the objective; null unless status is ok.")
    params: dict = _f("Hyperparameters of this trial (hyperopt space_eval of the point).", {})
    error: Optional[str] = _f("Exception type and message when the trial failed.")
    traceback: Optional[str] = _f(
        "Last frames of the objective's exception (fail), or Spark's exception text when the "
        "trial's task failed outside the objective (error).")
    extra: dict = _f("What the objective returned besides status and loss (custom metrics, "
                     "attachments; bytes recorded as their size).", {})
    # --- driver-side clock (epoch seconds, driver host) ---
    suggest_ts: Optional[float] = _f("When the search algorithm produced this trial (driver).")
    book_ts: Optional[float] = _f("hyperopt book_time: when the trial was dispatched (ms resolution).")
    refresh_ts: Optional[float] = _f("hyperopt refresh_time: when the result was recorded (ms resolution).")
    # --- probe, measured inside the objective (executor in spark mode) ---
    setup_s: Optional[float] = _f(
        "Importing the model library in the trial's process just before the objective; large "
        "when a fresh Python worker ran the trial. Included in dispatch_to_start_s.")
    start_ts: Optional[float] = _f("Epoch seconds when the objective started (host of the objective).")
    end_ts: Optional[float] = _f("Epoch seconds when the objective ended.")
    objective_s: Optional[float] = _f("Objective duration from perf_counter, seconds.")
    cpu_s: Optional[float] = _f("Process CPU time (user+sys) used during the objective, seconds.")
    effective_cores: Optional[float] = _f("cpu_s / objective_s: cores the objective really kept busy.")
    peak_threads: Optional[int] = _f("Peak OS thread count of the objective's process while it ran.")
    other_busy_cores: Optional[float] = _f(
        "Cores other processes kept busy on the trial's host while the objective ran (host CPU "
        "from /proc/stat minus this process, per second of objective; 10 ms resolution). "
        "Includes concurrent trials of the same cell under SparkTrials.")
    omp_num_threads: Optional[str] = _f("OMP_NUM_THREADS seen by the objective's process (null if unset).")
    thread_env: dict = _f("Thread-related environment variables seen by the objective.", {})
    threadpools: list = _f("threadpoolctl pools loaded: [{library, api, num_threads}].", [])
    model_threads_requested: Any = _f("Thread setting passed to the model (n_jobs as given).")
    model_threads_effective: Optional[int] = _f(
        "Threads the model really used: LightGBM booster num_threads, RF joblib effective n_jobs.")
    pid: Optional[int] = _f("Process id that ran the objective.")
    hostname: Optional[str] = _f("Host that ran the objective.")
    spark_stage_id: Optional[int] = _f("Spark TaskContext.stageId(), spark mode only.")
    spark_partition_id: Optional[int] = _f("Spark TaskContext.partitionId(), spark mode only.")
    spark_task_attempt_id: Optional[int] = _f("Spark TaskContext.taskAttemptId(): joins the event log.")
    spark_task_cpus: Optional[int] = _f("spark.task.cpus as seen by the task (TaskContext.cpus()).")
    # --- latency split derived from the clocks above ---
    wait_dispatch_s: Optional[float] = _f("book_ts - suggest_ts: trial waited in hyperopt's queue.")
    dispatch_to_start_s: Optional[float] = _f(
        "start_ts - book_ts: Spark job + task launch + Python worker start + setup_s.")
    return_s: Optional[float] = _f("refresh_ts - end_ts: result travelling back and being recorded.")


@dataclass(frozen=True)
class CellRecord(_Record):
    """One finished cell: a single fmin call under one combination of settings."""

    run_id: str = _f("Run folder name.")
    cell_id: str = _f("Cell id, stable across --resume.")
    mode: str = _f("'serial', 'spark' or 'pool'.")
    workload: str = _f("Workload name.")
    parallelism: Optional[int] = _f("SparkTrials parallelism; null in serial mode.")
    max_queue_len: int = _f("fmin max_queue_len actually passed.")
    n_jobs: Any = _f("Model thread setting requested.")
    max_evals: int = _f("fmin max_evals.")
    repeat: int = _f("Repeat index, 0-based.")
    condition: str = _f("'native' or the name of the emulated driver condition.", NATIVE)
    cluster: Optional[str] = _f("Cluster shape the cell ran on; null for the run's own session.")
    variant: Optional[str] = _f("SparkTrials variant (spark cells; see TrialRecord.variant).")
    thread_env_set: dict = _f("Thread environment variables set for the cell ({}: as "
                              "inherited): in a fresh driver process for serial cells, via "
                              "spark.executorEnv for spark cells.", {})
    emulated: bool = _f("True when the cell ran under an emulated condition (see manifest).", False)
    order: int = _f("Position of the cell in the run's execution order.")
    start_ts: float = _f("Epoch seconds when fmin was called.")
    end_ts: float = _f("Epoch seconds when fmin returned.")
    wall_s: float = _f("fmin wall time, perf_counter seconds.")
    trials_ok: int = _f("Trials with status ok.")
    trials_failed: int = _f("Trials with status fail or error.")
    best_loss: Optional[float] = _f("Lowest loss among ok trials.")
    task_slots: Optional[int] = _f("Spark task slots available when the cell ran (spark mode).")
    spark_job_group: Optional[str] = _f("Spark job group the cell's trials ran under (spark mode).")
    closure_bytes: Optional[int] = _f(
        "Bytes of the pickled objective and space that SparkTrials ships with every trial.")
    error: Optional[str] = _f("Set when fmin itself raised; the cell counts as finished and failed.")


@dataclass(frozen=True)
class SparkTaskRecord(_Record):
    """One Spark task from the event log, joined to its hyperopt trial by task attempt id."""

    run_id: str = _f("Run folder name.")
    app_id: Optional[str] = _f("Spark application id of the event log the task came from "
                               "(task ids restart in every application).")
    cell_id: Optional[str] = _f("Cell of the joined trial (from the job group), null if unjoined.")
    tid: Optional[int] = _f("hyperopt tid of the joined trial, null if unjoined.")
    job_id: Optional[int] = _f("Spark job id.")
    job_group: Optional[str] = _f("spark.jobGroup.id of the job (the cell id in spark mode).")
    stage_id: Optional[int] = _f("Spark stage id.")
    task_attempt_id: Optional[int] = _f("Spark task id (TaskContext.taskAttemptId()).")
    executor_id: Optional[str] = _f("Executor that ran the task ('driver' in local mode).")
    host: Optional[str] = _f("Host of that executor.")
    job_submit_ts: Optional[float] = _f("Job submission time, epoch seconds.")
    job_end_ts: Optional[float] = _f("Job completion time, epoch seconds.")
    launch_ts: Optional[float] = _f("Task launch time, epoch seconds.")
    finish_ts: Optional[float] = _f("Task finish time, epoch seconds.")
    scheduler_delay_s: Optional[float] = _f(
        "Task time not spent deserializing, running, serializing or fetching the result.")
    deserialize_s: Optional[float] = _f("Executor Deserialize Time, seconds.")
    run_s: Optional[float] = _f("Executor Run Time, seconds (includes the Python worker).")
    cpu_s: Optional[float] = _f("Executor CPU Time, seconds (JVM side only).")
    result_serialize_s: Optional[float] = _f("Result Serialization Time, seconds.")
    gc_s: Optional[float] = _f("JVM GC Time, seconds.")
    successful: Optional[bool] = _f("False when the task failed or was killed.")


@dataclass(frozen=True)
class SparkExecutorRecord(_Record):
    """One executor of a Spark application, from the event log's ExecutorAdded/Removed."""

    run_id: str = _f("Run folder name.")
    app_id: Optional[str] = _f("Spark application id (executor ids restart in every one).")
    executor_id: Optional[str] = _f("Executor id ('driver' in local mode).")
    host: Optional[str] = _f("Host of the executor.")
    cores: Optional[int] = _f("Total cores the executor offered (ExecutorAdded 'Total Cores').")
    added_ts: Optional[float] = _f("When the executor registered, epoch seconds (driver clock).")
    removed_ts: Optional[float] = _f("When it was removed; null if it lived to the end.")
    removed_reason: Optional[str] = _f("Why it was removed, as Spark logged it.")


def field_docs(record_type) -> list[tuple[str, str]]:
    """(name, doc) for every field of a record type, in declaration order."""
    return [(f.name, f.metadata.get("doc", "")) for f in dataclasses.fields(record_type)]


def schema_markdown() -> str:
    """The results schema as Markdown, generated from the record types above."""
    out = [f"# Results schema (version {SCHEMA_VERSION})", ""]
    for title, rtype in (("trials.jsonl", TrialRecord), ("cells.jsonl", CellRecord),
                        ("spark_tasks.jsonl", SparkTaskRecord),
                        ("spark_executors.jsonl", SparkExecutorRecord)):
        out += [f"## {title}: {rtype.__doc__}", "", "| field | meaning |", "| --- | --- |"]
        out += [f"| `{name}` | {doc} |" for name, doc in field_docs(rtype)]
        out.append("")
    return "\n".join(out)
