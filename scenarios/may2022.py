"""May 2022, reproduced: RandomForest slower under SparkTrials, LightGBM far faster at
parallelism 1.

The original report: a RandomForestRegressor tuned with SparkTrials(parallelism=8) ran
significantly slower than serial Trials, while LightGBM tuned the same way ran ~16x faster
even at parallelism 1. This scenario runs the original RF search space and a comparable
LightGBM space in both modes. Every axis lists the 2022 user's setup first; every other
value is a fix, run as the setup with that one axis changed (`fixes`):

- the setup: stock SparkTrials, max_queue_len 1, the model's default threads (LightGBM
  n_jobs=0: the OpenMP default, which honours OMP_NUM_THREADS, as LightGBM 3.x behaved by
  default in 2022), the inherited thread environment; serial and SparkTrials at every
  parallelism, on this machine as it is (native);
- an emulated driver ("busy_driver_2022", serial cells only): the 2022 driver was not this
  machine. It is imitated by sizing the driver's OpenMP runtime to 32 threads (a container
  whose visible CPUs exceed its quota) and running one busy background process on it;
- the fixes: max_queue_len = parallelism (the public knob) and 'tuned' SparkTrials (every
  measured fixed cost removed: queue = parallelism, Python worker reuse, 20 ms polling — a
  MODIFICATION of hyperopt applied for those cells only, bench.variants) at the user's
  parallelism; n_jobs=1 (pinned to spark.task.cpus) in the serial cells, native and
  emulated, and under SparkTrials at the user's parallelism; OMP_WAIT_POLICY=passive (idle
  OpenMP threads sleep instead of spinning) in the serial cells, where the driver's threads
  are the question (Spark already runs each trial with OMP_NUM_THREADS = spark.task.cpus, and
  a spark cell with its own environment needs a Spark session of its own).

Profiles: quick (the README's main job, a few minutes), full (the seed's parallelism 8 with
3 repeats, about 40 minutes on 2 cores) and large (every combination of the axes, 32
evaluations, 3 repeats: hours).
"""
import math

from hyperopt import hp

RF_SPACE = {  # the original search space
    "n_estimators": hp.choice("n_estimators", [50, 75]),
    "max_depth": hp.choice("max_depth", [20, 30, 40, 50]),
    "min_samples_split": hp.quniform("min_samples_split", 2, 8, 1),
    "bootstrap": hp.choice("bootstrap", [True, False]),
}

LGBM_SPACE = {  # comparable: tree count, depth/size, split constraint, sampling
    "n_estimators": hp.choice("n_estimators", [100, 150]),
    "num_leaves": hp.choice("num_leaves", [31, 63]),
    "min_child_samples": hp.quniform("min_child_samples", 10, 40, 5),
    "learning_rate": hp.loguniform("learning_rate", math.log(0.03), math.log(0.3)),
    "subsample": hp.choice("subsample", [1.0, 0.8]),
    "subsample_freq": 1,
}

RF = {"name": "rf", "space": RF_SPACE, "n_jobs": [None], "conditions": [],
      "data": {"rows": 1000, "features": 20}}


def lgbm(n_jobs: list) -> dict:
    """LightGBM with these thread settings, the 2022 default (0) first."""
    return {"name": "lgbm", "space": LGBM_SPACE, "n_jobs": n_jobs,
            "data": {"rows": 3750, "features": 20},
            "thread_env": [{}, {"OMP_WAIT_POLICY": "passive"}]}


SCENARIO = {
    "name": "may2022",
    "description": "RF slower under SparkTrials; LightGBM ~16x faster at parallelism 1 (May 2022).",
    # n_jobs=1: pinned to spark.task.cpus (the fix)
    "workloads": [RF, lgbm([0, 1])],
    "data": {"rows": 3750, "features": 20, "noise": 10.0, "seed": 2022},
    "conditions": {
        "busy_driver_2022": {
            "description": "The 2022 driver: more visible CPUs than its quota, and busy.",
            "omp_threads": 32,
            "background_load": 1,
        },
    },
    "max_evals": 8,
    "modes": ["serial", "spark"],
    "parallelism": [1, 2],
    "max_queue_len": [1, "parallelism"],
    "variants": ["stock", "tuned"],
    # the setup everywhere; each fix changes one axis of it, where it answers something
    "fixes": {"max_queue_len": {"parallelism": [2]},
              "variants": {"parallelism": [2]},
              "n_jobs": {"parallelism": [2]},
              "thread_env": {"modes": ["serial"]}},
    "repeats": 1,
    "algo": "tpe",
    # timing comparison: every mode evaluates the same pre-drawn points in the same order, so
    # a difference in time is the mode's, not the search path's ("search" lets the algo pick)
    "points": "shared",
    "seed": 2022,
    "profiles": {
        "quick": {},
        # over lunch: the seed's parallelism 8, 3 repeats (min-max ranges); n_jobs=None
        # (LightGBM 4.x's default) as one more thread change, in both modes at p=8
        "full": {"parallelism": [1, 2, 8], "repeats": 3, "max_evals": 16,
                 "workloads": [RF, lgbm([0, 1, None])],
                 "fixes": {"max_queue_len": {"parallelism": [8]},
                           "variants": {"parallelism": [8]},
                           "n_jobs": {"parallelism": [8]},
                           "thread_env": {"modes": ["serial"]}}},
        # every combination of the axes (what full leaves out): hours on 2 cores
        "large": {"parallelism": [1, 2, 8], "repeats": 3, "max_evals": 32,
                  "workloads": [RF, lgbm([0, None, 1])], "fixes": None},
    },
}
