"""sparktrials-bench: measure and explain hyperopt SparkTrials speedups.

Pipeline: scenario -> grid of cells -> runner (serial Trials / SparkTrials, probe in every
trial) -> append-only results -> analysis -> diagnosis -> report.
"""
__version__ = "0.1.0"
