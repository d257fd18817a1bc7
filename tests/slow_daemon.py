"""A PySpark daemon whose every forked Python worker starts BENCH_TEST_WORKER_DELAY seconds
late: a per-trial delay outside the objective, set with the real Spark setting
spark.python.daemon.module=tests.slow_daemon (used by tests/test_compare_spark.py)."""
import os
import time

from pyspark import daemon

_worker = daemon.worker


def worker(sock, authenticated):
    time.sleep(float(os.environ.get("BENCH_TEST_WORKER_DELAY", "8.0")))
    return _worker(sock, authenticated)


daemon.worker = worker

if __name__ == "__main__":
    daemon.manager()
