"""One-axis plans: the user's current setup, and fixes that each change one axis from it.

A scenario lists every axis with the user's current setup first (stock SparkTrials,
max_queue_len 1, the model's default n_jobs, the inherited thread environment); every
other value of an axis is a fix. By default the grid crosses every axis with every other.
With the `fixes` key the axes it names are not crossed: the setup (each named axis at its
first value) runs in every mode, at every parallelism and under every driver condition,
and each other value of a named axis runs as the setup with that one axis changed, only
in the modes and at the parallelism values the fix names:

    "fixes": {"max_queue_len": {"parallelism": [2]},    # the public knob, at p=2 only
              "variants": {"parallelism": [2]},         # tuned (modified hyperopt), at p=2
              "n_jobs": {"modes": ["serial"]},          # thread fixes: the serial cells
              "thread_env": {"modes": ["serial"]}}

Axes the key does not name (parallelism, max_evals, modes, conditions, clusters) are
crossed as usual. Pure functions over validated settings: bench.grid expands what
`variations` returns, bench.scenario calls `check`.
"""
from __future__ import annotations

from dataclasses import dataclass

#: Axes a fix may change, and the modes whose cells that axis changes.
FIX_AXES = {
    "max_queue_len": ("spark",),
    "variants": ("spark",),
    "n_jobs": ("serial", "spark", "pool"),
    "thread_env": ("serial", "spark", "pool"),
}
#: Where a fix runs: a subset of the scenario's modes and parallelism values.
PLACEMENT = ("modes", "parallelism")


@dataclass(frozen=True)
class Variation:
    """A slice of the grid: these values of each axis, crossed, in these modes and at
    these parallelism values. `fix` names the axis it changes ('' for the setup or a
    product grid)."""

    n_jobs: tuple
    thread_env: tuple
    max_queue_len: tuple
    variants: tuple
    modes: tuple
    parallelism: tuple
    fix: str = ""


def axis_values(settings: dict, workload: dict, n_jobs: list) -> dict[str, list]:
    """The values of each fixable axis for one workload (its own lists where it has them)."""
    return {"n_jobs": list(n_jobs),
            "thread_env": list(workload.get("thread_env", settings.get("thread_env")) or [{}]),
            "max_queue_len": list(settings["max_queue_len"]),
            "variants": list(settings.get("variants") or ["stock"])}


def variations(settings: dict, workload: dict, n_jobs: list) -> list[Variation]:
    """The slices of the grid for one workload: the whole product without `fixes`; with it,
    the setup everywhere, then one slice per fix value."""
    values = axis_values(settings, workload, n_jobs)
    modes, pars = tuple(settings["modes"]), tuple(settings["parallelism"])
    fixes = settings.get("fixes")
    if not fixes:
        return [Variation(**{a: tuple(v) for a, v in values.items()}, modes=modes,
                          parallelism=pars)]
    setup = {a: tuple(v if a not in fixes else v[:1]) for a, v in values.items()}
    out = [Variation(**setup, modes=modes, parallelism=pars)]
    for axis, where in fixes.items():
        fix_modes = tuple(m for m in where.get("modes", modes) if m in FIX_AXES[axis])
        fix_pars = tuple(where.get("parallelism", pars))
        for value in values[axis][1:]:
            out.append(Variation(**{**setup, axis: (value,)}, modes=fix_modes,
                                 parallelism=fix_pars, fix=axis))
    return out


def check(settings: dict, fail) -> None:
    """Validate the `fixes` key against the resolved settings; `fail(key, problem)` raises
    the one-line error."""
    fixes = settings.get("fixes")
    if fixes is None:
        return
    for axis, where in fixes.items():
        key = f"fixes.{axis}"
        if axis not in FIX_AXES:
            fail(key, f"unknown axis (a fix changes one of: {', '.join(FIX_AXES)})")
        if not isinstance(where, dict):
            fail(key, "expected a dict saying where the fix runs ({} = every mode and "
                 f"parallelism; keys: {', '.join(PLACEMENT)}), got {type(where).__name__}")
        for k, v in where.items():
            if k not in PLACEMENT:
                fail(f"{key}.{k}", f"unknown key (allowed: {', '.join(PLACEMENT)})")
            if not isinstance(v, list) or not v:
                fail(f"{key}.{k}", f"expected a non-empty list, got {v!r}")
        for m in where.get("modes", []):
            if m not in settings["modes"]:
                fail(f"{key}.modes", f"{m!r} is not one of the scenario's modes "
                     f"({', '.join(settings['modes'])})")
            if m not in FIX_AXES[axis]:
                fail(f"{key}.modes", f"{axis} changes only {' and '.join(FIX_AXES[axis])} "
                     f"cells, not {m!r} ones")
        for p in where.get("parallelism", []):
            if p not in settings["parallelism"]:
                fail(f"{key}.parallelism", f"{p!r} is not one of the scenario's parallelism "
                     f"values ({', '.join(map(str, settings['parallelism']))})")

