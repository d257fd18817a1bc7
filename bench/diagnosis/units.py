"""The unit of every evidence key, declared once (the rules' vocabulary).

Evidence values are numbers (or words, lists and flags); the unit here says what a number
counts, and evidence.py formats it only when it is shown. A key is declared as:

- a unit name: the value is in that unit; a dict value is a mapping (per parallelism, per
  workload, per host...) whose every entry is in that unit;
- a record (a dict of member -> unit name): the value is a dict of named measurements.

Keys that name a parallelism end in `_p{p}` (e.g. `spark_p1`). A key not declared here is an
error (`UndeclaredEvidence`): a test runs every rule on fixture records to catch it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    name: str
    meaning: str
    symbol: str = ""  # written after the value, e.g. 's'


UNITS: dict[str, Unit] = {u.name: u for u in [
    Unit("seconds", "a duration, in seconds", "s"),
    Unit("ratio", "one quantity over another (a speedup, a slowdown), shown as N×"),
    Unit("share", "a fraction of a whole, shown as a percentage"),
    Unit("cores", "CPU cores (fractional for CPU-seconds per second)", "cores"),
    Unit("slots", "Spark task slots (fractional for an average held)", "slots"),
    Unit("threads", "threads (fractional for a median)", "threads"),
    Unit("bytes", "a size, shown in MB", "MB"),
    Unit("count", "a number of things: trials, cells, executors, points, a parallelism"),
    Unit("number", "a dimensionless number that is not a ratio of two like quantities"),
    Unit("loss", "the objective's loss, in its own units"),
    Unit("text", "words: a label, a setting, a source; or a list of them"),
    Unit("flag", "yes or no"),
]}

#: the per-configuration summary of threads that thread-mismatch shows for each mode
THREAD_SUMMARY = {"threads": "threads", "omp_num_threads": "text", "effective_cores": "cores",
                  "objective_s": "seconds"}

#: evidence key -> unit name, or a record (member -> unit name)
EVIDENCE: dict[str, str | dict] = {
    # where and what: labels
    "setting": "text", "reference": "text", "reference_settings": "text", "condition": "text",
    "emulated": "flag", "n_jobs": "text", "thread_env_set": "text", "cores_of": "text",
    "cores_from": "text", "openmp_runtime": "text", "omp_num_threads": "text",
    "OMP_WAIT_POLICY": "text", "GOMP_SPINCOUNT": "text", "KMP_BLOCKTIME": "text",
    "cluster_shapes": "text", "cells_that_would_help": "text", "modes_seen_in": "text",
    # settings and counts
    "parallelism": "count", "max_evals": "count", "repeats": "count", "cells": "count",
    "spark_trials": "count", "serial_trials": "count", "trials_per_cell": "count",
    "trials_at_once": "count", "max_concurrency_seen": "count", "distinct_pids": "count",
    "processes": "count", "hosts": "count", "executors": "count", "executors_used": "count",
    "points_paired": "count", "points_matched": "count", "max_minus_min_trials": "count",
    "trials_left_out_clock_uncertain": "count",
    # seconds
    "fixed_s_per_trial": "seconds", "dispatch_delay_s": "seconds", "startup_s": "seconds",
    "slot_wait_s": "seconds", "import_s": "seconds", "return_s": "seconds",
    "objective_s": "seconds", "objective_s_reference": "seconds",
    "reference_objective_s": "seconds", "queue_wait_s": "seconds",
    "dispatch_to_start_s": "seconds", "fmin_wall_s": "seconds", "reference_wall_s": "seconds",
    "wall_s_q1": "seconds", "wall_s_q_gt_1": "seconds",
    "break_even_objective_s": "seconds",        # per parallelism ('never': none breaks even)
    "executor_clock_offset_s": "seconds",       # per host
    "serial_objective_s_other_thread_env": "seconds",  # per thread environment
    "measured_alternatives": "seconds",         # per change measured in the run
    "fast_mode_s": "seconds", "slow_mode_s": "seconds",
    # ratios and shares
    "native_speedup_by_parallelism": "ratio",   # per configuration label
    "objective_ratio_serial_over_spark": "ratio",
    "fmin_wall_ratio_serial_over_spark_p{p}": "ratio",
    "objective_slowdown_vs_native_serial": "ratio",  # per workload and n_jobs
    "slowdown": "ratio", "time_sharing_alone_would_give": "ratio", "ideal_speedup": "ratio",
    "wall_vs_reference": "ratio", "objective_vs_reference": "ratio", "unevenness": "ratio",
    "modes_ratio": "ratio",
    "coefficient_of_variation": "number",
    "fixed_share_of_objective": "share", "share_of_slots_used_q1": "share", "share": "share",
    # cores, slots, threads, bytes, loss
    "cores": "cores", "effective_cores": "cores", "effective_cores_reference": "cores",
    "reference_effective_cores": "cores", "other_busy_cores": "cores",
    "other_processes_busy_cores": "cores",
    "other_busy_cores_by_configuration": "cores",  # per configuration label
    "usable_slots": "slots", "task_slots": "slots", "slots_held_q1": "slots",
    "slots_held_q_gt_1": "slots", "slots_held_q1_by_workload": "slots",  # per workload
    "threads_per_trial": "threads", "thread_demand": "threads",
    "closure_bytes": "bytes",
    "serial_best_loss": "loss", "spark_best_loss": "loss",
    # records
    "serial": THREAD_SUMMARY, "spark_p{p}": THREAD_SUMMARY,
}

_PARALLELISM = re.compile(r"(?<=_p)\d+$")


class UndeclaredEvidence(KeyError):
    """An evidence key (or record member) with no declared unit."""

    def __str__(self) -> str:
        return self.args[0]


def unit_of(key: str, record: dict | None = None, parent: str = ""):
    """The declared unit (name, or record dict) of an evidence key, or of a member of a
    record. Raises UndeclaredEvidence, naming the key, when it has none."""
    table = EVIDENCE if record is None else record
    key = str(key)
    if key in table:
        return table[key]
    template = _PARALLELISM.sub("{p}", key)
    if record is None and template in table:
        return table[template]
    where = f"member '{key}' of evidence record '{parent}'" if record is not None \
        else f"evidence key '{key}'"
    raise UndeclaredEvidence(f"{where} has no declared unit (bench.diagnosis.units.EVIDENCE)")


def units_of(evidence) -> dict:
    """{key: unit name, or {member: unit name} for a record} for one finding's evidence."""
    if not isinstance(evidence, dict):
        return {}
    out = {}
    for key, value in evidence.items():
        unit = unit_of(key)
        if isinstance(unit, dict):
            members = value if isinstance(value, dict) else {}
            out[str(key)] = {str(m): unit_of(m, unit, str(key)) for m in members}
        else:
            out[str(key)] = unit
    return out
