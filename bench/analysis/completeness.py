"""What a partial run is missing: planned cells that never finished, torn lines, orphan
trials and cells where fmin raised. An interrupted run stays readable; this says how far."""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .. import keys
from ..model import Manifest


@dataclass
class Completeness:
    planned: int
    finished: int
    failed_cells: list = field(default_factory=list)   # [(cell_id, error)]
    missing_cells: list = field(default_factory=list)  # planned cell dicts not finished
    unplanned_cells: list = field(default_factory=list)  # finished cell ids not in the plan
    bad_lines: dict = field(default_factory=dict)      # file -> [line numbers]
    orphan_trials: int = 0
    short_cells: list = field(default_factory=list)    # [(cell_id, trials recorded, expected)]
    #: [(cell_id, trials ok, max_evals)]: fmin returned without finishing the work asked
    incomplete_cells: list = field(default_factory=list)
    status: str = "unknown"

    @property
    def partial(self) -> bool:
        return bool(self.missing_cells or self.bad_lines or self.orphan_trials
                    or self.short_cells or self.failed_cells or self.incomplete_cells
                    or self.status != "finished")


def strict_problems(done: Completeness, listed: int = 3) -> str | None:
    """What makes a run unfit for a gate (`run --strict`): cells where fmin raised, cells
    that returned with fewer ok trials than max_evals (failed trials, timeout_s), planned
    cells not run. None when every planned cell finished complete."""
    def some(ids) -> str:
        ids = list(ids)
        return ", ".join(ids[:listed]) + (", ..." if len(ids) > listed else "")

    parts = []
    if done.failed_cells:
        ids = some(c for c, _ in done.failed_cells)
        parts.append(f"{len(done.failed_cells)} failed cell(s) ({ids})")
    if done.incomplete_cells:
        parts.append(f"{len(done.incomplete_cells)} incomplete cell(s) ("
                     + some(f"{c}: {ok} of {asked} trials ok"
                            for c, ok, asked in done.incomplete_cells) + ")")
    if done.missing_cells:
        parts.append(f"{len(done.missing_cells)} planned cell(s) not run")
    return "; ".join(parts) or None


def completeness(manifest: Manifest, cells: pd.DataFrame, trials: pd.DataFrame,
                 bad_lines: dict, orphan_trials: int) -> Completeness:
    """Compare the manifest's plan with what the folder holds."""
    planned = manifest.planned_cells
    done = set(cells["cell_id"].tolist())
    planned_ids = {c["cell_id"] for c in planned}
    failed = [(r.cell_id, str(r.error)) for r in cells[cells["failed"]].itertuples()]
    counts = trials.groupby("cell_id").size() if len(trials) else pd.Series(dtype="int64")
    short = []
    for r in cells.itertuples():
        parts = [int(v) for v in (r.trials_ok, r.trials_failed) if not pd.isna(v)]
        expected = sum(parts) if parts else None
        got = int(counts.get(r.cell_id, 0))
        if expected is not None and got < expected:
            short.append((r.cell_id, got, int(expected)))
    return Completeness(
        planned=len(planned), finished=len(done),
        failed_cells=failed,
        missing_cells=[c for c in planned if c["cell_id"] not in done],
        unplanned_cells=sorted(done - planned_ids) if planned else [],
        bad_lines={k: list(v) for k, v in bad_lines.items()},
        orphan_trials=int(orphan_trials), short_cells=short,
        incomplete_cells=[(r.cell_id, int(0 if pd.isna(r.trials_ok) else r.trials_ok),
                           int(r.max_evals)) for r in cells[cells["incomplete"]].itertuples()],
        status=str(manifest.status if manifest.status is not None else "unknown"))


ERROR_COLS = ["workload", "setting", "setting_order", "mode", "status", "error", "trials",
              "of_trials", "first_tid"]


def trial_errors(trials: pd.DataFrame) -> pd.DataFrame:
    """Distinct errors of failed trials per configuration, with how many trials hit each
    (out of the configuration's trials) and the first trial that did."""
    if not len(trials):
        return pd.DataFrame(columns=ERROR_COLS)
    totals = {keys.key_of(k): len(g) for k, g in
              trials.groupby(keys.CONFIG, dropna=False, sort=False)}
    bad = trials[trials["status"] != "ok"].assign(
        _error=lambda d: d["error"].fillna("(no message)"))
    rows = []
    for key, grp in bad.groupby(keys.CONFIG + ["status", "_error"], dropna=False, sort=False):
        *config, status, error = key
        rows.append({"workload": grp["workload"].iloc[0], "setting": grp["setting"].iloc[0],
                     "setting_order": grp["setting_order"].iloc[0],
                     "mode": grp["mode"].iloc[0], "status": status, "error": error,
                     "trials": len(grp), "of_trials": totals[keys.key_of(config)],
                     "first_tid": int(grp["tid"].min())})
    if not rows:
        return pd.DataFrame(columns=ERROR_COLS)
    return pd.DataFrame(rows).sort_values(["workload", "setting_order", "trials"],
                                          ascending=[True, True, False], ignore_index=True)
