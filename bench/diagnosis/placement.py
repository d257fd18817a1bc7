"""Rules about where Spark put the trials: more parallelism than task slots, and trials
piled onto some executors while others idled."""
from __future__ import annotations

from ..analysis import GROUP_COLS, Analysis, RunData
from .common import configuration
from .finding import Finding
from .ids import finding_id
from .severities import severity
from .thresholds import T


def parallelism_above_slots(run: RunData, analysis: Analysis) -> list[Finding]:
    cells = run.cells[(run.cells["mode"] == "spark") & run.cells["task_slots"].notna()]
    over = cells[cells["parallelism"] > cells["task_slots"]]
    if not len(over):
        return []
    conc = analysis.cell_concurrency.set_index("cell_id")["max_concurrency"]
    out = []
    for workload, grp in over.groupby("workload", sort=True):
        p, slots = int(grp["parallelism"].max()), int(grp["task_slots"].min())
        seen = int(max(conc.get(c, 0) for c in grp["cell_id"]))
        shapes = sorted({c for c in grp["cluster_label"] if c})
        out.append(Finding(
            id=f"parallelism-above-slots:{workload}", rule="parallelism-above-slots",
            severity=severity("parallelism-above-slots"),
            summary=(f"{workload}: parallelism {p} requested but the cluster"
                     f"{' (' + ', '.join(shapes) + ')' if shapes else ''} has {slots} task "
                     f"slot(s); at most {seen} trial(s) ever ran at once"),
            evidence={"parallelism": p, "task_slots": slots, "max_concurrency_seen": seen,
                      **({"cluster_shapes": shapes} if shapes else {})},
            recommendation=(f"Set parallelism <= {slots} (cores / spark.task.cpus), or add "
                            "executors; extra parallelism only queues trials and weakens TPE."),
            workload=workload, configuration=configuration({"workload": workload,
                                                            "mode": "spark"})))
    return out


def uneven_placement(run: RunData, analysis: Analysis) -> list[Finding]:
    """Trials piled onto some executors while others idled (per cell, with enough trials).
    The executors counted are those available while the cell ran (event log, else the
    cluster shape), including the ones that ran nothing."""
    un = analysis.unevenness
    if not len(un):
        return []
    spark = run.trials[run.trials["mode"] == "spark"]
    per_cell = spark.groupby("cell_id").size()
    out = []
    for r in un.to_dict("records"):
        cells = spark[spark["setting"] == r["setting"]]["cell_id"].unique()
        trials = int(per_cell.reindex(cells).median()) if len(cells) else 0
        spread = r.get("spread_median", float("inf"))
        if (r["workers"] < T("uneven_min_executors") or trials < T("uneven_min_trials")
                or not r["unevenness_median"] >= T("uneven_placement")
                or not spread >= T("uneven_spread")):
            continue
        used = int(r.get("workers_used", r["workers"]))
        idle = int(r["workers"]) - used
        out.append(Finding(
            id=finding_id("uneven-placement", configuration(r, GROUP_COLS)),
            rule="uneven-placement",
            severity=severity("uneven-placement"),
            summary=(f"{r['workload']} {r['setting']}: the busiest of {r['workers']} executors "
                     f"ran {r['unevenness_median']:.1f}x the mean trials per executor"
                     + (f"; {idle} executor(s) ran none" if idle > 0 else "")),
            evidence={"executors": int(r["workers"]), "executors_used": used,
                      "trials_per_cell": trials,
                      "unevenness": round(r["unevenness_median"], 2),
                      "max_minus_min_trials": round(spread, 1),
                      "coefficient_of_variation": round(r["cv_median"], 2)},
            recommendation=("Make every executor offer the same slots (equal "
                            "spark.executor.cores, spark.task.cpus dividing them) and keep "
                            "parallelism a multiple of the executor count; check `python -m "
                            "bench cluster status` for workers with fewer cores."),
            covers=[{"workload": r["workload"], "setting": r["setting"], "gap": "wall"}],
            workload=r["workload"], configuration=configuration(r, GROUP_COLS)))
    return out
