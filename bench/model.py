"""The data model: the run manifest, immutable trial and cell records, the versioned schema.

Kept apart from the code that runs things (as pyperf does) so that analysis, reports and
other tools can read results without importing Spark or hyperopt. Every field is documented
here once; `python -m bench schema` prints these docs as Markdown.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Optional

from .shapes import ClusterShape

#: The condition label of a cell that ran as this machine runs it (no emulated driver
#: condition; bench.conditions emulates the others).
NATIVE = "native"

#: hyperopt's book_time and refresh_time are truncated to milliseconds: a gap between two
#: stamps is known to this resolution only.
STAMP_RESOLUTION_S = 0.001

#: Thread-related environment variables the probe records for every trial (thread_env) and
#: the manifest records for the driver: thread counts, and how idle OpenMP threads wait
#: (spin or sleep: libgomp, LLVM/Intel).
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                   "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "LOKY_MAX_CPU_COUNT",
                   "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")

#: Bump when a field changes meaning or is removed; adding a field keeps the version.
#: Record every version in SCHEMA_HISTORY: readers accept exactly the versions listed there.
SCHEMA_VERSION = 5

#: What each schema version changed. A reader upgrades older records on load
#: (bench.storage.RunFolder.committed), so every version listed here stays readable.
SCHEMA_HISTORY = {
    1: "First versioned schema: manifest.json, trials.jsonl, cells.jsonl, spark_tasks.jsonl. "
       "An unknown closure size (objective that could not be pickled) was written as -1.",
    2: "cells.jsonl closure_bytes is null when the size is unknown (version 1 wrote -1; read "
       "as null). Added, without changing any meaning: cells.jsonl parallelism_effective, "
       "trials.jsonl children_cpu_s, spark_tasks.jsonl app_id, spark_executors.jsonl.",
    3: "cells.jsonl workers_prewarmed and prewarm_s: reuse variants start their Python "
       "workers before the clock (null in older records, whose reuse cells started none).",
    4: "trials.jsonl keeps hyperopt's reading of a result: status ok may carry a loss that "
       "is not a finite number (NaN, inf: loss null, loss_nonfinite says which), and a dict "
       "without status is no longer ok. wait_dispatch_s, dispatch_to_start_s and return_s "
       "are no longer stored: readers derive them from the stamps on the driver's clock "
       "(DERIVED_TRIAL_COLUMNS); the values older records stored are recomputed the same "
       "way, kept only where a stamp is missing. Added, without changing any meaning: "
       "cells.jsonl prewarm_s and workers_prewarmed for pool cells too, whose workers start "
       "before the clock as reuse variants' do (null in older pool records: not timed).",
    5: "A/B runs (run --ab): cells.jsonl and trials.jsonl side ('A' or 'B'; null outside an "
       "A/B run, as in every older record), cells.jsonl load_host_cores, load_own_cores, "
       "load_jvm_cores and load_external_cores, manifest ab.",
}

#: Values of the manifest's `status`.
RUN_STATUSES = ("running", "finished", "interrupted", "failed")

MODES = ("serial", "spark", "pool")


def _f(doc: str, default: Any = None, *, required: bool = False, source: Optional[str] = None):
    """A dataclass field carrying its documentation (and, for the manifest, whether every
    reader needs it; for a trial, who measures it)."""
    meta = {"doc": doc, "required": required, "source": source}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


def _probe(doc: str, default: Any = None):
    """A trial field measured by the probe inside the objective (bench.probe), copied as is."""
    return _f(doc, default, source="probe")


def _dict(value) -> dict:
    """A manifest section as read: a JSON object, else empty (older or partial folders)."""
    return value if isinstance(value, dict) else {}


def _count(value) -> Optional[int]:
    """A count the manifest recorded (an int, or text such as '2'); None if absent or not one."""
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def usable_cores_of(visible, affinity, quota):
    """Cores a process can keep busy: visible CPUs, affinity mask, cgroup quota (e.g. 1.5)."""
    limits = [float(x) for x in (visible, affinity, quota) if x]
    if not limits:
        return None
    usable = min(limits)
    return int(usable) if usable == int(usable) else usable


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
class Manifest(_Record):
    """What a run was asked to do, where and on what. Written when the run starts and
    rewritten whole (atomically) by the few bench.storage.RunFolder methods that add to it."""

    schema_version: int = _f("Results schema version of the folder (see the history below).",
                             SCHEMA_VERSION, required=True)
    run_id: str = _f("Run folder name.", required=True)
    created: str = _f("When the run started, ISO 8601 UTC.", required=True)
    status: str = _f("'running', 'finished', 'interrupted' (Ctrl-C) or 'failed'.",
                     required=True)
    resumed: Optional[str] = _f("When the last --resume started, ISO 8601 UTC.")
    scenario: dict = _f("Scenario file: name, path, sha256, source, description "
                        "(observed: true for a folder recorded by bench.observe).",
                        {}, required=True)
    profile: Optional[str] = _f("Scenario profile: 'quick', 'full' ('observed' for bench.observe).")
    grid: dict = _f("The scenario's settings as run (functions and spaces named), or how "
                    "each observed fmin was called (calls).", {})
    cells: list = _f("Every planned cell in execution order (grid.Cell fields): what "
                     "--resume still has to run.", [], required=True)
    argv: list = _f("Command line that started the run.", [])
    requested: dict = _f("Spark master, Spark settings and results folder as requested.", {})
    environment: dict = _f("Machine and software: Python, packages, Java, CPU, cores, memory, "
                           "host, thread environment, git commit, load, software stack.", {})
    conditions: dict = _f("Driver conditions by name: emulated or not, and what they do.", {})
    shipping: Optional[dict] = _f("Per spark workload: pickled bytes of objective and space, "
                                  "and where unpickling them was tried.")
    spark: Optional[dict] = _f("The run's Spark session: master, version, parallelism, task "
                               "slots, settings; provided_by_caller when it was the caller's.")
    clusters: Optional[dict] = _f("Per cluster shape: the sessions started on it (cluster, "
                                  "start-up and executor wait seconds, thread environment).")
    warmup_s: Optional[dict] = _f("Seconds spent warming up before the first measured cell, "
                                  "per session ('session') or cluster shape.")
    ab: Optional[dict] = _f("An A/B run (run --ab): per side ('A', 'B') its stack, scenario "
                            "and the pid of its driver process; null for other runs.")

    def to_dict(self) -> dict:
        """Fields not known yet (null) are left out of the file, as readers expect."""
        return {k: v for k, v in dataclasses.asdict(self).items()
                if v is not None or MANIFEST_REQUIRED.get(k)}

    # --- reading: every reader's question answered here, so none looks into the dicts ---
    @classmethod
    def read(cls, data) -> "Manifest":
        """A manifest from its parsed JSON (every version in SCHEMA_HISTORY), or as given."""
        return data if isinstance(data, Manifest) else cls.from_dict(_dict(data))

    scenario_name = property(lambda self: _dict(self.scenario).get("name"))
    scenario_path = property(lambda self: _dict(self.scenario).get("path"))
    scenario_sha256 = property(lambda self: _dict(self.scenario).get("sha256"))
    scenario_description = property(lambda self: _dict(self.scenario).get("description"))
    #: recorded by bench.observe (no scenario file to resume)
    observed = property(lambda self: bool(_dict(self.scenario).get("observed")))
    requested_master = property(lambda self: _dict(self.requested).get("master"))
    requested_conf = property(lambda self: _dict(self.requested).get("conf"))

    #: the planned cells (grid.Cell fields) in execution order
    planned_cells = property(lambda self: [c for c in self.cells or []
                                           if isinstance(c, dict) and "cell_id" in c])

    points_shared = property(lambda self: _dict(self.grid).get("points") == "shared")
    search_algo = property(lambda self: _dict(self.grid).get("algo", "tpe"))
    #: an A/B run's sides: 'A'/'B' -> stack, scenario, sha256, driver facts ({}: no A/B run)
    ab_sides = property(lambda self: {k: _dict(v) for k, v in _dict(self.ab).items()})

    def axis(self, name: str, workload: Optional[str] = None) -> Optional[list]:
        """A grid axis' values as listed (the current setup first), the workload's own list
        before the scenario's (a scalar as a list of one); None where neither lists it."""
        grid = _dict(self.grid)
        own = next((w for w in grid.get("workloads") or [] if isinstance(w, dict)
                    and w.get("name") == workload), {}) if workload else {}
        for listed in (own.get(name), grid.get(name)):
            if not isinstance(listed, (list, tuple)):
                listed = None if listed is None else [listed]
            if listed:
                return list(listed)
        return None

    def shapes(self) -> dict[str, ClusterShape]:
        """Cluster label -> its shape as declared (else as its first session recorded it)."""
        found = {e["label"]: e for e in _dict(self.grid).get("clusters") or []
                 if isinstance(e, dict) and e.get("label")}
        for label, sessions in _dict(self.clusters).items():
            if label not in found and sessions and isinstance(sessions[0].get("shape"), dict):
                found[label] = sessions[0]["shape"]
        return {label: ClusterShape(label, _count(e.get("workers")), _count(e.get("cores")),
                                    _count(e.get("task_cpus"))) for label, e in found.items()}

    # --- the Spark sessions: the run's own (`spark`) and those on cluster shapes ---
    task_slots = property(lambda self: _count(_dict(self.spark).get("task_slots")))
    default_parallelism = property(lambda self: _count(_dict(self.spark).get("default_parallelism")))

    #: the run's own session is local mode (its one executor is the driver's process)
    local_session = property(lambda self: str(_dict(self.spark).get("master") or "local")
                             .startswith("local"))

    def task_cpus(self, cluster: Optional[str] = None) -> Optional[int]:
        """spark.task.cpus of a cluster shape (its label) or of the run's own session (no
        label); 1 when not recorded, None for a label the manifest declares no shape for."""
        shape = self.shapes().get(cluster) if cluster else None
        if cluster and shape is None:
            return None
        declared = shape.task_cpus if shape else _count(_dict(self.spark).get("task_cpus"))
        return max(1, declared or 1)

    def _last_session(self, cluster: str) -> dict:
        return _dict(([{}] + list(_dict(self.clusters).get(cluster) or []))[-1])

    def executors(self, cluster: Optional[str] = None) -> Optional[int]:
        """Executors registered when the session started: the cluster's latest session (else
        its shape's workers) or the run's own (local mode: the driver, 1); None if unknown."""
        if cluster:
            last = self._last_session(cluster)
            return _count(last.get("executors") or _dict(last.get("shape")).get("workers")) or None
        count = _dict(self.spark).get("executors")
        return 1 if count == 0 and self.local_session else _count(count) or None

    def executor_cores(self, cluster: Optional[str] = None) -> Optional[int]:
        """spark.executor.cores as the cluster's latest session (or the run's own) set it."""
        facts = self._last_session(cluster) if cluster else None
        return _count(_dict(facts or self.spark).get("executor_cores")) or None

    def session_facts(self, leave_out=()) -> dict:
        """The run's own session as recorded, to show (a copy, without the keys named)."""
        return {k: v for k, v in _dict(self.spark).items() if k not in leave_out}

    session_conf = property(lambda self: _dict(_dict(self.spark).get("conf")))

    def environment_facts(self, leave_out=()) -> dict:
        """The machine and software as recorded, to show (a copy, without the keys named)."""
        return {k: v for k, v in _dict(self.environment).items() if k not in leave_out}

    logical_cores = property(lambda self: _dict(self.environment).get("logical_cores"))
    physical_cores = property(lambda self: _dict(self.environment).get("physical_cores"))
    memory_bytes = property(lambda self: _dict(self.environment).get("memory_bytes"))
    load_average = property(lambda self: _dict(self.environment).get("load_average"))
    packages = property(lambda self: _dict(self.environment).get("packages"))
    cpu_model = property(lambda self: _dict(self.environment).get("cpu_model"))

    #: cores of the host the run measured on (logical, else physical); None if unknown
    host_cores = property(lambda self: _count(self.logical_cores or self.physical_cores) or None)

    @property
    def usable_cores(self):
        """Cores the driver's trials can use: usable_cores_of the recorded limits (older
        manifests recorded the affinity count as usable_cores)."""
        env = _dict(self.environment)
        return usable_cores_of(env.get("visible_cpus") or env.get("logical_cores"),
                               env.get("affinity_cpus") or env.get("usable_cores"),
                               env.get("cpu_quota_cores"))

    #: the software stack the run ran in (bench.stacks), None outside any
    stack_name = property(lambda self: _dict(_dict(self.environment).get("stack")).get("name"))

    def package_version(self, name: str) -> Optional[str]:
        """A package's version as the run recorded it (packages, or older folders' versions)."""
        env = _dict(self.environment)
        found = [_dict(env.get(key)).get(name) for key in ("packages", "versions")]
        return next((str(v) for v in found if v), None)

    def condition_entries(self) -> dict[str, tuple[bool, Optional[str]]]:
        """Condition name -> (emulated, description); native only when none is recorded."""
        conds = self.conditions or {NATIVE: {"emulated": False}}
        return {name: (bool(_dict(c).get("emulated")), _dict(c).get("description"))
                for name, c in _dict(conds).items()}


#: manifest field -> whether every reader needs it
MANIFEST_REQUIRED = {f.name: f.metadata.get("required", False)
                    for f in dataclasses.fields(Manifest)}


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
    side: Optional[str] = _f("A/B runs: 'A' or 'B' (the cell's side); null otherwise.")
    tid: int = _f("hyperopt trial id (0-based, in suggestion order).")
    status: str = _f("hyperopt's verdict: 'ok'; 'fail' (the objective raised, returned "
                     "status 'fail', or returned what hyperopt rejects: see error); 'error' "
                     "(hyperopt recorded the trial as an error: a Spark-level failure, or under "
                     "bench.observe an exception or a return value hyperopt rejects).")
    loss: Optional[float] = _f("Loss as hyperopt read it (float() of the returned loss); null "
                               "unless status is ok, and null when loss_nonfinite is set.")
    loss_nonfinite: Optional[str] = _f(
        "'nan', 'inf' or '-inf' when hyperopt recorded an ok trial whose loss is not a finite "
        "number (the trial counts as ok, as hyperopt counts it, but is left out of loss "
        "statistics: best loss, search quality); null otherwise.")
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
    setup_s: Optional[float] = _probe(
        "Importing the model library in the trial's process just before the objective; large "
        "when a fresh Python worker ran the trial. Included in dispatch_to_start_s.")
    start_ts: Optional[float] = _probe("Epoch seconds when the objective started, on the clock "
                                       "of the objective's host (raw; readers move it onto the "
                                       "driver's clock: bench.analysis.clocks).")
    end_ts: Optional[float] = _probe("Epoch seconds when the objective ended (same clock).")
    objective_s: Optional[float] = _probe("Objective duration from perf_counter, seconds.")
    cpu_s: Optional[float] = _probe("Process CPU time (user+sys) used during the objective, seconds, "
                                    "its child processes included (children_cpu_s).")
    children_cpu_s: Optional[float] = _probe("CPU time of the child processes the objective started "
                                             "(e.g. joblib/loky workers), seconds; part of cpu_s.")
    effective_cores: Optional[float] = _probe("cpu_s / objective_s: cores the objective really kept busy.")
    peak_threads: Optional[int] = _probe("Peak OS thread count of the objective's process while it ran.")
    other_busy_cores: Optional[float] = _probe(
        "Cores other processes kept busy on the trial's host while the objective ran (host CPU "
        "from /proc/stat minus this process, per second of objective; 10 ms resolution). "
        "Includes concurrent trials of the same cell under SparkTrials.")
    omp_num_threads: Optional[str] = _probe("OMP_NUM_THREADS seen by the objective's process (null if unset).")
    thread_env: dict = _probe("Thread-related environment variables seen by the objective.", {})
    threadpools: list = _probe("threadpoolctl pools loaded: [{library, api, num_threads}].", [])
    model_threads_requested: Any = _probe("Thread setting passed to the model (n_jobs as given).")
    model_threads_effective: Optional[int] = _probe(
        "Threads the model really used: LightGBM booster num_threads, RF joblib effective n_jobs.")
    pid: Optional[int] = _probe("Process id that ran the objective.")
    hostname: Optional[str] = _probe("Host that ran the objective.")
    spark_stage_id: Optional[int] = _probe("Spark TaskContext.stageId(), spark mode only.")
    spark_partition_id: Optional[int] = _probe("Spark TaskContext.partitionId(), spark mode only.")
    spark_task_attempt_id: Optional[int] = _probe("Spark TaskContext.taskAttemptId(): joins the event log.")
    spark_task_cpus: Optional[int] = _probe("spark.task.cpus as seen by the task (TaskContext.cpus()).")


#: The latency split of a trial: not stored (since schema 4) but derived by every reader from
#: the stamps above, with the objective's host clock moved onto the driver's
#: (bench.analysis.clocks), so no record disagrees with the report on a skewed cluster.
DERIVED_TRIAL_COLUMNS = {
    "wait_dispatch_s": "book_ts - suggest_ts: trial waited in hyperopt's queue.",
    "dispatch_to_start_s": "start_ts - book_ts (start_ts on the driver's clock): Spark job + "
                           "task launch + Python worker start + setup_s.",
    "return_s": "refresh_ts - end_ts (end_ts on the driver's clock): result travelling back "
                "and being recorded.",
    "host_start_ts": "start_ts as the objective's host stamped it (raw).",
    "host_end_ts": "end_ts as the objective's host stamped it (raw).",
    "clock_offset_s": "The offset (host clock - driver clock) applied to start_ts and end_ts.",
}


@dataclass(frozen=True)
class CellRecord(_Record):
    """One finished cell: a single fmin call under one combination of settings."""

    run_id: str = _f("Run folder name.")
    cell_id: str = _f("Cell id, stable across --resume.")
    mode: str = _f("'serial', 'spark' or 'pool'.")
    workload: str = _f("Workload name.")
    parallelism: Optional[int] = _f("SparkTrials parallelism the scenario asked for; null in "
                                    "serial mode.")
    parallelism_effective: Optional[int] = _f(
        "Parallelism SparkTrials really ran with (its own `parallelism` after capping the "
        "request, e.g. at MAX_CONCURRENT_JOBS_ALLOWED); null for serial and pool cells.")
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
        "Bytes of the pickled objective and space that SparkTrials ships with every trial; "
        "null in serial mode and when they cannot be pickled here.")
    workers_prewarmed: Optional[int] = _f(
        "Python workers a reuse variant (bench.variants.prewarm) or the pool (bench.pool) "
        "started before the clock; null for cells that start none.")
    prewarm_s: Optional[float] = _f(
        "Seconds those workers took to start, outside wall_s. Readers count it: a cell's "
        "primary figure is prewarm_s + wall_s (what the first fmin of a session pays).")
    shared_workers: Optional[bool] = _f(
        "True when the cell's trials shared Python processes, so module globals, RNG state, "
        "leaked memory and threads and thread pools sized by one trial carried over to the "
        "next (reuse variants, pool, serial in the driver); False when every spark trial had "
        "a fresh Python worker (stock, queue, fastpoll); null in records from before it was "
        "recorded (bench.variants.shares_workers).")
    side: Optional[str] = _f("A/B runs: 'A' or 'B', whose driver ran the cell; else null.")
    load_host_cores: Optional[float] = _f("A/B runs: cores the host kept busy during the cell.")
    load_own_cores: Optional[float] = _f("A/B runs: cores the cell's driver tree used (trials, "
                                         "Spark JVM and its Python workers).")
    load_jvm_cores: Optional[float] = _f("A/B runs: of load_own_cores, the Spark JVM's tree.")
    load_external_cores: Optional[float] = _f("A/B runs: host minus own: other processes'.")
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


#: Trial fields the probe measures inside the objective, in declaration order.
PROBE_FIELDS = tuple(f.name for f in dataclasses.fields(TrialRecord)
                     if f.metadata.get("source") == "probe")


def numeric_fields(record_type) -> tuple[list[str], list[str]]:
    """(float fields, int fields) of a record type, from its annotations: the column types
    a reader gives them."""
    kinds = {"float": [], "int": []}
    for f in dataclasses.fields(record_type):
        kind = str(f.type).removeprefix("Optional[").removesuffix("]")
        if kind in kinds:
            kinds[kind].append(f.name)
    return kinds["float"], kinds["int"]
