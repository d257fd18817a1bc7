"""The report's "Model check" and "What a bigger cluster would do" sections (bench.predict).

Only runs with at least two spark configurations get them: with one, nothing is left to
calibrate on when it is held out. Returns Markdown lines and draws one chart beside the
report; a run the model cannot use gets one line saying why instead.
"""
from __future__ import annotations

from pathlib import Path

from ..analysis import Analysis, RunData
from ..errors import BenchError
from ..predict.calibrate import STOCK, calibrate, prepare, variants_in
from ..predict.chart import plot_sizing
from ..predict.predict import DEFAULT_DRAWS, predict_many
from ..predict.recommend import recommend
from ..predict.shapes import build_shapes
from ..predict import holdout
from ..predict.text import holdout_lines, validation_lines
from ..predict.validate import VALIDATE_DRAWS, error_summary, mechanism_checks, spark_configs, validate

CHART = "predict_sizing.png"
REPORT_EVALS = 200


def markdown(run: RunData, analysis: Analysis, out_dir: Path,
             findings: list | None = None) -> list[str]:
    """Both sections for the stock variant (and each other variant measured). `findings`
    are the diagnosis' Finding objects; without them the break-even check is left out."""
    variants = [v for v in variants_in(run) if len(spark_configs(run, v)) >= 2]
    if not variants:
        return []
    lines = ["## Model check", "",
             "A discrete-event model of SparkTrials (fmin's 1 s loop and queue, the dispatcher's "
             "1 s loop, task slots, worker start-up, objective times, core sharing and the "
             "extra slowdown of threads spin-waiting on oversubscribed cores, all calibrated "
             "from this run) predicts each measured spark configuration from the *other* "
             "configurations. The error says how far to trust the next section; where a "
             "configuration's own repeats spread wider than the error, the repeats' range "
             "says more than the error does.", ""]
    cals = {}
    prepared = prepare(run)
    for variant in variants:
        try:
            # the draws `predict --validate` and `predict` take: the same run reads the same
            rows = validate(run, variant, VALIDATE_DRAWS, prepared=prepared)
            cal = calibrate(run, variant, prepared=prepared)
            checks = mechanism_checks(run, cal, VALIDATE_DRAWS, analysis, findings or [])
            ins, outs, s_in, s_out = holdout.both(run, variant, VALIDATE_DRAWS, prepared)
        except BenchError as exc:
            lines += [f"The model could not be calibrated on the {variant} cells: {exc}", ""]
            continue
        cals[variant] = cal
        lines += validation_lines(run.run_id, variant, rows, error_summary(rows), checks)[2:]
        lines += holdout_lines(ins, outs, s_in, s_out)
        lines.append("")
    if not cals:
        return lines
    variant = STOCK if STOCK in cals else sorted(cals)[0]
    cal = cals[variant]
    shapes = build_shapes(max_queue_len=1) + build_shapes(max_queue_len=0)
    preds = predict_many(cal, shapes, REPORT_EVALS, draws=DEFAULT_DRAWS)
    plot_sizing(preds, Path(out_dir) / CHART,
                f"Predicted from this run ({variant} SparkTrials, {REPORT_EVALS} evaluations)")
    lines += ["## What a bigger cluster would do", "",
              f"Predicted by the model above (not measured) for {REPORT_EVALS} evaluations on "
              f"1 to 64 executors of 4 cores, each trial on its own idle executor core, with "
              f"hyperopt's default max_queue_len=1 and with max_queue_len = parallelism "
              f"({variant} SparkTrials). Predict other shapes with `python -m bench predict "
              f"{run.path} --executors 4,8 --cores 4 --parallelism 16`.", "",
              f"![Predicted wall and cost by cluster size]({CHART})", "",
              "| objective | max_queue_len | recommended shape | predicted wall | core-s per "
              "trial | more slots stop paying beyond |", "| --- | --- | --- | --- | --- | --- |"]
    for key in cal.classes():
        for q, name in ((1, "1"), (0, "parallelism")):
            mine = [p for p in preds if p.key == key and p.shape.max_queue_len == q]
            rec = recommend(mine)
            r = rec.recommended
            top = max(p.shape.total_cores for p in mine)
            knee = (f"parallelism {rec.knee_parallelism}" if rec.knee_parallelism is not None
                    else f"not reached (up to {top} cores)")
            lines.append(f"| {key.text()} | {name} | {r.shape.executors} x "
                         f"{r.shape.cores} cores ({r.shape.slots} slots) | {r.wall_s:.0f} s "
                         f"[{r.wall_low_s:.0f}-{r.wall_high_s:.0f}] | {r.core_s_per_trial:.1f} | "
                         f"{knee} |")
    lines += ["", "Rule: the smallest shape within 10% of the best predicted wall; the knee is "
              "the parallelism beyond which the next step buys < 5%. The model ignores the "
              "network, data skew, executor failures and the search algorithm's growing cost "
              "per suggestion; objective times are this machine's.", ""]
    return lines
