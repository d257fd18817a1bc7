"""May 2022 on the 2022 software stack: LightGBM 3.x's own thread default, natively.

scenarios/may2022.py imitates LightGBM 3.x's default with n_jobs=0 under LightGBM 4.x. This
sibling runs on the `may2022` stack (stacks.toml: hyperopt 0.2.7, LightGBM 3.3, scikit-learn
1.1, PySpark 3.4), so `n_jobs=None` below is the library's own default of that time (no
n_jobs given: OpenMP's default thread count, which honours OMP_NUM_THREADS) rather than an
imitation. Run it on today's stack too and compare the two runs:

    python -m bench stack create may2022 && python -m bench stack create current
    python -m bench run scenarios/may2022_stack.py                    # on may2022 (its stack)
    python -m bench run scenarios/may2022_stack.py --stack current    # same cells, today
    python -m bench compare results/<current run> results/<may2022 run>

What the 2022 stack still cannot reproduce is the 2022 driver machine (more visible CPUs
than its quota, and busy): that part stays emulated, as the `busy_driver_2022` condition on
serial cells, labelled emulated in every table. Nor can it run the Spark of 2022 (3.2): PySpark
3.3 and older cannot pickle functions on Python 3.11, so the stack uses PySpark 3.4.
"""
import runpy
from pathlib import Path

_BASE = runpy.run_path(str(Path(__file__).with_name("may2022.py")))

SCENARIO = {
    "name": "may2022_stack",
    "description": "LightGBM's own thread default on the 2022 stack vs the emulated 2022 driver.",
    "stack": "may2022",
    "workloads": [
        # None: the installed LightGBM's default (3.x: OpenMP default; 4.x: physical cores);
        # 1: pinned to spark.task.cpus, the fix, in both modes
        {"name": "lgbm", "space": _BASE["LGBM_SPACE"], "n_jobs": [None, 1],
         "data": {"rows": 3750, "features": 20}},
    ],
    "data": _BASE["SCENARIO"]["data"],
    "conditions": _BASE["SCENARIO"]["conditions"],
    "max_evals": 8,
    "modes": ["serial", "spark"],
    "parallelism": [1],
    "max_queue_len": [1],
    "repeats": 1,
    "algo": "tpe",
    "seed": 2022,
    "profiles": {
        "quick": {},
        "full": {"max_evals": 16, "parallelism": [1, 2], "repeats": 3},
        # `run --ab may2022,current --profile ab`: 7 blocks, the fewest the paired rank test
        # at 1% per tail can judge (compare), with 4 evaluations to keep it short
        "ab": {"max_evals": 4, "repeats": 7},
    },
}
