"""predict's text: the calibration and the model check as lines, for the terminal
(`python -m bench predict`) and the report's "Model check" section alike."""
from __future__ import annotations

import math

import numpy as np

from .calibrate import STOCK
from .validate import TARGET_MEDIAN, TARGET_WORST, WALL_DECIMALS


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
        factors = inp.spin_factors
        spread = (f" ({np.min(factors):.1f}-{np.max(factors):.1f}x over {len(factors)} calls)"
                  if len(factors) > 1 else "")
        # shown when any measured call collapsed, even if the median call did not
        collapsed = len(factors) and round(float(np.max(factors)), 1) > 1.0
        spin = (f", spin-wait factor {inp.oversubscribed_slowdown:.1f}x{spread} beside "
                f"siblings whose threads outnumbered the cores"
                if collapsed or round(inp.oversubscribed_slowdown, 1) > 1.0 else "")
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
    for b in checks.get("break_even_measured", []):
        where = (f"parallelism {b['parallelism']}, max_queue_len {b['max_queue_len']}, "
                 f"{b['max_evals']} evaluations")
        if b["crossover_s"] is None:
            lines.append(f"- break-even measured over lengths {b['lengths_s']} s ({where}): "
                         f"{b['note']}; model {b['model_s']:.2f} s")
            continue
        lines.append(f"- break-even measured directly ({where}; serial and spark walls "
                     f"over lengths {b['lengths_s']} s): {b['crossover_s']:.2f} s, model "
                     f"{b['model_s']:.2f} s with {b['model_from']}'s start-up "
                     f"({_pct(b['difference'])}; "
                     f"{'within' if b['holds'] else 'NOT within'} 10%)")
    for b in checks["break_even"]:
        lines.append(f"- break-even objective length, {b['workload']} at parallelism "
                     f"{b['parallelism']}: model {b['model_s']:.2f} s, `fixed-overhead` finding "
                     f"{b['finding_s']:.2f} s ({_pct(b['difference'])}; "
                     f"{'within' if b['holds'] else 'NOT within'} 10%)")
    return lines


def holdout_lines(ins, outs, s_in: dict, s_out: dict) -> list[str]:
    """In-sample and out-of-sample predictions of every configuration side by side, and the
    two summaries (bench.predict.holdout)."""
    d = WALL_DECIMALS
    lines = ["", "In sample (calibrated on the whole run) and out of sample (each repeat "
             "predicted from the other repeats; its points never seen):", "",
             "| configuration | workload | n_jobs | measured walls | repeats | in sample "
             "[interval] | error | out of sample [interval] | error |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    by_key = {(r.workload, r.n_jobs, r.setting): r for r in (outs or [])}

    def cell(r) -> tuple[str, str]:
        if r is None or not math.isfinite(r.predicted_s):
            return (r.note if r is not None else "n/a"), "n/a"
        inside = "" if r.covered else " (outside)"
        return (f"{r.predicted_s:.{d}f} s [{r.low_s:.{d}f}-{r.high_s:.{d}f}]{inside}",
                _pct(r.error))
    for r in ins:
        o = by_key.get((r.workload, r.n_jobs, r.setting))
        walls = ", ".join(f"{w:.{d}f}" for w in r.walls)
        lines.append(f"| {r.setting} | {r.workload} | {r.n_jobs} | {walls} | {r.stability} | "
                     + " | ".join(cell(r)) + " | " + " | ".join(cell(o)) + " |")
    lines.append("")
    for name, s in (("In sample", s_in), ("Out of sample", s_out)):
        if not s.get("configurations"):
            lines.append(f"{name}: {s.get('note', 'no configuration predicted')}.")
            continue
        med, worst = s["median_error"], s["worst_error"]
        errs = (f"median error {med:.1%}, worst {worst:.1%} over the {s['judged_by_error']} "
                f"configurations whose repeats agree" if med is not None else
                "no configuration whose repeats agree")
        unstable = (f" (unstable, judged by coverage only: {', '.join(s['unstable'])})"
                    if s["unstable"] else "")
        lines.append(f"{name}: {errs}; coverage {s['coverage']:.0%} of "
                     f"{s['configurations']}{unstable}; over all {s['configurations']}: median "
                     f"error {s['median_error_all']:.1%}, worst {s['worst_error_all']:.1%}.")
    return lines
