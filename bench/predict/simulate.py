"""A discrete-event model of one fmin call under SparkTrials (and serial Trials).

What it replays, from hyperopt's sources (fmin.py FMinIter.run, spark.py launch_dispatcher):

- fmin's loop: every `fmin_period_s` it tops the queue of NEW trials up to `max_queue_len`
  (never more than max_evals in all), then sleeps; it ends at the first check that finds
  every trial done.
- the dispatcher's loop: every `dispatch_period_s` it books NEW trials, in order, while fewer
  than `parallelism` are running; a booked trial stays "running" until its result is
  recorded.
- Spark: each booked trial is one job of one task; it waits for a free task slot
  (executors x cores / task.cpus), starts its Python worker (fresh, or reused when the slot
  already ran a trial and the worker is kept, or one of the idle workers kept from before
  the fmin call while any is left), runs the objective, returns its result; the
  slot is free again when the result is recorded.
- cores: objectives on one host share its cores as processor sharing. Each wants
  `demand_cores`; with `background_cores` busy on the host, all run at
  min(1, cores / (background + sum of demands)). A host oversubscribed by two or more
  objectives (that load above its cores) also divides the rate by the objective's measured
  `oversubscribed_slowdown`: OpenMP threads that spin-wait lose their time slices to each
  other's, beyond what sharing explains.
- the tail: fmin's last check, then the dispatcher thread is joined at its next wake-up.

Every number comes from `Inputs` (calibrated from a run, see bench.predict.calibrate); the
loops and queues are the only things hard-wired, because they are hyperopt's code. Pure
Python on a heap; loop wake-ups that cannot change anything are skipped arithmetically, so a
200-evaluation fmin costs a few hundred events.
"""
from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ..shapes import shape_label


@dataclass(frozen=True)
class Shape:
    """One cluster shape and the SparkTrials settings run on it."""

    executors: int
    cores: int                      # per executor
    task_cpus: int = 1
    parallelism: int = 0            # 0: one per task slot
    max_queue_len: int = 1          # 0: equal to parallelism
    host_cores: int = 0             # >0: every executor shares one host of this many cores
    label: str = ""                 # (the measured shapes here); 0: one host per executor

    @property
    def slots_per_executor(self) -> int:
        return self.cores // self.task_cpus

    @property
    def slots(self) -> int:
        return self.executors * self.slots_per_executor

    @property
    def cores_per_host(self) -> int:
        """Cores one host has: the shared machine's, or one executor's on a host of its own."""
        return self.host_cores or self.cores

    @property
    def total_cores(self) -> int:
        return self.executors * self.cores

    @property
    def p(self) -> int:
        return self.parallelism or self.slots

    @property
    def q(self) -> int:
        return self.max_queue_len or self.p

    def name(self) -> str:
        if self.label:
            return self.label
        return f"{shape_label(self.executors, self.cores, self.task_cpus)} p={self.p} q={self.q}"


@dataclass(frozen=True)
class Inputs:
    """Measured ingredients of one objective (workload and thread setting) on one run."""

    objective_s: np.ndarray          # objective durations, contention removed
    demand_cores: float              # cores one objective keeps busy when alone
    startup_fresh_s: np.ndarray      # booked -> objective start, new Python worker
    startup_reused_s: np.ndarray     # same with a reused worker (may be empty)
    reuse_prob: float                # chance a slot's next trial reuses its worker
    return_s: np.ndarray             # objective end -> result recorded
    fmin_period_s: float             # fmin loop: sleep + suggest + refresh
    dispatch_period_s: float         # dispatcher loop: sleep + polling
    first_suggest_s: float           # fmin called -> first suggestion
    dispatch_phase_s: np.ndarray     # fmin called -> first dispatcher wake-up (per cell)
    background_cores: float = 0.0    # cores other work keeps busy on an executor's host
    kept_workers: np.ndarray = field(default_factory=lambda: np.zeros(1))  # per call: idle
    #                                  workers kept from before it (measured per cell)
    prewarmed: bool = False          # a worker per usable slot started before the clock
    startup_kept_s: np.ndarray = field(default_factory=lambda: np.zeros(0))  # booked ->
    #                                  start on a worker started before the call (empty:
    #                                  startup_reused_s)
    oversubscribed_slowdown: float = 1.0  # extra slowdown on a host loaded above its cores
    serial_overhead_s: np.ndarray = field(default_factory=lambda: np.zeros(1))
    serial_objective_s: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class Outcome:
    """One simulated fmin call."""

    wall_s: float
    slot_busy_s: float               # task-slot seconds held by trials (slot taken ->
    #                                  recorded; a trial waiting for a slot holds none)
    book_times: tuple                # when each trial was booked, in order


_START, _END, _DONE = 0, 1, 2


def overloaded(load, cores):
    """The host's load (cores wanted by its objectives and background) exceeds its cores, so
    sharing slows what runs there. Scalars or arrays."""
    return load > cores + 1e-9


class _Hosts:
    """Processor sharing of objectives per host; rates are equal on a host (one workload)."""

    def __init__(self, n_hosts: int, cores: float, demand: float, background: float,
                 max_running_per_host: int, oversubscribed_slowdown: float = 1.0):
        self.cores, self.demand, self.background = cores, demand, background
        self.slowdown = max(1.0, oversubscribed_slowdown)
        # rates can only drop below 1 if the most the host can ever run overloads it
        self.shared = overloaded(background + demand * max_running_per_host, cores)
        self.active = [dict() for _ in range(n_hosts)]   # trial -> remaining work
        self.rate = [1.0] * n_hosts
        self.since = [0.0] * n_hosts
        self.version = {}

    def _rate(self, h: int) -> float:
        running = len(self.active[h])
        load = self.background + self.demand * running
        if not overloaded(load, self.cores):
            return 1.0
        # the extra slowdown is between objectives: it was measured on trials beside siblings
        return self.cores / load / (self.slowdown if running > 1 else 1.0)

    def change(self, h: int, t: float, add: int = -1, work: float = 0.0,
               remove: int = -1) -> list[tuple[float, int, int]]:
        """Apply a start/end on host h at t; return (end time, trial, version) to schedule."""
        active = self.active[h]
        elapsed = (t - self.since[h]) * self.rate[h]
        for k in active:
            active[k] -= elapsed
        if remove >= 0:
            active.pop(remove, None)
        if add >= 0:
            active[add] = work
        self.since[h] = t
        self.rate[h] = rate = self._rate(h)
        out = []
        for k, rem in active.items():
            v = self.version.get(k, 0) + 1
            self.version[k] = v
            out.append((t + max(rem, 0.0) / rate, k, v))
        return out


def trials_per_host(shape: Shape) -> int:
    """The most trials one host runs at once: every trial when the executors share this
    machine (`host_cores`), else an executor's share when Spark spreads them over executors."""
    at_once = min(shape.p, shape.slots)
    return at_once if shape.host_cores else math.ceil(at_once / shape.executors)


def _next_tick(t: float, first: float, period: float) -> float:
    """First wake-up strictly after t of a loop waking at first + k * period."""
    if t < first:
        return first
    return first + (math.floor((t - first) / period) + 1) * period


def simulate(inp: Inputs, shape: Shape, n: int, rng: np.random.Generator,
             objective_s: np.ndarray | None = None) -> Outcome:
    """One fmin call of n evaluations on `shape`; per-trial times drawn from `inp`'s samples
    (or the given objective durations)."""
    p, q, slots = shape.p, shape.q, shape.slots
    if objective_s is None:
        obj = rng.choice(inp.objective_s, n).tolist()
    else:
        obj = [float(x) for x in objective_s]
    fresh = rng.choice(inp.startup_fresh_s, n).tolist()
    reused = (rng.choice(inp.startup_reused_s, n).tolist() if len(inp.startup_reused_s)
              else fresh)
    kept_start = (rng.choice(inp.startup_kept_s, n).tolist() if len(inp.startup_kept_s)
                  else reused)
    reuse = (rng.random(n) < inp.reuse_prob).tolist() if inp.reuse_prob > 0 else [False] * n
    ret = rng.choice(inp.return_s, n).tolist()
    phase = float(rng.choice(inp.dispatch_phase_s))

    per_exec, n_exec = shape.slots_per_executor, shape.executors
    if shape.host_cores:
        n_hosts, host_of = 1, [0] * slots
    else:
        n_hosts, host_of = n_exec, [s // per_exec for s in range(slots)]
    hosts = _Hosts(n_hosts, shape.cores_per_host, inp.demand_cores, inp.background_cores,
                   trials_per_host(shape), inp.oversubscribed_slowdown)

    pf, pd_ = inp.fmin_period_s, inp.dispatch_period_s
    f0 = inp.first_suggest_s
    d0 = phase
    heap: list = []
    seq = 0
    new_q: deque = deque()
    pending: deque = deque()          # booked, waiting for a task slot
    # free slots per executor (lowest first); a task goes to the executor with the most free
    # slots, as Spark's shuffled offers spread one-task jobs over executors
    free_by_exec = [list(range((e + 1) * per_exec - 1, e * per_exec - 1, -1))
                    for e in range(n_exec)]
    n_free = slots
    warm = [False] * slots
    kept = (min(p, slots) if inp.prewarmed else
            int(rng.choice(inp.kept_workers)) if len(inp.kept_workers) else 0)
    slot_of = [0] * n
    slot_since = [0.0] * n            # when each trial took its task slot
    book_times = []
    queued = running = done = 0
    busy = 0.0
    f_next = f0                       # next fmin wake-up that can act
    d_next = math.inf                 # next dispatcher wake-up that can act
    end_check = math.inf

    shared = hosts.shared

    def take_slot(i: int, t: float) -> None:
        nonlocal seq, n_free, kept
        e = max(range(n_exec), key=lambda k: len(free_by_exec[k])) if n_exec > 1 else 0
        s = free_by_exec[e].pop()
        n_free -= 1
        slot_of[i], slot_since[i] = s, t
        if warm[s] and reuse[i]:
            start = t + reused[i]
        elif kept:  # an idle worker started before the call: no interpreter to start
            kept -= 1
            start = t + kept_start[i]
        else:
            start = t + fresh[i]
        warm[s] = True
        seq += 1
        if shared:
            heapq.heappush(heap, (start, seq, _START, i, 0))
        else:  # no host can be overloaded: the trial's whole course is known now
            heapq.heappush(heap, (start + obj[i] + ret[i], seq, _DONE, i, 0))

    while True:
        t_ev = heap[0][0] if heap else math.inf
        if t_ev <= f_next and t_ev <= d_next:
            if t_ev == math.inf:
                raise RuntimeError("simulation stalled")  # a bug, not a user error
            t, _, kind, i, v = heapq.heappop(heap)
            if kind == _START:
                h = host_of[slot_of[i]]
                for end, k, ver in hosts.change(h, t, add=i, work=obj[i]):
                    seq += 1
                    heapq.heappush(heap, (end, seq, _END, k, ver))
            elif kind == _END:
                if hosts.version.get(i) != v:
                    continue      # superseded by a rate change
                for end, k, ver in hosts.change(host_of[slot_of[i]], t, remove=i):
                    seq += 1
                    heapq.heappush(heap, (end, seq, _END, k, ver))
                seq += 1
                heapq.heappush(heap, (t + ret[i], seq, _DONE, i, 0))
            else:  # result recorded: the trial leaves "running" and frees its slot
                running -= 1
                done += 1
                busy += t - slot_since[i]
                free_by_exec[slot_of[i] // per_exec].append(slot_of[i])
                n_free += 1
                if pending:
                    take_slot(pending.popleft(), t)
                # fmin may now find everything done; the dispatcher may book again
                if f_next == math.inf and queued == n:
                    f_next = _next_tick(t, f0, pf)
                if new_q and d_next == math.inf:
                    d_next = _next_tick(t, d0, pd_)
            continue
        if f_next < d_next:
            t = f_next  # a tie goes to the dispatcher (fmin also pays for suggesting)
            # fmin wakes: finished? else top up the queue, then sleep
            if queued == n and running == 0 and not new_q:
                end_check = t
                break
            room = min(q - len(new_q), n - queued)
            if room > 0:
                new_q.extend(range(queued, queued + room))
                queued += room
                if d_next == math.inf and running < p:
                    d_next = _next_tick(t, d0, pd_)
            # a wake-up with a full queue changes nothing: skip to the next one after a
            # booking or a result (they re-arm f_next)
            f_next = t + pf if (len(new_q) < q and queued < n) else math.inf
            continue
        # dispatcher wakes: book NEW trials while fewer than parallelism run
        t = d_next
        while new_q and running < p:
            i = new_q.popleft()
            running += 1
            book_times.append(t)
            if n_free:
                take_slot(i, t)
            else:
                pending.append(i)
        d_next = t + pd_ if (new_q and running < p) else math.inf
        if f_next == math.inf and queued < n and len(new_q) < q:
            f_next = _next_tick(t, f0, pf)
    # wait_for_all_threads(): the dispatcher exits at its next wake-up
    wall = _next_tick(end_check, d0, pd_)
    return Outcome(wall_s=wall, slot_busy_s=busy, book_times=tuple(book_times))


def simulate_serial(inp: Inputs, n: int, rng: np.random.Generator) -> float:
    """serial Trials: suggest, evaluate in the driver, record; no loops, no Spark."""
    obj = rng.choice(inp.serial_objective_s, n)
    over = rng.choice(inp.serial_overhead_s, n)
    return float(obj.sum() + over.sum())
