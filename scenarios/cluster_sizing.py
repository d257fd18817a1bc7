"""Cluster sizing: the same tuning job on standalone clusters of different shapes.

Each shape is a real Spark standalone cluster on 127.0.0.1 (started for its cells and
stopped after them): workers x cores per worker, and spark.task.cpus. On a 2-core machine
the shapes are 1x2 (one executor, two task slots), 2x1 (two executors, one slot each) and
1x2 with task cpus 2 (one slot with two cores for a multi-threaded model). The report shows
wall time against total executor cores, core-seconds per completed trial, and how trials
spread over executors. Serial cells run in the driver as the baseline.

LightGBM also runs with OMP_WAIT_POLICY=passive beside the inherited environment (serial
cells in a fresh driver process, spark cells with spark.executorEnv): with n_jobs=2 and two
trials sharing two cores, OpenMP's busy-waiting threads collapse the objective, and these
cells measure what passive waiting does next to n_jobs=1 (= spark.task.cpus) and task cpus 2.
"""

SCENARIO = {
    "name": "cluster_sizing",
    "description": "RF and LightGBM on 1x2, 2x1 and 1x2/task-cpus-2 standalone clusters.",
    "workloads": [
        {"name": "rf", "n_jobs": [None], "data": {"rows": 1000, "features": 20}},
        {"name": "lgbm", "n_jobs": [1, 2], "data": {"rows": 3750, "features": 20},
         "thread_env": [{}, {"OMP_WAIT_POLICY": "passive"}]},
    ],
    "clusters": ["1x2", "2x1", {"shape": "1x2", "task_cpus": 2}],
    "max_evals": 4,
    "modes": ["serial", "spark"],
    "parallelism": [2],
    "max_queue_len": ["parallelism"],
    "repeats": 1,
    "algo": "tpe",
    "seed": 7,
    "profiles": {
        "quick": {},
        "full": {"max_evals": 16, "parallelism": [1, 2], "repeats": 3},
    },
}
