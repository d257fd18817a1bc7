"""The what-ifs as text: the report's 'What the recommended changes did' section, and the
one-phrase effect the headline quotes. The numbers come from bench.analysis.whatif.

WHAT_IFS names, per what-if, the findings whose fix it measures and the scenario cells that
measure it, so a report can say what to add when a run has none.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..formats import fmt_s, fmt_x
from .markdown import EMULATED_LABEL, table


@dataclass(frozen=True)
class WhatIf:
    """A recommended change that a scenario can measure beside the original setting."""
    key: str                 # "queue" | "threads": its rows in bench.analysis.whatif's effects
    change: str              # the change, as a user would make it
    rules: tuple[str, ...]   # findings whose recommendation includes this change
    add_cells: str           # the scenario cells that would measure it


WHAT_IFS: tuple[WhatIf, ...] = (
    WhatIf("threads", "pin the model's threads to spark.task.cpus (n_jobs=1) in both modes",
           ("thread-mismatch", "oversubscription"),
           'cells with n_jobs=1 beside the current setting ("n_jobs": [<current>, 1])'),
    WhatIf("queue", "max_queue_len = parallelism",
           ("fixed-overhead", "dispatch-starvation"),
           'cells with "max_queue_len": [1, "parallelism"] at parallelism >= 2'),
)


def what_if_for(rule: str) -> WhatIf | None:
    """The what-if that measures a rule's recommended change, if there is one."""
    return next((w for w in WHAT_IFS if rule in w.rules), None)

SECTION_TITLE = "What the recommended changes did (measured)"


def queue_phrase(row: dict) -> str:
    """'fmin 12.1 s → 9.0 s (1.34× faster) at parallelism 2'."""
    return (f"fmin {fmt_s(row['before_s'])} s → {fmt_s(row['after_s'])} s "
            f"({faster(row['effect'])}) at parallelism {row['parallelism']}")


def threads_phrase(row: dict) -> str:
    """'serial/spark time per trial 15.6× → 1.1×' (the part of the gap the threads made)."""
    return (f"serial ÷ spark objective time per trial {fmt_x(row['gap_before'])} → "
            f"{fmt_x(row['gap_after'])} (serial {fmt_s(row['serial_before_s'])} s → "
            f"{fmt_s(row['serial_after_s'])} s, spark {fmt_s(row['spark_before_s'])} s → "
            f"{fmt_s(row['spark_after_s'])} s)")


def faster(effect: float) -> str:
    """'1.88× faster', '1.25× slower', 'no change, 1.00×' (effect = before ÷ after)."""
    if effect != effect:
        return "no effect measured"
    if fmt_x(effect) == fmt_x(1.0):
        return f"no change, {fmt_x(1.0)}"
    if effect >= 1:
        return f"{fmt_x(effect)} faster"
    return f"{fmt_x(1 / effect)} slower"


PHRASES = {"queue": queue_phrase, "threads": threads_phrase}


def change_text(before: float, after: float, digits: int) -> str:
    """'45.000 s -> 0.200 s (225.00×)'; 'n/a' when a side was not measured."""
    if not (before == before and after == after and after > 0):
        return "n/a"
    return f"{before:.{digits}f} s -> {after:.{digits}f} s ({fmt_x(before / after)})"


def env_objective_text(row: dict) -> str:
    """A thread-setting row's median objective per trial, before -> after."""
    return change_text(row["objective_before_s"], row["objective_after_s"], 3)


def env_wall_text(row: dict) -> str:
    """A thread-setting row's median fmin wall time, before -> after."""
    return change_text(row["wall_before_s"], row["wall_after_s"], 2)


def what_if_section(effects: dict[str, list[dict]], emulated: set[str] = frozenset()
                    ) -> list[str]:
    """Markdown lines of the measured what-ifs (effects from what_if_effects)."""
    q, t = effects.get("queue") or [], effects.get("threads") or []
    e = effects.get("env") or []
    lines = [f"## {SECTION_TITLE}", ""]
    if not q and not t and not e:
        return lines + ["This run has no what-if cells (a setting run beside its recommended "
                        "change), so no effect was measured.", ""]
    if q:
        lines += ["fmin time with hyperopt's default queue of one trial, and with "
                  "max_queue_len = parallelism, per pair of configurations that differ in the "
                  "queue alone (median over repeats; warm-up before the clock counted; effect "
                  "= before ÷ after):",
                  "", table(["change", "workload", "configuration (before)", "before, s",
                             "after, s", "effect"],
                            [[r["change"].replace("->", "→"), r["workload"], r["setting"],
                              fmt_s(r["before_s"]), fmt_s(r["after_s"]), faster(r["effect"])]
                             for r in q]), ""]
    if t:
        lines += ["Median objective time per trial with the model's thread setting, and with "
                  "threads pinned to spark.task.cpus (n_jobs=1) in both modes: pinning makes "
                  "the two modes train the same way, so what remains between them is "
                  "SparkTrials itself. Each side is a pair of configurations that differ in "
                  "n_jobs alone (the spark side: unmodified hyperopt at the lowest parallelism "
                  "measured). Gap = serial ÷ spark objective time:", "",
                  table(["change", "workload", "compared (before)", "serial before → after, s",
                         "spark before → after, s", "gap before → after"],
                        [[r["change"].replace("->", "→"), r["workload"],
                          r["serial_setting"]
                          + (" " + EMULATED_LABEL if r["condition"] in emulated else "")
                          + f" vs {r['spark_setting']}",
                          f"{fmt_s(r['serial_before_s'])} → {fmt_s(r['serial_after_s'])}",
                          f"{fmt_s(r['spark_before_s'])} → {fmt_s(r['spark_after_s'])}",
                          f"{fmt_x(r['gap_before'])} → {fmt_x(r['gap_after'])}"] for r in t]),
                  ""]
    if e:
        lines += ["Median objective per trial and median fmin time (warm-up before the clock "
                  "counted) with one thread setting changed and every other axis equal (a "
                  "thread environment set for the trial: in a fresh driver process for serial "
                  "cells, via spark.executorEnv for spark cells; or n_jobs pinned to "
                  "spark.task.cpus); effect = before ÷ after:",
                  "", table(["change", "workload", "configuration (before)",
                             "objective per trial", "fmin time"],
                            [[r["change"].replace("->", "→"), r["workload"], r["setting"],
                              env_objective_text(r).replace("->", "→"),
                              env_wall_text(r).replace("->", "→")]
                             for r in e]), ""]
    return lines
