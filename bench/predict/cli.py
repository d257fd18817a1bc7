"""`python -m bench predict RUN [...]`: wall time and cost of shapes not run, or --validate."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ..analysis import load_run
from ..errors import BenchError
from ..shapes import shape_label
from ..storage import default_out_dir
from . import (DEFAULT_DRAWS, STOCK, build_shapes, calibrate, error_summary, mechanism_checks,
               parse_ints, parse_queue, plot_sizing, predict_many, predict_serial, recommend,
               validate)
from .calibrate import prepare
from .validate import TARGET_MEDIAN, TARGET_WORST, VALIDATE_DRAWS, WALL_DECIMALS

DEFAULT_EVALS = 200


def add_parser(sub):
    p = sub.add_parser(
        "predict", help="predict fmin wall and cost on cluster shapes not run (calibrated "
                        "model); --validate checks it against the run's own configurations",
        description="Calibrate a model of SparkTrials from a run's measurements and predict "
                    "fmin wall time, core-seconds per trial and slot use for other cluster "
                    "shapes. Lists are comma-separated; every combination is predicted.")
    p.add_argument("results", help="results folder, e.g. results/<run-id>")
    p.add_argument("--parallelism", metavar="LIST",
                   help="SparkTrials parallelism, e.g. 8,16,32 (default: one per task slot)")
    p.add_argument("--executors", metavar="LIST", help="executors, e.g. 4,8 (default 1..64)")
    p.add_argument("--cores", metavar="LIST", help="cores per executor (default 4)")
    p.add_argument("--task-cpus", metavar="LIST", help="spark.task.cpus (default 1)")
    p.add_argument("--max-evals", metavar="N", help=f"evaluations (default {DEFAULT_EVALS})")
    p.add_argument("--max-queue-len", metavar="N|parallelism",
                   help="fmin max_queue_len (default: 1 for stock, else as the variant ran)")
    p.add_argument("--variant", default=STOCK,
                   help="SparkTrials variant to calibrate from: stock (default) or tuned; the "
                        "run must have measured it")
    p.add_argument("--workload", metavar="NAME", help="only this workload")
    p.add_argument("--draws", metavar="N",
                   help=f"simulations per shape for the interval (default {DEFAULT_DRAWS}; "
                        f"{VALIDATE_DRAWS} per configuration with --validate, as in the report)")
    p.add_argument("--chart", metavar="PNG",
                   help="where to draw the chart (default reports/<run-id>/predict_sizing.png)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--validate", action="store_true",
                   help="predict each measured spark configuration from the others instead")
    return p


def _one_int(text, option) -> int | None:
    if text is None:
        return None
    values = parse_ints(text, option)
    if len(values) != 1:
        raise BenchError(f"{option} {text!r}: give one number")
    return values[0]


def run(args) -> int:
    # parse every option before reading anything: a typo costs no time
    shape_opts = dict(executors=parse_ints(args.executors, "--executors"),
                      cores=parse_ints(args.cores, "--cores"),
                      task_cpus=parse_ints(args.task_cpus, "--task-cpus"),
                      parallelism=parse_ints(args.parallelism, "--parallelism"))
    evals = _one_int(args.max_evals, "--max-evals") or DEFAULT_EVALS
    draws = _one_int(args.draws, "--draws") or (VALIDATE_DRAWS if args.validate
                                                  else DEFAULT_DRAWS)
    queue = parse_queue(args.max_queue_len)
    if not Path(args.results).is_dir():
        raise BenchError(f"{args.results}: no such results folder")
    run_data = load_run(args.results)
    if args.validate:
        return _validate(run_data, args.variant, draws, args.json)
    cal = calibrate(run_data, args.variant)
    if queue is None:  # hyperopt's default for stock; a variant's own measured setting
        queue = 0 if (args.variant != STOCK and cal.queue_is_parallelism) else 1
    shapes = build_shapes(max_queue_len=queue, **shape_opts)
    keys = [k for k in cal.classes() if args.workload in (None, k[0])]
    if not keys:
        have = ", ".join(sorted({k[0] for k in cal.classes()}))
        raise BenchError(f"--workload {args.workload!r}: not in this run's spark trials "
                         f"(workloads: {have})")
    preds = predict_many(cal, shapes, evals, keys, draws)
    recs = {k: recommend([p for p in preds if p.key == k]) for k in keys}
    serial = {k: predict_serial(cal, k, evals, draws=draws) for k in keys}
    chart = Path(args.chart) if args.chart else _default_chart(run_data.path)
    chart.parent.mkdir(parents=True, exist_ok=True)
    plot_sizing(preds, chart, f"Predicted from {run_data.run_id} ({args.variant} SparkTrials, "
                              f"{evals} evaluations)")
    if args.json:
        print(json.dumps({"calibration": cal.summary(), "notes": cal.notes,
                          "predictions": [p.to_dict() for p in preds],
                          "serial_wall_s": {k.text(): (round(v[0], 2) if v else None)
                                            for k, v in serial.items()},
                          "recommendations": {k.text(): r.to_dict()
                                              for k, r in recs.items()},
                          "chart": str(chart)}, indent=2))
        return 0
    print("\n".join(calibration_lines(cal)))
    print(f"\nPredicted fmin wall for {evals} evaluations ({draws} draws per shape; interval "
          f"= 5th-95th percentile of the draws):")
    width = max([len("objective")] + [len(k.text()) for k in keys])
    print(f"{'objective':<{width}} {'executors x cores':<18} {'slots':>5} {'p':>4} "
          f"{'q':>4} {'wall s':>8} {'interval':>15} {'core-s/trial':>12} {'slot use':>8}")
    for p in preds:
        s = p.shape
        print(f"{p.key.text():<{width}} {shape_label(s.executors, s.cores, s.task_cpus):<18} "
              f"{s.slots:>5} {s.p:>4} {s.q:>4} {p.wall_s:>8.1f} "
              f"{f'{p.wall_low_s:.1f}-{p.wall_high_s:.1f}':>15} {p.core_s_per_trial:>12.2f} "
              f"{p.utilisation:>8.0%}")
    print()
    for k in keys:
        s = serial[k]
        if s:
            print(f"serial Trials ({k.text()}, driver as measured): {s[0]:.1f} s")
    for k in keys:
        print("recommendation: " + recs[k].sentence())
    print(f"(model, not measurement: see `--validate` for its error on this run) chart: {chart}")
    return 0


def _default_chart(run_path: Path) -> Path:
    return default_out_dir(run_path) / "predict_sizing.png"


def calibration_lines(cal) -> list[str]:
    lo = cal.loops
    lines = [f"Calibrated from {cal.run_id} ({cal.variant} SparkTrials): fmin loop "
             f"{lo['fmin_period_s']:.3f} s, dispatcher loop {lo['dispatch_period_s']:.3f} s; "
             f"this machine: {cal.host_cores} cores, {cal.background_cores:.2f} busy with "
             f"other work during trials"]
    for key, inp in sorted(cal.inputs.items()):
        reused = (f", kept worker {np.median(inp.startup_reused_s):.2f} s "
                  f"(a slot's next trial reuses it {inp.reuse_prob:.0%} of the time; "
                  f"{np.mean(inp.kept_workers):.1f} idle per call from before it)"
                  if len(inp.startup_reused_s) else "")
        spin = (f", {inp.oversubscribed_slowdown:.1f}x slower than sharing explains beside "
                f"siblings on oversubscribed cores"
                if round(inp.oversubscribed_slowdown, 1) > 1.0 else "")
        lines.append(f"  {key.text()}: {cal.trials_used[key]} trials, objective "
                     f"{np.median(inp.objective_s):.3f} s alone using {inp.demand_cores:.2f} "
                     f"cores{spin}, start-up {np.median(inp.startup_fresh_s):.2f} s{reused}, "
                     f"return {np.median(inp.return_s):.3f} s")
    shapes = {shape for _, shape in cal.startups}
    if len(shapes) > 1:  # start-up as measured on each shape (used for that shape)
        for (workload, shape), start in sorted(cal.startups.items()):
            lines.append(f"  {workload} start-up on {shape}: {np.median(start.fresh_s):.2f} s "
                         f"({start.trials} trials with a free slot)")
    lines += [f"  note: {n}" for n in cal.notes]
    return lines


def _pct(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:+.0%}"


def _validate(run_data, variant: str, draws: int, as_json: bool) -> int:
    prepared = prepare(run_data)
    rows = validate(run_data, variant, draws, prepared=prepared)
    summary = error_summary(rows)
    cal = calibrate(run_data, variant, prepared=prepared)
    checks = mechanism_checks(run_data, cal, draws)
    if as_json:
        print(json.dumps({"rows": [r.to_dict() for r in rows], "summary": summary,
                          "mechanism_checks": checks}, indent=2, default=str))
        return 0
    print("\n".join(validation_lines(run_data.run_id, variant, rows, summary, checks)))
    return 0


def validation_lines(run_id, variant, rows, summary, checks) -> list[str]:
    lines = [f"Model check on {run_id} ({variant} SparkTrials): each spark configuration "
             f"predicted from the other configurations", "",
             "| configuration | workload | shape | evals | cells | measured wall [repeats] | "
             "predicted wall [interval] | error | note |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    d = WALL_DECIMALS
    for r in rows:
        predicted = math.isfinite(r.predicted_s)
        pred = (f"{r.predicted_s:.{d}f} s [{r.low_s:.{d}f}-{r.high_s:.{d}f}]" if predicted
                else r.note)
        spread = (f" [{r.measured_low_s:.{d}f}-{r.measured_high_s:.{d}f}]" if r.cells > 1
                  else "")
        lines.append(f"| {r.setting} | {r.workload} | {r.shape} | {r.max_evals} | {r.cells} | "
                     f"{r.measured_s:.{d}f} s{spread} | {pred} | {_pct(r.error)} | "
                     f"{r.note if predicted else ''} |")
    lines.append("")
    if summary["configurations"]:
        ok = "within" if summary["within_target"] else "NOT within"
        lines.append(f"Median absolute error {summary['median_abs_error']:.1%}, worst "
                     f"{summary['worst_abs_error']:.1%} over {summary['configurations']} "
                     f"configurations: {ok} the target (median <= {TARGET_MEDIAN:.0%}, worst "
                     f"<= {TARGET_WORST:.0%}).")
        if summary["repeated"]:
            lines.append(f"{summary['in_measured_range']} of the {summary['repeated']} "
                         f"configurations measured more than once were predicted within the "
                         f"range of their own repeats.")
    else:
        lines.append("No configuration could be predicted from the others.")
    lr = checks["launch_rate"]
    lines += ["", "Mechanism checks (shapes not run):",
              f"- launch rate on {lr['shape']} with max_queue_len=1: "
              f"{lr['launch_rate_q1_per_s']:.3f} trials/s (bound from the fmin loop "
              f"{lr['bound_per_s']:.3f}/s: {'holds' if lr['holds'] else 'VIOLATED'}); with "
              f"max_queue_len=64: {lr['launch_rate_q_parallelism_per_s']:.2f}/s; wall "
              f"{lr['wall_q1_s']:.0f} s vs {lr['wall_q_parallelism_s']:.0f} s for "
              f"{lr['max_evals']} evaluations"]
    if not checks["break_even"] and variant != STOCK:
        lines.append(f"- break-even objective length: not compared (the `fixed-overhead` "
                     f"finding measures stock SparkTrials, not {variant})")
    elif not checks["break_even"]:
        lines.append("- break-even objective length: nothing to compare with (no "
                     "`fixed-overhead` finding at a parallelism >= 2, or no diagnosis run)")
    for b in checks["break_even"]:
        lines.append(f"- break-even objective length, {b['workload']} at parallelism "
                     f"{b['parallelism']}: model {b['model_s']:.2f} s, `fixed-overhead` finding "
                     f"{b['finding_s']:.2f} s ({_pct(b['difference'])}; "
                     f"{'within' if b['holds'] else 'NOT within'} 10%)")
    return lines
