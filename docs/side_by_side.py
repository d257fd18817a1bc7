"""Side by side, one run: 16 trials of 0.2 s at parallelism 2 on local[2], every way to run them.

    python docs/side_by_side.py [--repeats 3] [--json out.json]

Lines (median of the repeats, each repeat in a fresh Spark session so "cold" is cold):
serial Trials; stock SparkTrials with max_queue_len 1 and 2; TunedSparkTrials cold (the first
fmin of the session, no Python worker started yet: only a JVM-only job ran before it); TunedSparkTrials after `prewarm` (prewarm
timed apart); the process pool (workers started and warmed before its clock, start timed
apart); the ideal (Σ objective time ÷ task slots); and as outside references one Spark job
of 16 tasks, 16 single-task Spark jobs from 2 driver threads (the floor of a job-per-trial
design such as SparkTrials), and joblibspark when it is installed. Prints a Markdown table,
the targets, and the machine's load (the 1-minute load average) before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's bench

N_TRIALS, TRIAL_S, PARALLELISM, MASTER = 16, 0.2, 2, "local[2]"


def objective(params):
    """0.2 s of sleep; reports its own duration and process."""
    t0 = time.perf_counter()
    time.sleep(TRIAL_S)
    return {"loss": params["x"], "status": "ok", "objective_s": time.perf_counter() - t0,
            "pid": os.getpid()}


def space():
    from hyperopt import hp

    return {"x": hp.uniform("x", 0, 1)}


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run_fmin(trials, max_queue_len=1) -> float:
    import numpy as np
    from hyperopt import fmin, rand

    wall = timed(lambda: fmin(objective, space(), algo=rand.suggest, max_evals=N_TRIALS,
                              trials=trials, max_queue_len=max_queue_len,
                              show_progressbar=False, rstate=np.random.default_rng(0)))
    results = [t["result"] for t in trials.trials]
    assert len(results) == N_TRIALS and all(r["status"] == "ok" for r in results), results
    return wall


def sleep_task(_):
    time.sleep(TRIAL_S)
    return os.getpid()


def spark_lines(spark) -> dict:
    """The session's lines, tuned cold first: after one JVM-only job (no Python worker), so
    it measures Python workers starting, not the JVM's first job of the process."""
    from hyperopt.spark import SparkTrials

    from bench.tuned import TunedSparkTrials

    spark.range(1000).count()
    out = {"tuned, cold (first fmin of the session)":
           run_fmin(TunedSparkTrials(parallelism=PARALLELISM, spark_session=spark))}
    warm = TunedSparkTrials(parallelism=PARALLELISM, spark_session=spark)
    out["prewarm (outside the tuned wall below)"] = warm.prewarm(objective).seconds
    out["tuned, after prewarm"] = run_fmin(warm)
    sc = spark.sparkContext
    out["one Spark job of 16 tasks"] = timed(
        lambda: sc.parallelize(range(N_TRIALS), N_TRIALS).map(sleep_task).collect())

    def jobs_in_turn(ids):
        for i in ids:
            sc.parallelize([i], 1).map(sleep_task).collect()

    def job_per_trial():
        threads = [threading.Thread(target=jobs_in_turn, args=(range(k, N_TRIALS, PARALLELISM),))
                   for k in range(PARALLELISM)]
        [t.start() for t in threads]
        [t.join() for t in threads]

    out["16 single-task Spark jobs from 2 threads (job-per-trial floor)"] = timed(job_per_trial)
    joblib_wall = joblibspark_wall()
    if joblib_wall is not None:
        out["joblibspark (16 tasks, n_jobs=2)"] = joblib_wall
    for q in (1, PARALLELISM):
        out[f"stock SparkTrials, max_queue_len={q}"] = run_fmin(
            SparkTrials(parallelism=PARALLELISM, spark_session=spark), max_queue_len=q)
    return out


def joblibspark_wall():
    try:
        from joblib import Parallel, delayed, parallel_backend
        from joblibspark import register_spark
    except ImportError:
        return None
    register_spark()
    with parallel_backend("spark", n_jobs=PARALLELISM):
        return timed(lambda: Parallel()(delayed(sleep_task)(i) for i in range(N_TRIALS)))


def local_lines() -> tuple[dict, float]:
    """Serial Trials and the process pool (no Spark); also the ideal's Σ objective time."""
    from hyperopt import Trials

    from bench import points, pool

    serial = Trials()
    out = {"serial Trials (driver)": run_fmin(serial)}
    objective_s = sum(t["result"]["objective_s"] for t in serial.trials)
    drawn = points.draw(space(), N_TRIALS, seed=0)
    t0 = time.perf_counter()
    with pool.WarmPool(objective, PARALLELISM) as warm:
        out["pool start (outside the pool wall below)"] = time.perf_counter() - t0
        trials = pool.PoolTrials()
        out["process pool, workers started before the clock"] = timed(
            lambda: warm.run(drawn, space(), trials))
    assert all(t["result"]["status"] == "ok" for t in trials.trials)
    return out, objective_s


def one_repeat(log_dir: Path) -> dict:
    from bench import spark_session

    lines, objective_s = local_lines()
    lines["ideal: Σ objective ÷ 2 slots"] = objective_s / PARALLELISM
    conf = spark_session.session_conf(MASTER, {}, eventlog_dir=None)
    spark = spark_session.start_session(MASTER, conf, app_name="side-by-side",
                                        log_path=log_dir / f"spark-{time.time():.0f}.log")
    try:
        lines.update(spark_lines(spark))
    finally:
        spark.stop()
    return lines


def load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def verdict(med: dict) -> list[str]:
    ideal = med["ideal: Σ objective ÷ 2 slots"]
    cold, warm = med["tuned, cold (first fmin of the session)"], med["tuned, after prewarm"]
    floor = med["16 single-task Spark jobs from 2 threads (job-per-trial floor)"]
    stock = med["stock SparkTrials, max_queue_len=1"]
    return [f"- tuned cold ÷ ideal = {cold / ideal:.2f} (target ≤ 2.5)",
            f"- tuned after prewarm ÷ job-per-trial floor = {warm / floor:.2f} (target ≤ 1.10)",
            f"- stock (q=1) ÷ tuned cold = {stock / cold:.1f}; stock (q=2) ÷ tuned cold = "
            f"{med['stock SparkTrials, max_queue_len=2'] / cold:.1f} (target ≥ 4)"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", help="write every measurement to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from bench import runner

    runner.quiet_third_party()
    loads = [load()]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            runs.append(one_repeat(Path(tmp)))
            loads.append(load())
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"{N_TRIALS} trials of {TRIAL_S} s at parallelism {PARALLELISM} on {MASTER}, median "
          f"of {args.repeats} (each in a fresh Spark session); 1-minute load average before "
          f"and after each repeat: {', '.join(f'{x:.2f}' for x in loads)}\n")
    print("| line | wall, s (median) | runs, s | ÷ ideal |\n| --- | --- | --- | --- |")
    ideal = med["ideal: Σ objective ÷ 2 slots"]
    for key, value in med.items():
        print(f"| {key} | {value:.2f} | {' / '.join(f'{r[key]:.2f}' for r in runs)} | "
              f"{value / ideal:.2f} |")
    print("\n" + "\n".join(verdict(med)))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "median": med, "load": loads},
                                              indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
