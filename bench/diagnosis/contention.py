"""Rules about other processes on the driver: serial trials that shared the driver's CPUs
(a busy driver), so their time measures the load as much as the model."""
from __future__ import annotations

from ..analysis import Analysis, RunData
from ..analysis.cores import driver_cores, other_busy_cores
from ..analysis.stats import median
from ..model import NATIVE
from .common import configs, configuration, ok_trials, setting_label
from .finding import Finding
from .severities import severity
from .thresholds import T


def driver_contention(run: RunData, analysis: Analysis) -> list[Finding]:
    """Serial trials shared the driver's CPUs with other processes (a busy driver): their
    time measures the driver's load as much as the model. Judged per configuration (the
    other processes' CPU-seconds over the trials' wall seconds); one finding per condition.
    Spark trials are left out: their neighbours are mostly sibling trials of the same cell."""
    trials = ok_trials(run.trials)
    serial = trials[(trials["mode"] == "serial") & trials["other_busy_cores"].notna()]
    cores = driver_cores(run)
    out = []
    for condition, grp in serial.groupby("condition", sort=True):
        by_config = {setting_label(g) or str(i): other_busy_cores(g)
                     for i, (_, g) in enumerate(configs(grp))}
        busy = {k: v for k, v in by_config.items() if v >= T("contention_cores")}
        if not busy:
            continue
        other = other_busy_cores(grp[grp["setting"].isin(busy)]) if "setting" in grp \
            else max(busy.values())
        slowdown = {}
        for (workload, n_jobs), g in grp.groupby(["workload", "n_jobs_label"], sort=True):
            base = trials[(trials["mode"] == "serial") & (trials["condition"] == NATIVE)
                          & (trials["workload"] == workload) & (trials["n_jobs_label"] == n_jobs)]
            if condition != NATIVE and len(base):
                slowdown[f"{workload} n_jobs={n_jobs}"] = round(
                    median(g["objective_s"]) / median(base["objective_s"]), 1)
        emulated = condition != NATIVE
        evidence = {"condition": condition, "emulated": emulated,
                    "other_busy_cores": round(other, 2), "cores": cores,
                    "serial_trials": len(grp)}
        if len(by_config) > 1:
            evidence["other_busy_cores_by_configuration"] = {k: round(v, 2)
                                                             for k, v in by_config.items()}
        if slowdown:
            evidence["objective_slowdown_vs_native_serial"] = slowdown
        out.append(Finding(
            id=f"driver-contention:{condition}", rule="driver-contention",
            severity=severity("driver-contention"),
            summary=(f"{'[emulated: ' + condition + '] ' if emulated else ''}serial trials shared "
                     f"the driver with other processes keeping {other:.2f} of {cores} cores busy"),
            evidence=evidence,
            recommendation=("Benchmark serial Trials on an idle driver (or compare against "
                            "SparkTrials at parallelism 1 on executors): a busy driver makes "
                            "SparkTrials look faster for reasons that have nothing to do with "
                            "parallelism."),
            covers=[{"mode": "serial", "condition": condition}],
            configuration=configuration({"mode": "serial", "condition": condition})))
    return out
