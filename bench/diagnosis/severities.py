"""How severe each rule's finding is, declared once per rule with the reason: a rule asks
`severity(rule)` (or `severity(rule, raised=True)` when its raising condition holds) and
never spells a severity itself."""
from __future__ import annotations

SEVERITIES = ("high", "medium", "low")

#: rule -> (severity, why)
SEVERITY: dict[str, tuple[str, str]] = {
    "fixed-overhead": ("medium", "a fixed cost per trial caps the speedup below the "
                                 "parallelism"),
    "dispatch-starvation": ("medium", "idle slots cost wall time; one fmin argument fixes it"),
    "thread-mismatch": ("high", "the two modes did not run the same work: the speedup "
                                "compares thread settings, not parallelism"),
    "oversubscription": ("medium", "threads queue for CPUs: slower trials, not yet a "
                                   "collapse"),
    "spin-wait-collapse": ("high", "trials many times slower than the same model with the "
                                   "cores it needs"),
    "unstable-configuration": ("medium", "a configuration that flips between two regimes "
                                         "cannot be judged on one sample: its speedups and "
                                         "comparisons need repeats"),
    "parallelism-above-slots": ("medium", "extra parallelism only queues trials and weakens "
                                          "TPE"),
    "fresh-worker-per-trial": ("medium", "a start-up cost every trial pays"),
    "large-closure": ("medium", "a shipping cost every trial pays"),
    "search-quality": ("low", "the result's quality, not the speed measured"),
    "uneven-placement": ("medium", "trials waited on busy executors while others idled"),
    "driver-contention": ("medium", "serial times measure the driver's load as much as the "
                                    "model"),
    "unexplained": ("medium", "a large gap no rule explains: worth a look, cause unknown"),
}

#: rule -> (severity, when): a measured condition that raises the rule's severity
RAISED: dict[str, tuple[str, str]] = {
    "fixed-overhead": ("high", "SparkTrials is slower than serial Trials at some native "
                               "configuration (speedup below slower_than_serial)"),
}


def severity(rule: str, raised: bool = False) -> str:
    """The declared severity of a rule's finding; `raised` when its raising condition held."""
    if raised:
        return RAISED[rule][0]
    return SEVERITY[rule][0]
