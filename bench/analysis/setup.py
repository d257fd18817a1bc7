"""The user's current setup, and which configurations are one-axis fixes of it.

Every scenario lists the user's current setup first on every axis: stock SparkTrials,
max_queue_len 1, the model's default n_jobs, the inherited thread environment ({}), native
conditions (and the first cluster shape and max_evals). Every other value of an axis is a
fix that changes that one axis. This module is the one home of that rule over the analysis'
frames:

- `setup_of`: the setup of one workload, from the manifest's resolved grid (the first value
  of each axis list), else from the run's cells (observed runs have no axis lists);
- `differing_axes`: the axes (keys.CONFIG columns) in which two configurations differ; a
  what-if or a fix pairs configurations that differ in exactly the axis it studies;
- `fix_of` / `fix_kind`: the one axis a configuration changes from the setup, and what kind
  of change that is (public knob, modified hyperopt, pool, thread pinning, wait policy,
  cluster shape).

Pure: frames and mappings in, plain values out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pandas as pd

from .. import keys
from ..model import NATIVE, THREAD_ENV_VARS, Manifest
from ..variant_table import DEFAULT_VARIANT, VARIANTS

#: Axes only a spark cell has: compared only between two spark configurations.
SPARK_ONLY = ("variant_label", "max_queue_len", "cluster_label")
#: Thread variables that say how idle OpenMP threads wait (a change of only these is a
#: wait policy, not a thread count).
WAIT_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")
#: Kinds of fix, in the order the headline lists them.
KINDS = ("public knob", "modified hyperopt", "pool", "thread pinning", "thread setting",
         "wait policy", "thread environment", "cluster shape")
#: The value of a max_queue_len axis that means "as many as the parallelism".
PARALLELISM = "parallelism"


def fills_queue(variant) -> bool:
    """A variant that sets max_queue_len = parallelism itself (queue, tuned)."""
    return isinstance(variant, str) and variant in VARIANTS and VARIANTS[variant].queue


def differing_axes(a, b) -> set[str]:
    """The keys.CONFIG columns in which two configurations (mappings, frame rows) differ.
    Spark-only axes count only between two spark configurations; a variant that fills the
    queue sets max_queue_len itself, so the queue counts only when neither side's does. An
    axis one of them lacks (the A/B side: a setup has none) is no difference."""
    both_spark = a["mode"] == "spark" and b["mode"] == "spark"
    out = set()
    for col in keys.CONFIG:
        if (col in SPARK_ONLY and not both_spark) or col not in a or col not in b:
            continue
        if col == "max_queue_len" and (fills_queue(a["variant_label"])
                                       or fills_queue(b["variant_label"])):
            continue
        if not keys.same(a[col], b[col]):
            out.add(col)
    return out


@dataclass(frozen=True)
class Setup:
    """One workload's current setup: the first value of each axis (frame column values;
    max_queue_len may be "parallelism")."""

    workload: str
    n_jobs_label: str
    max_evals: object
    variant_label: str = DEFAULT_VARIANT
    max_queue_len: object = 1
    env_label: str = ""
    cluster_label: str = ""
    condition: str = NATIVE

    def queue_at(self, parallelism) -> Optional[int]:
        if self.max_queue_len == PARALLELISM:
            return None if keys.missing(parallelism) else int(parallelism)
        return int(self.max_queue_len)

    def config(self, mode: str, parallelism=None, condition: str = NATIVE) -> dict:
        """The setup as a configuration (keys.CONFIG columns) of one mode, at one
        parallelism (spark, pool) and driver condition (serial)."""
        spark = mode == "spark"
        return {"workload": self.workload, "mode": mode, "condition": condition,
                "parallelism": None if mode == "serial" else parallelism,
                "max_queue_len": self.queue_at(parallelism) if spark else 1,
                "n_jobs_label": self.n_jobs_label, "max_evals": self.max_evals,
                "cluster_label": self.cluster_label if spark else "",
                "variant_label": self.variant_label if spark else "",
                "env_label": self.env_label}

    def is_setup(self, row) -> bool:
        """Whether a configuration is this setup (in its own mode, parallelism and, for a
        serial configuration, driver condition; spark cells run native)."""
        if row["workload"] != self.workload or row["mode"] == "pool":
            return False
        condition = row["condition"] if row["mode"] == "serial" else self.condition
        return not differing_axes(row, self.config(row["mode"], row["parallelism"], condition))

    def text(self) -> str:
        """'stock SparkTrials, max_queue_len 1, n_jobs=0, inherited thread environment'."""
        variant = "stock SparkTrials" if self.variant_label == DEFAULT_VARIANT else \
            f"SparkTrials {self.variant_label}"
        queue = ("max_queue_len = parallelism" if self.max_queue_len == PARALLELISM
                 else f"max_queue_len {self.max_queue_len}")
        parts = [variant, queue, f"n_jobs={self.n_jobs_label}",
                 f"thread environment {{{self.env_label}}}" if self.env_label
                 else "inherited thread environment"]
        if self.cluster_label:
            parts.append(f"cluster {self.cluster_label}")
        return ", ".join(parts)


_UNLISTED = object()


def _listed(manifest: Manifest, axis: str, workload: str | None = None):
    """The first value of a grid axis (the workload's own list first), or _UNLISTED when the
    grid lists it nowhere."""
    return (manifest.axis(axis, workload) or [_UNLISTED])[0]


def _from_cells(frame: pd.DataFrame, column: str, default):
    """An axis' setup value where the grid does not list it: its usual default when some
    cell has it, else the value of the first cell (in run order)."""
    values = [keys.plain(v) for v in frame[column]] if len(frame) else []
    if default is not None and any(keys.same(v, default) for v in values):
        return default
    return values[0] if values else default


def setup_of(manifest: Manifest, cells: pd.DataFrame, workload: str) -> Setup:
    """The current setup of a workload: the first value of each axis as the manifest's
    resolved grid lists it (the workload's own list where it has one). An axis the grid does
    not list (an observed run) takes its usual default when the run has cells with it,
    else the value of the workload's first cell."""
    mine = cells[cells["workload"] == workload] if len(cells) else cells
    if len(mine) and "order" in mine:
        mine = mine.sort_values("order", kind="stable")
    spark = mine[mine["mode"] == "spark"] if len(mine) else mine

    n_jobs = _listed(manifest, "n_jobs", workload)
    env = _listed(manifest, "thread_env", workload)
    cluster = _listed(manifest, "clusters")
    queue = _listed(manifest, "max_queue_len")
    queue = _from_cells(spark, "max_queue_len", 1) if queue is _UNLISTED else queue
    variant = _listed(manifest, "variants")
    evals = _listed(manifest, "max_evals")
    return Setup(
        workload=workload,
        n_jobs_label=(keys.n_jobs_label(n_jobs) if n_jobs is not _UNLISTED
                      else _from_cells(mine, "n_jobs_label", None) or "None"),
        max_evals=keys.plain(evals if evals is not _UNLISTED
                             else _from_cells(mine, "max_evals", None)),
        variant_label=(variant if variant is not _UNLISTED
                       else _from_cells(spark, "variant_label", DEFAULT_VARIANT)),
        max_queue_len=queue if queue == PARALLELISM else int(queue),
        env_label=(keys.env_label(env) if isinstance(env, dict)
                   else _from_cells(mine, "env_label", "")),
        cluster_label=(cluster.get("label", "") if isinstance(cluster, dict)
                       else keys.cluster_label(cluster) if cluster is not _UNLISTED
                       else _from_cells(spark, "cluster_label", "")))


# --- fixes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fix:
    """The one axis a configuration changes from the setup, and to what."""

    axis: str     # a keys.CONFIG column, or "mode" for the pool
    value: str    # the new value as people write it ('2', 'parallelism', 'tuned', ...)
    kind: str     # one of KINDS

    def text(self) -> str:
        """The change as a user makes it: 'max_queue_len = parallelism', 'variant tuned',
        'n_jobs=1', 'OMP_WAIT_POLICY=passive', '2x1' (a cluster shape)."""
        if self.axis == "mode":
            return "process pool (the same points in warm local workers)"
        if self.axis == "max_queue_len":
            return f"max_queue_len = {self.value}"
        if self.axis == "variant_label":
            return f"variant {self.value}"
        if self.axis == "n_jobs_label":
            return f"n_jobs={self.value}"
        if self.axis == "env_label":
            return self.value or "inherited thread environment"
        return self.value  # a cluster shape label, e.g. 2x1


def fix_kind(axis: str, value) -> str:
    """What kind of change a one-axis fix is."""
    if axis == "mode":
        return "pool"
    if axis in ("max_queue_len",):
        return "public knob"
    if axis == "variant_label":
        v = VARIANTS.get(value)
        return "modified hyperopt" if v is None or v.modifies_hyperopt else "public knob"
    if axis == "n_jobs_label":
        return "thread pinning" if str(value).isdigit() and int(value) > 0 else "thread setting"
    if axis == "env_label":
        names = {part.split("=", 1)[0] for part in str(value).split(",") if part}
        return "wait policy" if names and names <= set(WAIT_VARS) else "thread environment"
    return "cluster shape"


def fix_of(row, setup: Setup) -> Optional[Fix]:
    """The fix a configuration is: the setup with exactly one axis changed (a pool at the
    setup's threads is the pool fix of the spark setup at its parallelism); None for the
    setup itself and for anything that changes more than one axis (or the workload, the
    parallelism, max_evals or, for spark and pool, the driver condition)."""
    if row["workload"] != setup.workload:
        return None
    mode = row["mode"]
    base_mode = "spark" if mode == "pool" else mode
    condition = row["condition"] if mode == "serial" else setup.condition
    base = setup.config(base_mode, row["parallelism"], condition)
    changed = differing_axes(row, base)
    if len(changed) != 1 or (mode == "pool") != (changed == {"mode"}):
        return None
    (axis,) = changed
    if axis not in ("mode", "max_queue_len", "variant_label", "n_jobs_label", "env_label",
                    "cluster_label"):
        return None
    value = row[axis] if axis != "mode" else "pool"
    if axis == "max_queue_len":
        value = PARALLELISM if keys.same(value, row["parallelism"]) else keys.plain(value)
    return Fix(axis, str(value), fix_kind(axis, value))


def kind_order(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


__all__ = ["Fix", "KINDS", "PARALLELISM", "SPARK_ONLY", "Setup", "differing_axes",
           "fills_queue", "fix_kind", "fix_of", "kind_order", "setup_of"]

# the thread variables a wait policy names are among those the probe records
assert set(WAIT_VARS) <= set(THREAD_ENV_VARS)
