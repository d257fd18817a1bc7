"""`python -m bench`: list, run, report, diagnose, predict, cluster, schema.

Each command is a thin layer over a module's API; user errors (BenchError) print one line
and exit 2, an interrupted run prints how to resume it and exits 130.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import BenchError


def command_modules() -> list:
    """Commands implemented in their own modules, each with add_parser(sub) and run(args):
    report, diagnose, cluster, predict, compare, stack (imported when the parser is built,
    so a broken command fails loudly, never vanishes)."""
    from . import stacks_cli
    from .cluster import cli as cluster_cli
    from .compare import cli as compare_cli
    from .diagnosis import cli as diagnosis_cli
    from .predict import cli as predict_cli
    from .report import cli as report_cli

    return [report_cli, diagnosis_cli, cluster_cli, predict_cli, compare_cli, stacks_cli]


def cmd_list(args) -> int:
    from . import grid, scenario

    paths = scenario.find_scenarios(Path(args.folder))
    if not paths:
        raise BenchError(f"{args.folder}: no scenario files (*.py) found")
    print(f"{'scenario':<18} {'quick':>6} {'full':>6}  description")
    for path in paths:
        counts, more = [], []
        declared = scenario.load(path).module.SCENARIO.get("profiles") or {}
        for profile in scenario.profile_names(declared):
            scn = scenario.load(path, profile)
            (counts if profile in scenario.PROFILES else more).append(
                (profile, grid.count_cells(scn.settings)))
        desc = scn.settings.get("description", "").strip().splitlines()
        extra = "".join(f" (profile {p}: {n} cells)" for p, n in more)
        print(f"{path.stem:<18} {counts[0][1]:>6} {counts[1][1]:>6}  "
              f"{desc[0] if desc else ''}{extra}")
    print("(cells per profile; run with: python -m bench run scenarios/NAME.py --profile quick)")
    return 0


def cmd_run(args) -> int:
    from . import runner, scenario, spark_session

    if not args.scenario and not args.resume:
        raise BenchError("run: give a scenario file, or --resume RESULTS_FOLDER")
    if args.scenario and args.resume:
        raise BenchError("run: give either a scenario file or --resume, not both")
    if args.ab and args.resume:
        raise BenchError("run: --resume of an A/B run takes no --ab (the sides are recorded)")
    if args.ab or (args.resume and _is_ab_run(args.resume)):
        return _run_ab(args)
    from .stacks import run_in_stack
    from .stacks_cli import stack_for_run, strip_stack_option

    stack = stack_for_run(args)
    if stack:  # re-run this command in the stack's venv (driver and Spark workers)
        return run_in_stack(stack, strip_stack_option(args.argv))
    conf = spark_session.parse_conf(args.conf)
    if args.master and not args.cluster:  # a cluster `cluster start` runs here: its secret
        from .cluster import standalone

        conf = {**standalone.auth_for_master(args.master, args.cluster_dir), **conf}
    scn = scenario.load(args.scenario, args.profile) if args.scenario else None
    kwargs = dict(profile=args.profile, master=args.master, conf=conf,
                  results_dir=args.results_dir, resume=args.resume, quiet=args.quiet,
                  argv=sys.argv, estimate=lambda folder: _estimate(args, scn, folder))
    try:
        if args.cluster:
            path = _run_on_cluster(args, {**kwargs, "scenario": scn})
        else:
            path = runner.run(scn, **kwargs)
    except KeyboardInterrupt:
        print("interrupted; finished cells are kept. Resume with: "
              "python -m bench run --resume <results folder>", file=sys.stderr)
        return 130
    return _finish_run(args, path)


def _is_ab_run(folder) -> bool:
    from .storage import RunFolder

    return bool(RunFolder(folder).read_manifest().ab_sides)


def _run_ab(args) -> int:
    """`run SCENARIO --ab A,B` (or --resume of an A/B run): both sides interleaved."""
    from . import spark_session
    from .ab import run as ab_run

    if args.cluster or args.stack:
        raise BenchError(f"run --ab: {'--cluster' if args.cluster else '--stack'} cannot be "
                         "combined with --ab (the sides name their stacks; each runs on its "
                         "own local session)")
    est = None if args.resume else _estimate_ab(args)
    try:
        path = ab_run.run(args.scenario, ab=args.ab, profile=args.profile, master=args.master,
                          conf=spark_session.parse_conf(args.conf),
                          results_dir=args.results_dir, resume=args.resume, quiet=args.quiet,
                          argv=sys.argv, estimate=est)
    except KeyboardInterrupt:
        print("interrupted; finished cells are kept. Resume with: "
              "python -m bench run --resume <results folder>", file=sys.stderr)
        return 130
    return _finish_run(args, path)


def _estimate_ab(args):
    """Say how long a new A/B run will take before anything starts (stderr, also with
    --quiet), once its sides and grids passed their checks (bench.ab.run.plan_run refuses
    first); None when it cannot be made (said why)."""
    from .ab.run import plan_run
    from .predict import estimate

    specs, scns, cells = plan_run(args.scenario, args.ab, args.profile)
    try:
        est = estimate.for_ab(scns, [c.to_dict() for c in cells], master=args.master,
                              stacks={s.name: s.stack for s in specs})
    except BenchError as exc:
        print(f"estimated time: unknown ({exc})", file=sys.stderr)
        return None
    print(est.line(), file=sys.stderr, flush=True)
    return est


def _finish_run(args, path) -> int:
    """--strict's exit code, then --report's headline or the results path (printed last)."""
    code = _strict_exit(path) if args.strict else 0
    if args.report:
        from .report import write_report_files
        from .report.cli import print_report

        print_report(write_report_files(path))  # the headline, then the report path last
        return code
    print(path)
    return code


#: `run --strict` when a cell failed or was incomplete: the run is not fit for a gate.
EXIT_NOT_COMPARABLE = 3


def _strict_exit(path) -> int:
    """3 (with one line on stderr) when a cell of the run failed, returned with fewer ok
    trials than max_evals, or never ran; else 0."""
    from .analysis import load_run
    from .analysis.completeness import completeness, strict_problems

    run = load_run(path)
    problem = strict_problems(completeness(run.manifest, run.cells, run.trials, run.bad_lines,
                                           run.orphan_trials))
    if problem is None:
        return 0
    print(f"strict: {path}: {problem}", file=sys.stderr)
    return EXIT_NOT_COMPARABLE


def _estimate(args, scn, folder):
    """Say how long the run will take, once its results folder is ours and its cells passed
    their pre-flight checks, before its first cell (stderr, also with --quiet); the progress
    bar counts down from it. None when it cannot be made (said why)."""
    from .predict import estimate

    master = args.master or (f"local[{_cluster_slots(args.cluster)}]" if args.cluster else None)
    try:
        est = (estimate.for_resume(folder, report=args.report, master=master)
               if args.resume else estimate.for_scenario(scn, report=args.report, master=master))
    except BenchError as exc:
        print(f"estimated time: unknown ({exc})", file=sys.stderr)
        return None
    print(est.line(), file=sys.stderr, flush=True)
    return est


def _cluster_slots(shape: str) -> int:
    from .shapes import parse_shape

    workers, cores = parse_shape(shape)
    return workers * cores


def _run_on_cluster(args, kwargs) -> Path:
    from . import runner
    from .cluster import standalone
    from .shapes import parse_shape

    workers, cores = parse_shape(args.cluster)
    standalone.check_schedulable(kwargs["conf"], workers, cores, args.worker_memory)
    with standalone.running_cluster(workers, cores, args.worker_memory,
                                    Path(args.cluster_dir)) as cluster:
        kwargs["master"] = cluster.master_url
        kwargs["conf"] = {**standalone.spark_conf_for(cluster), **kwargs["conf"]}
        return runner.run(kwargs.pop("scenario"), **kwargs)


def cmd_schema(args) -> int:
    from .schema_doc import schema_markdown

    print(schema_markdown())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench",
                                     description="Measure and explain hyperopt SparkTrials speedups.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("list", help="list scenarios and their cell counts per profile")
    p.add_argument("--folder", default="scenarios", help="folder of scenario files")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("run", help="run a scenario (or resume a run); prints the results folder")
    p.add_argument("scenario", nargs="?", help="scenario file, e.g. scenarios/smoke.py")
    p.add_argument("--profile", default="quick",
                   help="quick (default), full, or a profile the scenario declares")
    p.add_argument("--master", help="Spark master URL (default: local[*], embedded)")
    p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                   help="Spark setting, repeatable")
    p.add_argument("--results-dir", default="results", help="where run folders go")
    p.add_argument("--resume", metavar="RUN_FOLDER", help="finish an interrupted run")
    p.add_argument("--cluster", metavar="NxC",
                   help="start a standalone cluster of N workers x C cores on 127.0.0.1 for "
                        "this run and stop it afterwards")
    p.add_argument("--worker-memory", default="1g", help="memory per worker with --cluster")
    p.add_argument("--cluster-dir", default=".cluster", help="state/log folder for --cluster (run --master finds a started "
                        "cluster's secret there)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--stack", metavar="NAME",
                   help="run in a software stack's venv (python -m bench stack list)")
    p.add_argument("--ab", metavar="A,B",
                   help="an A/B run: two sides interleaved cell by cell, each in its own "
                        "driver process kept for the whole run; a side is a stack name "
                        "('current': this environment) or a second scenario file with the "
                        "same cells (run on the other side's stack). Compare with: python -m "
                        "bench compare RUN")
    p.add_argument("--report", action="store_true",
                   help="then diagnose and write the report; prints the report path last")
    p.add_argument("--strict", action="store_true",
                   help="exit 3 when any cell failed or was incomplete (fewer ok trials than "
                        "max_evals, e.g. cut off by timeout_s); the results path is still "
                        "printed last. Without it a run whose objective fails some trials "
                        "exits 0")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("schema", help="print the results schema (every field documented)")
    p.set_defaults(func=cmd_schema)

    for mod in command_modules():
        p = mod.add_parser(sub)
        p.set_defaults(func=mod.run)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return args.func(args)
    except BenchError as exc:
        from . import redaction

        print(f"error: {redaction.text(str(exc))}", file=sys.stderr)
        return exc.exit_code
