"""What identifies a configuration: its axes, their columns in the frames, their labels, the
sort rule, named subsets of the axes, and one rule for a missing value.

Every table, median, pair and comparison groups cells or trials by a configuration (or by a
named subset of its axes, saying which axes it pooled); this module is the one home of what
that means, so two tables never disagree about which cells are "the same configuration".
Pure vocabulary: no pandas, hyperopt or Spark needed to import it.
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import NATIVE
from .variant_table import DEFAULT_VARIANT, VARIANTS
from .variant_table import label as variant_text


@dataclass(frozen=True)
class Axis:
    """One axis of a configuration: the record field, its column in the analysis' frames
    (a text label where the raw value is not a stable key), and what people call it."""

    field: str
    column: str
    label: str


#: The axes of a configuration, in the order a person reads them.
AXES = (
    Axis("workload", "workload", "workload"),
    Axis("mode", "mode", "mode"),
    Axis("variant", "variant_label", "SparkTrials variant"),
    Axis("condition", "condition", "driver condition"),
    Axis("thread_env_set", "env_label", "thread environment"),
    Axis("parallelism", "parallelism", "parallelism"),
    Axis("max_queue_len", "max_queue_len", "max_queue_len"),
    Axis("n_jobs", "n_jobs_label", "n_jobs"),
    Axis("cluster", "cluster_label", "cluster shape"),
    Axis("max_evals", "max_evals", "max_evals"),
    Axis("side", "side", "A/B side"),
)
#: frame column -> its axis
BY_COLUMN = {a.column: a for a in AXES}

#: The frame columns that together identify one configuration within a run. Their order is
#: the column order of every per-configuration table (older than AXES' reading order, and
#: kept so those tables keep their columns).
CONFIG = ["workload", "mode", "condition", "parallelism", "max_queue_len", "n_jobs_label",
          "max_evals", "cluster_label", "variant_label", "env_label", "side"]
#: A configuration's label and its position in the sort rule (setting_label,
#: setting_sort_key), carried by every per-configuration row.
SETTING_COLS = ["setting", "setting_order"]
#: The leading columns of a per-configuration table.
LABELLED = CONFIG + SETTING_COLS
#: The order of a per-configuration table's rows.
ORDER = ["workload", "setting_order"]
#: The configuration columns setting_label and setting_sort_key take, in their argument order.
LABEL_ARGS = [c for c in CONFIG if c != "workload"]

# --- named subsets (each pools the axes it leaves out; pooled() names them) ---
#: Where a trial's threads run: the queue length and evaluation count do not change it.
PLACEMENT = [c for c in CONFIG if c not in ("max_queue_len", "max_evals")]
#: One objective as the model simulates it: the workload, its thread setting and the thread
#: environment the harness set (the wait policy alone can change how fast it runs).
OBJECTIVE = ["workload", "n_jobs_label", "env_label"]
#: What a serial and a spark configuration must share to be compared.
SERIAL_MATCH = ["workload", "n_jobs_label", "max_evals", "env_label"]
#: One line of the cure's chart and table (bench.analysis.cure).
CURE_LINE = ["workload", "mode", "parallelism", "variant_label", "n_jobs_label", "max_evals",
             "condition", "cluster_label"]

assert sorted(CONFIG) == sorted(BY_COLUMN), "CONFIG holds every axis once"


def shown(config: dict) -> dict:
    """A configuration as output shows it: the A/B side only in an A/B run (a run without
    sides reads as it did before sides existed)."""
    return {k: v for k, v in config.items() if k != "side" or v}


def pooled(columns) -> list[str]:
    """The axes (their labels, in AXES order) a grouping by `columns` pools over."""
    chosen = set(columns)
    return [a.label for a in AXES if a.column not in chosen]


# --- the one rule for a missing value ---------------------------------------------------

def missing(value) -> bool:
    """No value: None, a NaN (Python or NumPy float, NaT) or pandas' NA. Text and containers
    are values, even when empty."""
    if value is None:
        return True
    if isinstance(value, (str, bytes, list, dict, tuple, set, frozenset)):
        return False
    try:
        return bool(value != value)  # NaN and NaT differ from themselves
    except TypeError:  # pandas.NA: its comparisons are NA, whose truth is undefined
        return type(value).__name__ == "NAType"


def plain(value):
    """A setting value as a plain, hashable Python value: missing -> None, NumPy scalars ->
    Python, whole floats -> int (so 2, 2.0 and numpy 2 key alike)."""
    if missing(value):
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def same(a, b) -> bool:
    """Setting values equal, with missing values equal to each other (2 and 2.0 alike)."""
    if missing(a) or missing(b):
        return missing(a) and missing(b)
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def key_of(values) -> tuple:
    """Setting values as a configuration key (plain values, missing as None)."""
    return tuple(plain(v) for v in values)


def config_key(row, columns=CONFIG) -> tuple:
    """The key of one configuration: a frame row or mapping with the `columns`."""
    return key_of(row[c] for c in columns)


def config_keys(frame, columns=CONFIG) -> list[tuple]:
    """config_key of every row of a frame, in order."""
    return [key_of(row) for row in frame[columns].itertuples(index=False, name=None)]


# --- the frame columns of the axes that are labels --------------------------------------

def n_jobs_label(value) -> str:
    """n_jobs as a stable text key: None, -1, 0 and k must stay distinct (None is not NaN)."""
    if missing(value):
        return "None"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def env_label(env: dict | None) -> str:
    """A thread environment as short stable text: '' for none, 'OMP_WAIT_POLICY=passive'."""
    return ",".join(f"{k}={v}" for k, v in sorted((env or {}).items()))


def cluster_label(cluster) -> str:
    """The cluster shape of a spark cell ('2x1'); '' for the run's own session and serial cells."""
    return cluster if isinstance(cluster, str) else ""


def variant_label(variant, mode) -> str:
    """The SparkTrials variant of a spark cell ('stock' when absent); '' for serial and pool."""
    if mode != "spark":
        return ""
    return variant if isinstance(variant, str) and variant else DEFAULT_VARIANT


def side_label(side) -> str:
    """The A/B side of a record ('A', 'B'); '' outside an A/B run (older records too)."""
    return "" if missing(side) else str(side)


def condition_label(condition) -> str:
    """The driver condition: its name, or 'native' when none was recorded."""
    return NATIVE if missing(condition) else str(condition)


# --- human labels and the sort rule ------------------------------------------------------

#: Setting columns that go into labels only when they vary in the run, and the mode they
#: vary within (None: every mode).
_SHOWN_WHEN_VARYING = (("max_queue_len", "spark"), ("n_jobs_label", None), ("max_evals", None),
                       ("cluster_label", "spark"), ("env_label", None))


def varying_settings(*frames) -> set[str]:
    """Setting columns that take more than one value in the run: only these go in labels."""
    out = set()
    for col, mode in _SHOWN_WHEN_VARYING:
        values = set()
        for df in frames:
            part = df if mode is None else df[df["mode"] == mode]
            values |= {str(v) for v in part[col].tolist()}
        if len(values) > 1:
            out.add(col)
    return out


def _int_text(value) -> str:
    return "?" if missing(value) else str(int(value))


def setting_label(mode, condition, parallelism, max_queue_len, n_jobs, max_evals,
                  cluster: str = "", variant: str = "", env: str = "", side: str = "",
                  show: set[str] = frozenset()) -> str:
    """Short human label of one configuration (arguments in LABEL_ARGS order), e.g.
    'spark p=4 q=4 @2x1', 'serial [busy]' or 'spark p=2 q=2 tuned (modified hyperopt)'."""
    if mode == "pool":
        text = f"pool p={_int_text(parallelism)}"
    elif mode == "spark":
        text = f"spark p={_int_text(parallelism)}"
        if "max_queue_len" in show:
            text += f" q={_int_text(max_queue_len)}"
        if "cluster_label" in show:
            text += f" @{cluster}" if cluster else " @local"
        if variant_text(variant):
            text += f" {variant_text(variant)}"
    else:
        text = str(mode)
    if condition and condition != NATIVE:
        text += f" [{condition}]"
    if "n_jobs_label" in show:
        text += f" n_jobs={n_jobs}"
    if "max_evals" in show:
        text += f" evals={_int_text(max_evals)}"
    if "env_label" in show:
        text += f" {{{env}}}" if env else " {env as is}"
    if side:
        text += f" <{side}>"
    return text


def label_of(config, show: set[str] = frozenset()) -> str:
    """setting_label of a configuration given as a mapping of the CONFIG columns (a frame
    row, a dict): every axis goes in, so two configurations never share a label."""
    return setting_label(*(config[c] for c in LABEL_ARGS), show=show)


def sort_key_of(config) -> tuple:
    """setting_sort_key of a configuration given as a mapping of the CONFIG columns."""
    return setting_sort_key(*(config[c] for c in LABEL_ARGS))


def setting_sort_key(mode, condition, parallelism, max_queue_len, n_jobs, max_evals,
                     cluster: str = "", variant: str = "", env: str = "",
                     side: str = "") -> tuple:
    """Serial before spark before pool, native before emulated, then by cluster shape,
    parallelism, queue length, variant (in the variant table's order), n_jobs, evaluations
    and thread environment."""
    par = -1 if missing(parallelism) else int(parallelism)
    queue = 0 if missing(max_queue_len) else int(max_queue_len)
    evals = 0 if missing(max_evals) else int(max_evals)
    rank = list(VARIANTS).index(variant) if variant in VARIANTS else len(VARIANTS)
    return ({"serial": 0, "spark": 1}.get(mode, 2), condition != NATIVE, condition,
            str(cluster), par, queue, rank, str(n_jobs), evals, env, side)
