"""Every number a diagnosis rule compares a measurement against, with the reason for its
value, so a reader can check why a finding fired or did not (`diagnose --thresholds`)."""
from __future__ import annotations

from ..analysis.stability import STABILITY_THRESHOLDS

#: name -> (value, why). Rules use only these numbers. The stability bounds are declared
#: where the classification lives (compare and the prediction read them there too).
THRESHOLDS: dict[str, tuple[float, str]] = {
    "overhead_share": (0.25, "fixed SparkTrials cost per trial >= 25% of the objective's own "
                             "time caps the speedup well below the parallelism"),
    "slower_than_serial": (1.0, "a native speedup below 1 means SparkTrials took longer than "
                                "serial Trials: the fixed-overhead finding is then high"),
    "starved_min_parallelism": (2, "slots can sit idle waiting for the queue only where there "
                                   "are two or more: at parallelism 1 the one slot waits for "
                                   "the trial before it whatever the queue"),
    "starved_ratio": (0.6, "hyperopt's 1 s loops leave slots idle for part of every trial's "
                           "life whatever the queue (measured here: 63-80% held at "
                           "max_queue_len=1, parallelism 2); below 60% the queue is the "
                           "bottleneck"),
    "starved_gain": (0.25, "a longer queue must hold at least a quarter slot more on average "
                           "for the queue length to be the cause"),
    "thread_time_ratio": (2.0, "per-trial objective time differing by 2x between modes is "
                               "beyond run-to-run noise on a shared machine (small data gains "
                               "~1.5x from a second thread, which is within it)"),
    "oversubscribed": (1.0, "threads per trial x trials that can run at once above the "
                            "cores: threads must queue for CPUs (decided by the settings, so "
                            "it does not flicker with machine noise)"),
    "single_thread": (1, "a trial with one thread (or fewer, as a median) has no sibling "
                         "thread to spin-wait for at a barrier"),
    "collapse_slowdown": (5.0, "time-sharing alone slows an oversubscribed trial by thread "
                               "demand / cores (2x for 4 threads on 2 cores); a slowdown of "
                               "5x or more, and beyond that share times the 2x run-to-run "
                               "swing of multi-threaded fits (thread_time_ratio), is threads "
                               "waiting for each other, not for CPU"),
    "unexplained_gap": (3.0, "a configuration 3x away from its reference (wall against "
                             "serial wall / ideal speedup, or median objective) is beyond the "
                             "2x run-to-run swing of per-trial times here (thread_time_ratio): "
                             "some finding must say why"),
    "unexplained_min_repeats": (3, "with fewer cells than 3 behind a configuration a 3x gap "
                                   "may be one noisy repeat: the unexplained finding then "
                                   "asks for repeats >= 3"),
    "fresh_worker_share": (0.9, "90% or more trials in a distinct process: Python workers are "
                                "not reused"),
    "fresh_worker_min_trials": (3, "each slot's first trial starts a worker whether or not "
                                   "workers are reused: with fewer than 3 spark trials in all, "
                                   "distinct processes cannot tell reuse from none"),
    "closure_bytes": (1_000_000, "PySpark broadcasts a task command above ~1 MB; anything "
                                 "this large is re-pickled and shipped for every trial"),
    "contention_cores": (0.5, "other processes keeping half a core or more busy on the driver "
                              "while serial trials run compete with them for CPU"),
    "uneven_min_executors": (2, "trials can pile up on some executors while others idle "
                                "only where there are two or more"),
    "uneven_placement": (1.5, "the busiest executor ran 1.5x the mean trials per executor "
                              "(executors that ran nothing count, with zero trials)"),
    "uneven_spread": (2, "trials per executor differing by 2 or more: the most even spread of "
                         "n trials over E executors differs by at most 1, so a gap of 2 means "
                         "a trial queued on a busy executor while another was free (keeps "
                         "fewer trials than executors from reading as uneven)"),
    "uneven_min_trials": (8, "fewer trials than this per cell spread unevenly by chance"),
    "quality_gap": (0.05, "best loss 5% worse (relative) than serial at equal evaluations"),
    "quality_min_repeats": (2, "search quality varies a lot run to run: judge it only on "
                               "repeated cells"),
    **STABILITY_THRESHOLDS,
}


def T(name: str) -> float:
    """The value of one threshold (a KeyError names a threshold that was never declared)."""
    return THRESHOLDS[name][0]
