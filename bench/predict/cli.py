"""`python -m bench predict RUN [...]`: wall time and cost of shapes not run, or --validate."""
from __future__ import annotations

import json
from pathlib import Path

from ..analysis import load_run
from ..errors import BenchError
from ..shapes import shape_label
from ..storage import default_out_dir
from . import holdout
from . import (DEFAULT_DRAWS, STOCK, build_shapes, calibrate, error_summary, mechanism_checks,
               parse_ints, parse_queue, plot_sizing, predict_many, predict_serial, recommend,
               validate)
from .calibrate import prepare
from .text import calibration_lines, holdout_lines, validation_lines
from .predict import MAX_DRAWS, MIN_DRAWS
from .validate import VALIDATE_DRAWS

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
                   help=f"simulations per shape for the interval (default: until its ends "
                        f"move < 2%% of the median, {MIN_DRAWS}-{MAX_DRAWS}; "
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
    used = sorted({p.draws for p in preds})
    print(f"\nPredicted fmin wall for {evals} evaluations ({used[0]}-{used[-1]} draws per "
          f"shape; interval = 5th-95th percentile of the draws with the measured repeat "
          f"spread):")
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


def _validate(run_data, variant: str, draws: int, as_json: bool) -> int:
    prepared = prepare(run_data)
    rows = validate(run_data, variant, draws, prepared=prepared)
    summary = error_summary(rows)
    ins, outs, s_in, s_out = holdout.both(run_data, variant, draws, prepared)
    summary[holdout.IN_SAMPLE], summary[holdout.OUT_OF_SAMPLE] = s_in, s_out
    cal = calibrate(run_data, variant, prepared=prepared)
    checks = mechanism_checks(run_data, cal, draws)
    if as_json:
        print(json.dumps({"rows": [r.to_dict() for r in rows], "summary": summary,
                          "in_sample_rows": [r.to_dict() for r in ins],
                          "out_of_sample_rows": ([r.to_dict() for r in outs]
                                                 if outs is not None else None),
                          "mechanism_checks": checks}, indent=2, default=str))
        return 0
    print("\n".join(validation_lines(run_data.run_id, variant, rows, summary, checks)
                    + holdout_lines(ins, outs, s_in, s_out)))
    return 0
