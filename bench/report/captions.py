"""One sentence per chart, computed from the analysis tables, saying what the chart shows."""
from __future__ import annotations

import pandas as pd

from ..model import NATIVE
from .markdown import fmt_num, fmt_pct, fmt_s, fmt_x, fmt_x_ci, is_missing


def _native_first(speedups: pd.DataFrame) -> pd.DataFrame:
    native = speedups[speedups["serial_condition"] == NATIVE]
    return native if len(native) else speedups


def speedup_caption(speedups: pd.DataFrame) -> str:
    data = _native_first(speedups.dropna(subset=["speedup"]))
    if data.empty:
        return ""
    parts = []
    for workload, grp in data.groupby("workload", sort=True):
        best = grp.loc[grp["speedup"].idxmax()]
        ci = fmt_x_ci(best["speedup"], best["speedup_low"], best["speedup_high"],
                      best.get("speedup_n"), best.get("speedup_interval"))
        if best["serial_cells"] == 1 == best["spark_cells"]:
            ci = fmt_x(best["speedup"]) + " (one repeat per side, no interval)"
        parts.append(f"{workload}: best {ci} at parallelism {int(best['parallelism'])}, "
                     f"where the ideal is {fmt_num(best['ideal'], 0)}×")
    against = data["serial_condition"].iloc[0]
    return (f"Speedup over serial Trials [{against}] — " + "; ".join(parts) + ".")


def objective_caption(trials: pd.DataFrame) -> str:
    data = trials[trials["objective_s"].notna()]
    if data.empty:
        return ""
    parts = []
    for workload, grp in data.groupby("workload", sort=True):
        serial = grp[(grp["mode"] == "serial") & (grp["condition"] == NATIVE)]
        if serial.empty:
            serial = grp[grp["mode"] == "serial"]
        spark = grp[grp["mode"] == "spark"]
        bits = []
        if len(serial):
            bits.append(f"serial {fmt_s(serial['objective_s'].median())} s")
        if len(spark):
            bits.append(f"spark {fmt_s(spark['objective_s'].median())} s")
        text = f"{workload}: " + ", ".join(bits)
        if len(serial) and len(spark) and serial["objective_s"].median() > 0:
            ratio = spark["objective_s"].median() / serial["objective_s"].median()
            text += f" (spark/serial {ratio:.2f})"
        parts.append(text)
    return ("Median objective time per trial, the same model code in both modes — "
            + "; ".join(parts) + ".")


def latency_caption(latency: pd.DataFrame) -> str:
    data = latency.dropna(subset=["share_pre_objective"])
    if data.empty:
        return ""
    spark = data[data["mode"] == "spark"]
    serial = data[data["mode"] == "serial"]
    text = ""
    if len(spark):
        worst = spark.loc[spark["share_pre_objective"].idxmax()]
        text = (f"At parallelism {int(worst['parallelism'])} ({worst['workload']}, "
                f"{worst['setting']}) trials spent {fmt_pct(worst['share_pre_objective'])} of "
                f"their latency before the objective started (mean "
                f"{fmt_s(worst['mean_wait_dispatch_s'] + worst['mean_dispatch_to_start_s'])} s "
                f"per trial)")
    if len(serial):
        worst_serial = serial["share_pre_objective"].max()
        text += ("; " if text else "") + (f"serial trials at most "
                                          f"{fmt_pct(worst_serial)}")
    return text + "."


def timeline_caption(trials: pd.DataFrame, cells: pd.DataFrame, cell_ids: list[str],
                     concurrency: pd.DataFrame, task_slots) -> str:
    parts = []
    by_cell = concurrency.set_index("cell_id") if len(concurrency) else None
    rows = cells.drop_duplicates("cell_id").set_index("cell_id")
    for cell_id in cell_ids:
        if by_cell is None or cell_id not in by_cell.index or cell_id not in rows.index:
            continue
        conc = by_cell.loc[cell_id]
        cell = rows.loc[cell_id]
        requested = int(conc["requested"])
        capacity = requested if is_missing(task_slots) else min(requested, int(task_slots))
        util = conc["mean_concurrency"] / capacity if capacity else float("nan")
        if cell["mode"] == "serial":
            parts.append(f"{cell['setting']} kept the driver running an objective "
                         f"{fmt_pct(conc['mean_concurrency'])} of its {fmt_s(cell['wall_s'])} s")
        else:
            parts.append(f"{cell['setting']} ran {fmt_num(conc['mean_concurrency'])} objectives "
                         f"at a time on average over its {fmt_s(cell['wall_s'])} s, so the "
                         f"{capacity} usable slot(s) (parallelism {requested}, "
                         f"{'?' if is_missing(task_slots) else int(task_slots)} task slots) "
                         f"were busy {fmt_pct(util)} of the time")
    if not parts:
        return ""
    return "In the cells shown, " + "; ".join(parts) + "."


def effective_cores_caption(threads: pd.DataFrame, logical_cores, usable_cores=None) -> str:
    data = threads.dropna(subset=["effective_cores_median"])
    if data.empty:
        return ""
    bits = [f"{row.workload} {row.setting} {fmt_num(row.effective_cores_median)}"
            for row in data.itertuples()]
    if len(bits) > 6:
        by_mode = data.groupby("mode")["effective_cores_median"].median()
        bits = [f"{mode} {fmt_num(v)}" for mode, v in by_mode.items()]
    host = f"; the host has {int(logical_cores)} logical cores" if logical_cores else ""
    if usable_cores and logical_cores and usable_cores < logical_cores:
        host += (f", of which this process may keep {usable_cores:g} busy (CPU quota or "
                 "affinity)")
    return "Median effective cores per trial: " + ", ".join(bits) + host + "."


def best_loss_caption(final: pd.DataFrame) -> str:
    data = final.dropna(subset=["final_best_loss_median"])
    if data.empty:
        return ""
    parts = []
    for workload, grp in data.groupby("workload", sort=True):
        bits = []
        for mode in ("serial", "spark"):
            values = grp.loc[grp["mode"] == mode, "final_best_loss_median"]
            if len(values) == 1 or (len(values) and values.min() == values.max()):
                bits.append(f"{mode} {values.iloc[0]:.4g}")
            elif len(values):
                bits.append(f"{mode} {values.min():.4g}–{values.max():.4g}")
        parts.append(f"{workload} after {int(grp['evals'].max())} evaluations: "
                     + ", ".join(bits))
    return ("Median best loss at the end of the search (range over configurations) — "
            + "; ".join(parts) + ".")


def sizing_caption(sizing: pd.DataFrame) -> str:
    """Which shape completed trials for the fewest core-seconds."""
    best = sizing.sort_values("core_s_per_trial").iloc[0]
    return (f"Cheapest shape per completed trial: {best['cluster_label']} "
            f"({best['core_s_per_trial']:.1f} core·s per trial, {best['workload']} at "
            f"parallelism {int(best['parallelism'])}); labels give core-seconds per trial.")
