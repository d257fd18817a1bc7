"""`python -m bench stack create NAME | list`, and how `run` picks the stack it re-executes
in (`--stack`, the scenario's `stack` key, or the stack a resumed run started in). The
stacks themselves (definitions, venvs, the re-execution) are bench.stacks."""
from __future__ import annotations

import os

from .errors import BenchError
from .stacks import ENV_NAME, FILE_ENV, built_info, create, is_current, load_stacks


def stack_for_run(args) -> str | None:
    """The stack a `run` must re-execute in: --stack, else the scenario's own `stack` key,
    else (resume) the stack the run started in; None when this process already is it."""
    name = getattr(args, "stack", None)
    inside = os.environ.get(ENV_NAME)
    if not name and inside:  # re-executed by --stack (or run from inside a stack): stay
        return None
    if not name and getattr(args, "scenario", None):
        from . import scenario

        name = scenario.load(args.scenario, args.profile).settings.get("stack")
    if not name and getattr(args, "resume", None):
        from .storage import RunFolder

        name = RunFolder(args.resume).read_manifest().stack_name
    if not name or name == inside:
        return None
    return name


def strip_stack_option(argv: list[str]) -> list[str]:
    """argv without --stack NAME / --stack=NAME (the re-executed run must not recurse)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--stack":
            skip = True
        elif not arg.startswith("--stack="):
            out.append(arg)
    return out


def add_parser(sub):
    p = sub.add_parser("stack", help="software stacks: create NAME [--requirements FILE], list",
                       description="Named sets of pinned packages (stacks.toml), each in a venv "
                                   "under .stacks/, to run scenarios on side by side.")
    p.add_argument("action", choices=("create", "list"))
    p.add_argument("name", nargs="?", help="stack name (create)")
    p.add_argument("--stacks-file", default=None,
                   help=f"stack definitions (default: ${FILE_ENV} or stacks.toml)")
    p.add_argument("--rebuild", action="store_true", help="create: rebuild even if built")
    p.add_argument("--requirements", metavar="FILE",
                   help="create: define the stack by a pip requirements file (one pinned "
                        "package a line) instead of the stacks file, e.g. a branch's pins "
                        "for an A/B run (run --ab NAME,current)")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    return p


def run(args) -> int:
    if args.action == "create":
        if not args.name:
            raise BenchError("stack create: give a stack name (see python -m bench stack list)")
        print(create(args.name, args.stacks_file, quiet=args.quiet, rebuild=args.rebuild,
                     requirements=args.requirements))
        return 0
    stacks = load_stacks(args.stacks_file)
    print(f"{'stack':<12} {'built':<8} description")
    for stack in stacks.values():
        state = "current" if is_current(stack) else ("stale" if built_info(stack) else "no")
        summary = (stack.description.splitlines() or [""])[0]
        print(f"{stack.name:<12} {state:<8} {summary[:90]}")
        for req in stack.packages:
            print(f"{'':<22}{req}")
    print("(build with: python -m bench stack create NAME; run with: python -m bench run "
          "SCENARIO --stack NAME)")
    return 0
