"""The unit of every evidence key, declared once (the rules' vocabulary).

Evidence values are numbers (or words, lists and flags); the unit here says what a number
counts, and evidence.py formats it only when it is shown. A key is declared with the
label people read for it (`fixed_s_per_trial`: "fixed cost per trial"; the key stays the
machine's name, in `--json`) and its unit:

- a unit name: the value is in that unit; a dict value is a mapping (per parallelism, per
  workload, per host...) whose every entry is in that unit;
- a record (a dict of member -> (unit name, label)): the value is a dict of named
  measurements.

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

#: the per-configuration summary of threads that thread-mismatch shows for each mode:
#: member -> (unit name, label)
THREAD_SUMMARY = {"threads": ("threads", "model threads"),
                  "omp_num_threads": ("text", "OMP_NUM_THREADS"),
                  "effective_cores": ("cores", "cores kept busy"),
                  "objective_s": ("seconds", "objective time per trial")}

#: evidence key -> (unit name, or a record {member: (unit name, label)}; the label people
#: read). A `{p}` in a key stands for a parallelism, and in its label for the same number.
EVIDENCE: dict[str, tuple[str | dict, str]] = {
    # where and what: labels
    "setting": ("text", "configuration"),
    "reference": ("text", "compared with"),
    "reference_settings": ("text", "reference configurations"),
    "condition": ("text", "driver condition"),
    "emulated": ("flag", "emulated driver"),
    "n_jobs": ("text", "n_jobs setting"),
    "thread_env_set": ("text", "thread environment set"),
    "cores_of": ("text", "cores counted on"),
    "cores_from": ("text", "core count read from"),
    "openmp_runtime": ("text", "OpenMP runtime"),
    "omp_num_threads": ("text", "OMP_NUM_THREADS seen"),
    "OMP_WAIT_POLICY": ("text", "OMP_WAIT_POLICY seen"),
    "GOMP_SPINCOUNT": ("text", "GOMP_SPINCOUNT seen"),
    "KMP_BLOCKTIME": ("text", "KMP_BLOCKTIME seen"),
    "cluster_shapes": ("text", "cluster shapes"),
    "cells_that_would_help": ("text", "cells that would tell more"),
    "modes_seen_in": ("text", "where each mode was seen"),
    # settings and counts
    "parallelism": ("count", "parallelism"),
    "max_evals": ("count", "evaluations"),
    "repeats": ("count", "repeats"),
    "cells": ("count", "cells"),
    "spark_trials": ("count", "spark trials"),
    "serial_trials": ("count", "serial trials"),
    "trials_per_cell": ("count", "trials per cell"),
    "trials_at_once": ("count", "trials at once"),
    "max_concurrency_seen": ("count", "most trials seen at once"),
    "distinct_pids": ("count", "distinct worker processes"),
    "processes": ("count", "worker processes"),
    "hosts": ("count", "hosts"),
    "executors": ("count", "executors"),
    "executors_used": ("count", "executors that ran trials"),
    "points_paired": ("count", "hyperparameter points paired"),
    "points_matched": ("count", "hyperparameter points matched"),
    "max_minus_min_trials": ("count", "trials, busiest minus idlest executor"),
    "trials_left_out_clock_uncertain": ("count", "trials left out: clock uncertain"),
    # seconds
    "fixed_s_per_trial": ("seconds", "fixed cost per trial"),
    "dispatch_delay_s": ("seconds", "dispatch delay"),
    "startup_s": ("seconds", "worker start-up"),
    "slot_wait_s": ("seconds", "wait for a free slot"),
    "import_s": ("seconds", "imports and set-up"),
    "return_s": ("seconds", "result return"),
    "objective_s": ("seconds", "objective time per trial"),
    "objective_s_reference": ("seconds", "reference's objective time per trial"),
    "reference_objective_s": ("seconds", "reference's objective time per trial"),
    "queue_wait_s": ("seconds", "wait in the queue"),
    "dispatch_to_start_s": ("seconds", "dispatch to objective start"),
    "fmin_wall_s": ("seconds", "fmin wall time"),
    "reference_wall_s": ("seconds", "reference's fmin wall time"),
    "wall_s_q1": ("seconds", "fmin wall time, max_queue_len 1"),
    "wall_s_q_gt_1": ("seconds", "fmin wall time, longer queue"),
    # per parallelism ('never': none breaks even)
    "break_even_objective_s": ("seconds", "break-even objective length"),
    "executor_clock_offset_s": ("seconds", "executor clock offset"),  # per host
    # per thread environment
    "serial_objective_s_other_thread_env": ("seconds", "serial objective time, other thread "
                                                       "environment"),
    # per change measured in the run
    "measured_alternatives": ("seconds", "objective time with a measured change"),
    "fast_mode_s": ("seconds", "fast mode's trial time"),
    "slow_mode_s": ("seconds", "slow mode's trial time"),
    # ratios and shares
    "native_speedup_by_parallelism": ("ratio", "speedup on the native driver"),  # per config
    "objective_ratio_serial_over_spark": ("ratio", "objective time, serial over spark"),
    "fmin_wall_ratio_serial_over_spark_p{p}": ("ratio", "fmin wall, serial over spark p={p}"),
    # per workload and n_jobs
    "objective_slowdown_vs_native_serial": ("ratio", "objective slowdown against native "
                                                     "serial"),
    "slowdown": ("ratio", "slowdown"),
    "time_sharing_alone_would_give": ("ratio", "slowdown time-sharing alone would give"),
    "ideal_speedup": ("ratio", "ideal speedup"),
    "wall_vs_reference": ("ratio", "fmin wall against the reference's"),
    "objective_vs_reference": ("ratio", "objective time against the reference's"),
    "unevenness": ("ratio", "busiest executor's trials over the mean"),
    "modes_ratio": ("ratio", "slow mode over fast mode"),
    "coefficient_of_variation": ("number", "spread of trials per executor (CV)"),
    "fixed_share_of_objective": ("share", "fixed cost against the objective"),
    "share_of_slots_used_q1": ("share", "slots used at max_queue_len 1"),
    "share": ("share", "trials that started a new worker"),
    # cores, slots, threads, bytes, loss
    "cores": ("cores", "cores"),
    "effective_cores": ("cores", "cores kept busy per trial"),
    "effective_cores_reference": ("cores", "reference's cores kept busy per trial"),
    "reference_effective_cores": ("cores", "reference's cores kept busy per trial"),
    "other_busy_cores": ("cores", "cores other processes kept busy"),
    "other_processes_busy_cores": ("cores", "cores other processes kept busy"),
    # per configuration label
    "other_busy_cores_by_configuration": ("cores", "cores other processes kept busy"),
    "usable_slots": ("slots", "usable task slots"),
    "task_slots": ("slots", "task slots"),
    "slots_held_q1": ("slots", "slots held, max_queue_len 1"),
    "slots_held_q_gt_1": ("slots", "slots held, longer queue"),
    "slots_held_q1_by_workload": ("slots", "slots held, max_queue_len 1"),  # per workload
    "threads_per_trial": ("threads", "threads per trial"),
    "thread_demand": ("threads", "runnable threads"),
    "closure_bytes": ("bytes", "objective closure size"),
    "serial_best_loss": ("loss", "serial best loss"),
    "spark_best_loss": ("loss", "spark best loss"),
    # records
    "serial": (THREAD_SUMMARY, "serial"),
    "spark_p{p}": (THREAD_SUMMARY, "spark p={p}"),
}

_PARALLELISM = re.compile(r"(?<=_p)\d+$")


class UndeclaredEvidence(KeyError):
    """An evidence key (or record member) with no declared unit."""

    def __str__(self) -> str:
        return self.args[0]


def declared(key: str, record: dict | None = None, parent: str = "") -> tuple:
    """(unit, label) of an evidence key, or of a member of a record: the unit a name or a
    record dict; a parallelism key's label with its number. Raises UndeclaredEvidence,
    naming the key, when it has none."""
    table = EVIDENCE if record is None else record
    key = str(key)
    if key in table:
        return table[key]
    number = _PARALLELISM.search(key)
    template = _PARALLELISM.sub("{p}", key)
    if record is None and number and template in table:
        unit, label = table[template]
        return unit, label.replace("{p}", number.group())
    where = f"member '{key}' of evidence record '{parent}'" if record is not None \
        else f"evidence key '{key}'"
    raise UndeclaredEvidence(f"{where} has no declared unit (bench.diagnosis.units.EVIDENCE)")


def unit_of(key: str, record: dict | None = None, parent: str = ""):
    """The declared unit (name, or record dict) of an evidence key, or of a member of a
    record. Raises UndeclaredEvidence, naming the key, when it has none."""
    return declared(key, record, parent)[0]


def label_of(key: str, record: dict | None = None, parent: str = "") -> str:
    """The label people read for an evidence key (or a member of a record)."""
    return declared(key, record, parent)[1]


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
