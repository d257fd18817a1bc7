"""A background load that starts and stops at random moments: 0, 1 or 2 busy processes,
each phase 5-40 s long, seeded. For checking that a gate's verdicts hold while the machine
is busy in ways nobody planned (README "A/B runs").

    python docs/ci/background_load.py SEED TIMELINE.jsonl &   # stop it with kill PID

Each phase is a line of TIMELINE.jsonl: {"t": epoch seconds, "busy": processes}. On SIGTERM
or SIGINT it stops its busy processes (by their pids) and exits.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import random
import signal
import sys
import time


def _spin() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's handler
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    x = 0
    while True:
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF


def main(seed: int, timeline: str) -> int:
    rng = random.Random(seed)
    busy: list[mp.Process] = []

    def set_busy(n: int) -> None:
        while len(busy) > n:
            p = busy.pop()
            p.terminate()
            p.join()
        while len(busy) < n:
            p = mp.Process(target=_spin, daemon=True)
            p.start()
            busy.append(p)

    def stop(signum, frame):
        set_busy(0)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(timeline, "a", encoding="utf-8") as log:
        while True:
            n = rng.choice((0, 1, 2))
            set_busy(n)
            log.write(json.dumps({"t": time.time(), "busy": n}) + "\n")
            log.flush()
            time.sleep(rng.uniform(5, 40))


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2]))
