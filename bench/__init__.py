"""sparktrials-bench: measure and explain hyperopt SparkTrials speedups.

Pipeline: scenario -> grid of cells -> runner (serial Trials / SparkTrials, probe in every
trial) -> append-only results -> analysis -> diagnosis -> report. `bench.observe` records a
notebook's own fmin calls into the same results.
"""
__version__ = "0.1.0"


def __getattr__(name):
    """`bench.observe(...)` without importing Spark and hyperopt on `import bench` (every
    executor's Python worker imports bench for the probe)."""
    if name == "observe":
        import importlib

        return importlib.import_module(".observe", __name__)
    raise AttributeError(f"module 'bench' has no attribute {name!r}")
