"""Where each trial's latency goes: queue wait, dispatch-to-start, objective, return.

The driver-side split comes from hyperopt's clocks and the probe; when the Spark event log
was joined (spark_tasks.jsonl), dispatch-to-start is split further into Spark's parts.
"""
from __future__ import annotations

import pandas as pd

from .frames import GROUP_COLS, LATENCY_PARTS

_SPARK_PART_DOCS = {
    "submit_s": "book_ts -> Spark job submitted (driver thread start, job creation)",
    "schedule_s": "job submitted -> task launched",
    "scheduler_delay_s": "Spark scheduler delay of the task",
    "deserialize_s": "executor deserialize time",
    "launch_to_start_s": "task launched -> objective started (worker start, imports, unpickling)",
    "python_start_s": "executor run time minus objective (Python worker start, imports)",
    "result_serialize_s": "result serialization time",
}


def _group_meta(grp: pd.DataFrame) -> dict:
    return {"setting": grp["setting"].iloc[0], "setting_order": grp["setting_order"].iloc[0]}


def latency_split(trials: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: median of each latency part and its share of the per-trial total.

    Shares are sum(part) / sum(total) over trials that have all four parts, so they add up
    to 1 and a bar stacked from them has the mean latency as its length. Also the median
    total, overhead (total minus objective) and the share spent before the objective began.
    """
    rows = []
    for key, grp in trials.groupby(GROUP_COLS, dropna=False, sort=False):
        row = {**dict(zip(GROUP_COLS, key)), **_group_meta(grp), "trials": len(grp)}
        for part in LATENCY_PARTS:
            row["median_" + part] = float(grp[part].median())
        full = grp.dropna(subset=LATENCY_PARTS)
        total = float(full["total_s"].sum())
        row["trials_complete"] = len(full)
        for part in LATENCY_PARTS:
            row["mean_" + part] = float(full[part].mean()) if len(full) else float("nan")
            row["share_" + part] = float(full[part].sum()) / total if total > 0 else float("nan")
        row["median_total_s"] = float(grp["total_s"].median())
        row["median_overhead_s"] = float(grp["overhead_s"].median())
        row["share_pre_objective"] = (row["share_wait_dispatch_s"]
                                      + row["share_dispatch_to_start_s"])
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=_LATENCY_COLS)
    return pd.DataFrame(rows).sort_values(["workload", "setting_order"], ignore_index=True)


_LATENCY_COLS = (GROUP_COLS + ["setting", "setting_order", "trials", "trials_complete"]
                 + [f"{kind}_{p}" for kind in ("median", "mean", "share") for p in LATENCY_PARTS]
                 + ["median_total_s", "median_overhead_s", "share_pre_objective"])


def _one_task_per_trial(tasks: pd.DataFrame) -> pd.DataFrame:
    """A retried trial has several task attempts; keep the successful (else the last) one."""
    ranked = tasks.assign(_ok=~tasks["successful"].isin([False]))
    return ranked.sort_values(["_ok", "finish_ts"], na_position="first").drop(columns="_ok")


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with None for missing values (the event-log join tests `is None`)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def join_spark_tasks(trials: pd.DataFrame, tasks: pd.DataFrame) -> pd.DataFrame:
    """Spark trials with their Spark task's timings, joined by (cell_id, tid) where the task
    record names its trial (eventlog.join_tasks named it when the event log was parsed);
    tasks that name no trial go through that same rule here, never through the bare task
    attempt id, which restarts in every Spark application."""
    spark = trials[trials["mode"] == "spark"]
    task_cols = ["job_submit_ts", "launch_ts", "finish_ts", "scheduler_delay_s",
                 "deserialize_s", "run_s", "result_serialize_s", "gc_s", "executor_id",
                 "host", "task_attempt_id"]
    if len(spark) == 0 or len(tasks) == 0:
        return spark.iloc[0:0].assign(**{c: pd.Series(dtype="float64") for c in task_cols})
    unnamed = tasks["cell_id"].isna() | tasks["tid"].isna()
    rest = spark[spark["spark_task_attempt_id"].notna()]
    if unnamed.any() and len(rest):
        from ..ingest import join_tasks  # the one task-to-trial rule

        trial_cols = ["cell_id", "tid", "spark_task_attempt_id", "book_ts", "refresh_ts",
                      "start_ts"]
        rejoined = pd.DataFrame(join_tasks(_records(tasks[unnamed]), _records(rest[trial_cols])))
        rejoined = rejoined.astype({c: tasks[c].dtype for c in rejoined.columns
                                    if c in tasks.columns})
        tasks = pd.concat([tasks[~unnamed], rejoined], ignore_index=True)
    tasks = _one_task_per_trial(tasks)
    named = tasks.dropna(subset=["cell_id", "tid"]).drop_duplicates(["cell_id", "tid"],
                                                                    keep="last")
    by_trial = spark[["cell_id", "tid"]].reset_index().merge(
        named[["cell_id", "tid"] + task_cols], on=["cell_id", "tid"], how="inner")
    joined = by_trial.set_index("index")[task_cols]
    out = spark.loc[joined.index].join(joined)
    return spark_parts(out)


def spark_parts(joined: pd.DataFrame) -> pd.DataFrame:
    """Derived Spark-side durations of each joined trial (see _SPARK_PART_DOCS)."""
    joined = joined.copy()
    joined["submit_s"] = joined["job_submit_ts"] - joined["book_ts"]
    joined["schedule_s"] = joined["launch_ts"] - joined["job_submit_ts"]
    joined["launch_to_start_s"] = joined["start_ts"] - joined["launch_ts"]
    joined["python_start_s"] = joined["run_s"] - joined["objective_s"]
    return joined


def spark_latency_split(joined: pd.DataFrame) -> pd.DataFrame:
    """Per spark configuration: medians of the Spark-side parts of its joined trials."""
    rows = []
    parts = _SPARK_SPLIT_PARTS
    for key, grp in joined.groupby(GROUP_COLS, dropna=False, sort=False):
        row = {**dict(zip(GROUP_COLS, key)), **_group_meta(grp), "trials_joined": len(grp)}
        row.update({"median_" + p: float(grp[p].median()) for p in parts})
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=GROUP_COLS + ["setting", "setting_order", "trials_joined"]
                            + ["median_" + p for p in parts])
    return pd.DataFrame(rows).sort_values(["workload", "setting_order"], ignore_index=True)


_SPARK_SPLIT_PARTS = ["submit_s", "schedule_s", "scheduler_delay_s", "deserialize_s",
                      "launch_to_start_s", "python_start_s", "result_serialize_s",
                      "dispatch_to_start_s", "objective_s"]


def spark_part_docs() -> dict:
    return dict(_SPARK_PART_DOCS)

