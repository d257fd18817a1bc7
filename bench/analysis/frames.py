"""Results folder -> pandas DataFrames, with the derived columns every analysis needs.

Loading is the only part of the analysis layer that touches the disk; everything else in
bench.analysis is a pure function of the frames built here, so it can be tested on
hand-made records.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import keys
# the configuration's vocabulary (bench.keys), re-exported for the analysis' users
from ..keys import n_jobs_label, setting_label, setting_sort_key, varying_settings  # noqa: F401
from ..model import (CellRecord, Manifest, SparkExecutorRecord, SparkTaskRecord, TrialRecord,
                     numeric_fields)
from ..storage import SPARK_TASKS, RunFolder, read_jsonl
from .clocks import correct_clocks

#: Columns that together identify one configuration of settings within a run (bench.keys).
GROUP_COLS = keys.CONFIG

#: The four clocks-derived parts of one trial's latency, in the order they happen.
LATENCY_PARTS = ["wait_dispatch_s", "dispatch_to_start_s", "objective_s", "return_s"]

_TRIAL_FLOATS, _TRIAL_INTS = numeric_fields(TrialRecord)
_CELL_FLOATS, _CELL_INTS = numeric_fields(CellRecord)
_TASK_FLOATS, _TASK_INTS = numeric_fields(SparkTaskRecord)


@dataclass
class RunData:
    """Everything read from one results folder, ready for analysis."""

    path: Path
    #: read as a Manifest (a parsed manifest.json given here is read as one)
    manifest: Manifest
    trials: pd.DataFrame
    cells: pd.DataFrame
    spark_tasks: pd.DataFrame
    #: file name -> 1-based numbers of lines that could not be parsed (torn or corrupt)
    bad_lines: dict = field(default_factory=dict)
    #: trial lines whose cell has no cell line (cell killed before it finished)
    orphan_trials: int = 0
    #: executors of the run's Spark applications (spark_executors.jsonl; empty if none)
    spark_executors: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __post_init__(self):
        self.manifest = Manifest.read(self.manifest)

    @property
    def run_id(self) -> str:
        return self.manifest.run_id or self.path.name


def _frame(records: list[dict], record_type, floats, ints) -> pd.DataFrame:
    """DataFrame with every field of the record type present, numeric columns typed."""
    names = [f.name for f in dataclasses.fields(record_type)]
    df = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    for name in names:
        if name not in df.columns:
            df[name] = None
    for name in floats:
        df[name] = pd.to_numeric(df[name], errors="coerce").astype("float64")
    for name in ints:
        df[name] = pd.to_numeric(df[name], errors="coerce").astype("Int64")
    return df


def _add_settings(df: pd.DataFrame) -> pd.DataFrame:
    """The configuration's label columns (bench.keys), from the record fields."""
    df["n_jobs_label"] = [keys.n_jobs_label(v) for v in df["n_jobs"]]
    cluster = df["cluster"] if "cluster" in df.columns else pd.Series(None, index=df.index)
    df["cluster_label"] = [keys.cluster_label(c) for c in cluster]
    variant = df["variant"] if "variant" in df.columns else pd.Series(None, index=df.index)
    df["variant_label"] = [keys.variant_label(v, m) for v, m in zip(variant, df["mode"])]
    env = df["thread_env_set"] if "thread_env_set" in df.columns else pd.Series(None, index=df.index)
    df["env_label"] = [keys.env_label(e if isinstance(e, dict) else None) for e in env]
    df["condition"] = [keys.condition_label(c) for c in df["condition"]]
    side = df["side"] if "side" in df.columns else pd.Series(None, index=df.index)
    df["side"] = [keys.side_label(v) for v in side]
    df["mode"] = df["mode"].astype(str)
    df["workload"] = df["workload"].astype(str)
    return df


def _label_rows(df: pd.DataFrame, show: set[str]) -> None:
    rows = list(zip(*(df[c] for c in keys.LABEL_ARGS)))
    cache = {k: (setting_label(*k, show=show), setting_sort_key(*k)) for k in set(rows)}
    order = {k: i for i, k in enumerate(sorted(cache, key=lambda k: cache[k][1]))}
    df["setting"] = [cache[k][0] for k in rows]
    df["setting_order"] = np.array([order[k] for k in rows], dtype="int64")


def trials_frame(records: list[dict], tasks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Trial records as a frame with every executor host's clock moved onto the driver's
    (bench.analysis.clocks, using the Spark tasks when given), plus latency totals:
    total_s, pre_objective_s, overhead_s."""
    df = _add_settings(_frame(records, TrialRecord, _TRIAL_FLOATS, _TRIAL_INTS))
    df = correct_clocks(df, tasks)
    df["pre_objective_s"] = df["wait_dispatch_s"] + df["dispatch_to_start_s"]
    df["total_s"] = df[LATENCY_PARTS].sum(axis=1, min_count=len(LATENCY_PARTS))
    df["overhead_s"] = df["total_s"] - df["objective_s"]
    return df


def cells_frame(records: list[dict]) -> pd.DataFrame:
    """Cell records as a frame; `failed` marks cells where fmin itself raised, `incomplete`
    cells whose fmin returned with fewer ok trials than max_evals (failed trials, timeout):
    their wall time is not the time of the work asked for, so it is never a speed."""
    df = _add_settings(_frame(records, CellRecord, _CELL_FLOATS, _CELL_INTS))
    df["failed"] = df["error"].notna() & (df["error"].astype(str) != "")
    short = df["trials_ok"].notna() & df["max_evals"].notna() & (
        df["trials_ok"].fillna(0) < df["max_evals"].fillna(0))  # unknown counts: not short
    df["incomplete"] = short.astype(bool) & ~df["failed"]
    df["warmup_s"], df["paid_s"] = warmup_and_paid(df)
    return df


def warmup_and_paid(cells: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per cell: the seconds it spent starting its workers before the clock (prewarm_s: reuse
    variants and the pool; 0 for a cell that starts none, NaN for a pool cell of an older
    run that did not record it) and the primary figure, warm-up + fmin wall: what a user
    pays for the first fmin after starting a session, or after the workers sat idle past
    PySpark's idle timeout. The wall alone is the time with workers already running."""
    recorded = cells["prewarm_s"].astype("float64")
    unknown = recorded.isna() & (cells["mode"] == "pool")
    warmup = recorded.fillna(0.0).where(~unknown)
    return warmup, cells["wall_s"] + warmup.fillna(0.0)


def spark_tasks_frame(records: list[dict]) -> pd.DataFrame:
    return _frame(records, SparkTaskRecord, _TASK_FLOATS, _TASK_INTS)


def label_settings(trials: pd.DataFrame, cells: pd.DataFrame) -> None:
    """Add `setting` (label) and `setting_order` (sort key) to both frames, consistently."""
    show = varying_settings(trials, cells)
    for df in (trials, cells):
        if len(df):
            _label_rows(df, show)
        else:
            df["setting"] = pd.Series(dtype="object")
            df["setting_order"] = pd.Series(dtype="int64")


def attach_cell_times(trials: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """Trial times relative to their cell's fmin start (seconds since the cell began)."""
    start = cells.drop_duplicates("cell_id").set_index("cell_id")["start_ts"]
    cell_start = trials["cell_id"].map(start).astype("float64")
    trials["cell_start_ts"] = cell_start
    for col in ("suggest_ts", "book_ts", "start_ts", "end_ts", "refresh_ts"):
        trials[col.replace("_ts", "_rel_s")] = trials[col] - cell_start
    return trials


def build_frames(manifest: dict, trial_records: list[dict], cell_records: list[dict],
                 task_records: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Pure: records -> (trials, cells, spark_tasks) frames with all derived columns."""
    cells = cells_frame(cell_records)
    tasks = spark_tasks_frame(task_records)
    trials = trials_frame(trial_records, tasks)
    label_settings(trials, cells)
    attach_cell_times(trials, cells)
    return trials, cells, tasks


def load_run(path: Path | str) -> RunData:
    """Read a results folder (finished, running or interrupted) into frames.

    Trials are kept only for cells that have a cell line (the cell line commits its trials);
    the trial lines left out and every unparseable line are counted for the report.
    """
    folder = RunFolder(path)
    manifest = folder.read_manifest()
    got = folder.committed(manifest.schema_version)
    tasks_read = read_jsonl(folder.spark_tasks_path)
    trials, cells, tasks = build_frames(manifest, got.trials, got.cells, tasks_read.records)
    bad = dict(got.bad_lines)
    if tasks_read.bad_lines:
        bad[SPARK_TASKS] = tasks_read.bad_lines
    executors = read_jsonl(folder.spark_executors_path).records
    return RunData(path=folder.path, manifest=manifest, trials=trials, cells=cells,
                   spark_tasks=tasks, bad_lines=bad, orphan_trials=got.orphan_trials,
                   spark_executors=_frame(executors, SparkExecutorRecord,
                                          *numeric_fields(SparkExecutorRecord)))
