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
  min(1, cores / (background + sum of demands)). When two or more objectives run on a host
  whose cores their threads outnumber (threads per trial x trials > cores, bench.predict.spin),
  the rate is also divided by the class's spin-wait factor, drawn once per call from the
  factors measured per fmin call (`spin_factors`; else the single `oversubscribed_slowdown`):
  OpenMP threads that spin-wait lose their time slices to each other's, beyond what sharing
  explains.
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
from .spin import collapses


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
    oversubscribed_slowdown: float = 1.0  # spin-wait factor when threads outnumber cores
    spin_factors: np.ndarray = field(default_factory=lambda: np.zeros(0))  # measured per
    #                                  fmin call (empty: oversubscribed_slowdown always)
    threads_per_trial: float = 0.0   # threads one trial runs (0: demand_cores)
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
                 max_running_per_host: int, oversubscribed_slowdown: float = 1.0,
                 threads: float = 0.0):
        self.cores, self.demand, self.background = cores, demand, background
        self.slowdown = max(1.0, oversubscribed_slowdown)
        self.threads = threads or demand
        # rates can only drop below 1 if the most the host can ever run overloads it or
        # collapses its spinning threads
        self.shared = bool(overloaded(background + demand * max_running_per_host, cores)
                           or (self.slowdown > 1.0 and collapses(
                               self.threads, max_running_per_host, cores)))
        self.active = [dict() for _ in range(n_hosts)]   # trial -> remaining work
        self.rate = [1.0] * n_hosts
        self.since = [0.0] * n_hosts
        self.version = {}

    def _rate(self, h: int) -> float:
        running = len(self.active[h])
        load = self.background + self.demand * running
        rate = self.cores / load if overloaded(load, self.cores) else 1.0
        # the spin-wait factor is between objectives: measured on trials beside siblings
        # whose threads outnumbered the cores (bench.predict.spin)
        if collapses(self.threads, running, self.cores):
            rate /= self.slowdown
        return rate

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


@dataclass(frozen=True)
class _Draws:
    """One call's per-trial times drawn from the inputs' samples, in a fixed order (the
    generator's sequence decides every simulated call)."""

    obj: list
    fresh: list
    reused: list
    kept_start: list
    reuse: list
    ret: list
    phase: float
    spin: float                      # this call's spin-wait factor


def _draw(inp: Inputs, n: int, rng: np.random.Generator,
          objective_s: np.ndarray | None) -> _Draws:
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
    spin = (float(rng.choice(inp.spin_factors)) if len(inp.spin_factors)
            else inp.oversubscribed_slowdown)
    return _Draws(obj, fresh, reused, kept_start, reuse, ret, phase, spin)


class _Call:
    """One fmin call in progress: the event heap (trial starts, ends and recorded results),
    fmin's queue of NEW trials, the dispatcher's running trials, the task slots per
    executor and the hosts' processor sharing. The two loops' next useful wake-ups are
    `f_next` and `d_next` (inf: asleep until a booking or a result re-arms them)."""

    def __init__(self, inp: Inputs, shape: Shape, n: int, rng: np.random.Generator,
                 draws: _Draws):
        p, slots = shape.p, shape.slots
        self.n, self.p, self.q, self.draws = n, p, shape.q, draws
        self.per_exec, self.n_exec = per_exec, n_exec = shape.slots_per_executor, shape.executors
        if shape.host_cores:
            n_hosts, self.host_of = 1, [0] * slots
        else:
            n_hosts, self.host_of = n_exec, [s // per_exec for s in range(slots)]
        self.hosts = _Hosts(n_hosts, shape.cores_per_host, inp.demand_cores,
                            inp.background_cores, trials_per_host(shape), draws.spin,
                            inp.threads_per_trial)
        self.pf, self.pd = inp.fmin_period_s, inp.dispatch_period_s
        self.f0, self.d0 = inp.first_suggest_s, draws.phase
        self.heap: list = []
        self.seq = 0
        self.new_q: deque = deque()
        self.pending: deque = deque()     # booked, waiting for a task slot
        # free slots per executor (lowest first); a task goes to the executor with the most
        # free slots, as Spark's shuffled offers spread one-task jobs over executors
        self.free_by_exec = [list(range((e + 1) * per_exec - 1, e * per_exec - 1, -1))
                             for e in range(n_exec)]
        self.n_free = slots
        self.warm = [False] * slots
        self.kept = (min(p, slots) if inp.prewarmed else
                     int(rng.choice(inp.kept_workers)) if len(inp.kept_workers) else 0)
        self.slot_of = [0] * n
        self.slot_since = [0.0] * n       # when each trial took its task slot
        self.book_times: list = []
        self.queued = self.running = 0
        self.busy = 0.0
        self.f_next = self.f0             # next fmin wake-up that can act
        self.d_next = math.inf            # next dispatcher wake-up that can act
        self.end_check = math.inf

    def push(self, t: float, kind: int, i: int, version: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, kind, i, version))

    def take_slot(self, i: int, t: float) -> None:
        """Trial i takes a free task slot at t: its worker starts (reused, kept from before
        the call, or fresh), then its objective."""
        d = self.draws
        n_exec, free_by_exec = self.n_exec, self.free_by_exec
        e = max(range(n_exec), key=lambda k: len(free_by_exec[k])) if n_exec > 1 else 0
        s = free_by_exec[e].pop()
        self.n_free -= 1
        self.slot_of[i], self.slot_since[i] = s, t
        if self.warm[s] and d.reuse[i]:
            start = t + d.reused[i]
        elif self.kept:  # an idle worker started before the call: no interpreter to start
            self.kept -= 1
            start = t + d.kept_start[i]
        else:
            start = t + d.fresh[i]
        self.warm[s] = True
        if self.hosts.shared:
            self.push(start, _START, i)
        else:  # no host can be overloaded: the trial's whole course is known now
            self.push(start + d.obj[i] + d.ret[i], _DONE, i)

    def next_event(self) -> None:
        """The earliest event: an objective starts or ends (the host's rates change), or a
        result is recorded."""
        t, _, kind, i, v = heapq.heappop(self.heap)
        hosts = self.hosts
        if kind == _START:
            for end, k, ver in hosts.change(self.host_of[self.slot_of[i]], t, add=i,
                                            work=self.draws.obj[i]):
                self.push(end, _END, k, ver)
        elif kind == _END:
            if hosts.version.get(i) != v:
                return      # superseded by a rate change
            for end, k, ver in hosts.change(self.host_of[self.slot_of[i]], t, remove=i):
                self.push(end, _END, k, ver)
            self.push(t + self.draws.ret[i], _DONE, i)
        else:
            self.recorded(i, t)

    def recorded(self, i: int, t: float) -> None:
        """Trial i's result is recorded: it leaves "running" and frees its slot."""
        self.running -= 1
        self.busy += t - self.slot_since[i]
        self.free_by_exec[self.slot_of[i] // self.per_exec].append(self.slot_of[i])
        self.n_free += 1
        if self.pending:
            self.take_slot(self.pending.popleft(), t)
        # fmin may now find everything done; the dispatcher may book again
        if self.f_next == math.inf and self.queued == self.n:
            self.f_next = _next_tick(t, self.f0, self.pf)
        if self.new_q and self.d_next == math.inf:
            self.d_next = _next_tick(t, self.d0, self.pd)

    def fmin_wakes(self) -> bool:
        """fmin's loop: finished (True)? else top up the queue, then sleep."""
        t, n, q, new_q = self.f_next, self.n, self.q, self.new_q
        if self.queued == n and self.running == 0 and not new_q:
            self.end_check = t
            return True
        room = min(q - len(new_q), n - self.queued)
        if room > 0:
            new_q.extend(range(self.queued, self.queued + room))
            self.queued += room
            if self.d_next == math.inf and self.running < self.p:
                self.d_next = _next_tick(t, self.d0, self.pd)
        # a wake-up with a full queue changes nothing: skip to the next one after a booking
        # or a result (they re-arm f_next)
        self.f_next = t + self.pf if (len(new_q) < q and self.queued < n) else math.inf
        return False

    def dispatcher_wakes(self) -> None:
        """The dispatcher's loop: book NEW trials while fewer than parallelism run."""
        t, new_q, p = self.d_next, self.new_q, self.p
        while new_q and self.running < p:
            i = new_q.popleft()
            self.running += 1
            self.book_times.append(t)
            if self.n_free:
                self.take_slot(i, t)
            else:
                self.pending.append(i)
        self.d_next = t + self.pd if (new_q and self.running < p) else math.inf
        if self.f_next == math.inf and self.queued < self.n and len(new_q) < self.q:
            self.f_next = _next_tick(t, self.f0, self.pf)

    def run(self) -> Outcome:
        while True:
            t_ev = self.heap[0][0] if self.heap else math.inf
            if t_ev <= self.f_next and t_ev <= self.d_next:
                if t_ev == math.inf:
                    raise RuntimeError("simulation stalled")  # a bug, not a user error
                self.next_event()
            elif self.f_next < self.d_next:  # a tie goes to the dispatcher (fmin also pays
                if self.fmin_wakes():        # for suggesting)
                    break
            else:
                self.dispatcher_wakes()
        # wait_for_all_threads(): the dispatcher exits at its next wake-up
        wall = _next_tick(self.end_check, self.d0, self.pd)
        return Outcome(wall_s=wall, slot_busy_s=self.busy, book_times=tuple(self.book_times))


def simulate(inp: Inputs, shape: Shape, n: int, rng: np.random.Generator,
             objective_s: np.ndarray | None = None) -> Outcome:
    """One fmin call of n evaluations on `shape`; per-trial times drawn from `inp`'s samples
    (or the given objective durations)."""
    draws = _draw(inp, n, rng, objective_s)
    return _Call(inp, shape, n, rng, draws).run()


def simulate_serial(inp: Inputs, n: int, rng: np.random.Generator) -> float:
    """serial Trials: suggest, evaluate in the driver, record; no loops, no Spark."""
    obj = rng.choice(inp.serial_objective_s, n)
    over = rng.choice(inp.serial_overhead_s, n)
    return float(obj.sum() + over.sum())
