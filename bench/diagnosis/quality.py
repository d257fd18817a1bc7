"""Rules about the search itself: a parallel search that ends with a worse best loss than
serial at the same number of evaluations."""
from __future__ import annotations

import math

from ..analysis import Analysis, RunData
from ..analysis.quality import search_not_comparable
from ..model import NATIVE
from .common import configuration
from .finding import Finding
from .severities import severity
from .thresholds import T


def search_quality(run: RunData, analysis: Analysis) -> list[Finding]:
    final = analysis.final_loss
    if not len(final) or "cells" not in final:
        return []
    out = []
    for key, grp in final.groupby(["workload", "n_jobs_label", "max_evals"], sort=True):
        if search_not_comparable(run.manifest, key[2]):
            continue  # the report's search-quality section says why
        serial = grp[(grp["mode"] == "serial") & (grp["condition"] == NATIVE)]
        spark = grp[grp["mode"] == "spark"]
        if not len(serial) or not len(spark):
            continue
        if serial["cells"].min() < T("quality_min_repeats"):
            continue
        base = float(serial["final_best_loss_median"].iloc[0])
        spark = spark[spark["cells"] >= T("quality_min_repeats")]
        if not len(spark) or not math.isfinite(base):
            continue
        top = spark.sort_values("parallelism").iloc[-1]
        gap = (float(top["final_best_loss_median"]) - base) / abs(base) if base else 0.0
        if gap <= T("quality_gap"):
            continue
        workload, n_jobs, evals = key
        out.append(Finding(
            id=f"search-quality:{workload}:nj{n_jobs}", rule="search-quality",
            severity=severity("search-quality"),
            summary=(f"{workload}: after {int(evals)} evaluations the best loss at parallelism "
                     f"{int(top['parallelism'])} is {gap:.0%} worse than serial"),
            evidence={"serial_best_loss": base, "spark_best_loss": float(top["final_best_loss_median"]),
                      "parallelism": int(top["parallelism"]), "max_evals": int(evals),
                      "repeats": int(top["cells"])},
            recommendation=("TPE learns from finished trials; with many running at once it "
                            "suggests blindly. Raise max_evals with parallelism, or keep "
                            "parallelism well below max_evals."),
            workload=workload,
            configuration=configuration({"workload": workload, "n_jobs_label": n_jobs,
                                         "max_evals": evals})))
    return out
