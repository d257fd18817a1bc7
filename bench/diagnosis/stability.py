"""Unstable configurations: the same configuration's per-trial times fall in two modes
(within a cell, or across repeats), so one sample of it can land in either and a change
between two runs cannot be judged on it. The classification is bench.analysis.stability's,
with the bounds declared in THRESHOLDS."""
from __future__ import annotations

from .. import keys
from ..analysis import Analysis, RunData
from ..analysis.stability import run_stability
from .common import configs, configuration, covers_config, ok_trials, setting_label, where
from .finding import Finding
from .ids import finding_id
from .severities import severity
from .thresholds import T


def _unstable_id(cfg: dict) -> str:
    return finding_id("unstable-configuration", configuration(cfg))


def unstable_configuration(run: RunData, analysis: Analysis) -> list[Finding]:
    """A configuration whose per-trial times fall in two modes at least `unstable_modes`
    apart with a jump of `unstable_gap` between them (each mode `unstable_min_trials`
    trials within a cell; one repeat each across repeats): it ran in two regimes (the
    spin-wait collapse flips so), and one sample of it cannot tell a change from a flip."""
    trials = ok_trials(run.trials)
    stable = run_stability(trials, gap=T("unstable_gap"), modes=T("unstable_modes"),
                           min_trials=T("unstable_min_trials"))
    out = []
    for cfg, grp in configs(trials):
        found = stable.get(keys.config_key(cfg))
        if found is None or not found.unstable:
            continue
        label = where(cfg, setting_label(grp))
        first = found.modes[0]
        out.append(Finding(
            id=_unstable_id(cfg), rule="unstable-configuration",
            severity=severity("unstable-configuration"),
            summary=(f"{cfg['workload']} {label}: per-trial times fall in two modes, "
                     f"{found.text()}: one sample of this configuration can land in either, "
                     f"so a change between runs cannot be judged on it (compare says "
                     f"'unstable: cannot judge')"),
            evidence={"setting": label, "fast_mode_s": round(first.low_s, 3),
                      "slow_mode_s": round(first.high_s, 3),
                      "modes_ratio": round(first.ratio, 2), "cells": found.cells,
                      "repeats": found.repeats, "modes_seen_in": [m.where for m in found.modes]},
            recommendation=("Judge it over many repeats, never on one sample; or remove the "
                            "regime it flips into: where threads outnumber the cores they "
                            "share, pin threads per trial to spark.task.cpus or set "
                            "OMP_WAIT_POLICY=passive (see spin-wait-collapse)."),
            covers=[{**covers_config(cfg), "max_queue_len": cfg["max_queue_len"],
                     "max_evals": cfg["max_evals"], "variant_label": cfg["variant_label"]}],
            workload=cfg["workload"],
            configuration=configuration(cfg)))
    return out
