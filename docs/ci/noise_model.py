"""The repeat-to-repeat spread of a run's fmin walls, as a noise model (JSON on stdout).

    python docs/ci/noise_model.py results/noise/noise_calibration-*  > noise.json

For every configuration: its complete cells' walls in repeat order and each one's ratio to
the configuration's median (`ratios`: what a simulation multiplies a wall by to draw one
repeat of that configuration); `ratios` at the top pools them over the configurations. The load the run saw is recorded
beside it: other processes' busy cores per trial (the probe's host counters) and the load
average the manifest holds.
"""
from __future__ import annotations

import json
import sys

import numpy as np


def noise_model(path: str) -> dict:
    from bench import keys
    from bench.analysis import load_run
    from bench.analysis.cores import other_busy_cores
    from bench.analysis.walltime import usable_cells

    run = load_run(path)
    cells = usable_cells(run.cells).sort_values("repeat")
    configurations, ratios = {}, []
    for _, grp in cells.groupby(keys.CONFIG, dropna=False, sort=True):
        walls = [float(w) for w in grp["wall_s"]]
        mid = float(np.median(walls))
        own = [w / mid for w in walls]
        ratios += own
        spread = np.percentile(own, [5, 50, 95]).round(3).tolist()
        configurations[str(grp["setting"].iloc[0])] = {
            "walls_s": [round(w, 3) for w in walls], "median_s": round(mid, 3),
            "ratio_p5_p50_p95": spread, "max_over_min": round(max(walls) / min(walls), 3),
            "ratios": [round(r, 4) for r in own]}
    env = run.manifest.get("environment") or {}
    return {
        "run_id": run.run_id, "created": run.manifest.get("created"),
        "scenario": (run.manifest.get("scenario") or {}).get("name"),
        "load_average": env.get("load_average"),
        "other_busy_cores_median": round(float(np.nanmedian(run.trials["other_busy_cores"])), 3),
        "other_busy_cores_time_weighted": round(other_busy_cores(run.trials), 3),
        "configurations": configurations,
        "ratios": [round(r, 4) for r in ratios],
    }


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python docs/ci/noise_model.py RESULTS_FOLDER")
    print(json.dumps(noise_model(sys.argv[1]), indent=1))
