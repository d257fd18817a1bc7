"""pytest plugin (``-p tests.tuned_swap``): hyperopt's own SparkTrials tests on TunedSparkTrials.

hyperopt ships ``hyperopt/tests/integration/test_spark.py`` in its wheel. This plugin leaves
the installed file alone: before each test it rebinds the name ``SparkTrials`` in the imported
test module to a strict TunedSparkTrials (strict: an unknown hyperopt shape raises instead of
quietly running stock), and it writes what each test's fmin calls really ran with (variant,
max_queue_len, whether trials shared workers) to the JSON file named by $TUNED_SWAP_LOG, so a
conformance run can show that tuned, not stock, passed.
"""
from __future__ import annotations

import json
import os

import pytest

_calls: dict = {}
_current: list = [None]


def _strict_class():
    from bench.tuned import TunedSparkTrials

    class StrictTunedSparkTrials(TunedSparkTrials):
        """TunedSparkTrials that refuses, never falls back, and logs each fmin call."""

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("strict", True)
            super().__init__(*args, **kwargs)

        def fmin(self, *args, **kwargs):
            try:
                return super().fmin(*args, **kwargs)
            finally:
                _calls.setdefault(_current[0], []).append({
                    "tuned": self.tuned, "fastpoll": self.variant.fastpoll,
                    "reuse_workers": self.reuse_workers, "parallelism": self.parallelism,
                    "max_queue_len": self.max_queue_len_used})

    return StrictTunedSparkTrials


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    module = getattr(item, "module", None)
    if module is None or not hasattr(module, "SparkTrials"):
        return
    if not getattr(module, "_tuned_swapped", False):
        module.SparkTrials = _strict_class()
        module._tuned_swapped = True
    _current[0] = item.nodeid.split("::", 1)[-1]


def pytest_sessionfinish(session):
    path = os.environ.get("TUNED_SWAP_LOG")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(_calls, f, indent=1, sort_keys=True)
