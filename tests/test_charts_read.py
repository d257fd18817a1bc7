"""Every chart of a report reads: no two texts overlap (titles, axis labels, tick labels,
value labels, legends), and the per-configuration charts put the current setup first.

The charts are drawn by the report itself on fixture records shaped like the README's main
job and like the cluster_sizing scenario; every figure the report saves is checked with
matplotlib's own text boxes (bench.report.chart_rows.text_overlaps)."""
from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure

from bench.analysis import analyze, load_run
from bench.analysis.setup import setup_of
from bench.report import chart_rows
from tests.fixture_records import write_main_job_run


def draw(folder, out: Path, prediction: bool) -> dict:
    """Every Figure the report's charts save for a run, by file name (the model's sizing
    chart too when `prediction`)."""
    from bench.diagnosis import diagnose_data
    from bench.report import build, cure
    from bench.report import prediction as prediction_section

    figures = {}
    original = Figure.savefig

    def savefig(fig, fname, *args, **kwargs):
        figures[Path(fname).name] = fig
        return original(fig, fname, *args, **kwargs)

    run = load_run(folder.path)
    analysis = analyze(run)
    out.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Figure, "savefig", savefig)
        build.draw_charts(run, analysis, out)
        cure.section(run, out)
        if prediction:
            prediction_section.markdown(run, analysis, out, diagnose_data(run, analysis))
    return figures


@pytest.fixture(scope="module")
def main_job(tmp_path_factory):
    root = tmp_path_factory.mktemp("main-job")
    return draw(write_main_job_run(root), root / "report", prediction=True)


CHARTS = {"speedup.png", "objective_time.png", "latency.png", "timeline.png",
          "effective_cores.png", "best_loss.png"}


@pytest.mark.parametrize("case", ["main-job", "cluster-sizing"])
def test_no_chart_has_overlapping_text(tmp_path, main_job, case):
    if case == "main-job":
        figures, expected = main_job, CHARTS | {"wall_over_ideal.png", "predict_sizing.png"}
    else:
        run = write_main_job_run(tmp_path, clusters=("2x1", "1x2/tc2"), parallelism=(2,))
        figures = draw(run, tmp_path / "report", prediction=False)
        expected = CHARTS | {"wall_over_ideal.png", "cluster_sizing.png"}
    assert expected <= set(figures), sorted(figures)
    overlaps = {name: chart_rows.text_overlaps(fig) for name, fig in figures.items()}
    assert not {k: v for k, v in overlaps.items() if v}, overlaps


def test_the_overlap_check_sees_overlapping_text():
    """The check itself: two texts drawn on top of each other are reported, two apart are not."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(4, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.text(0.5, 0.5, "first label")
    ax.text(0.52, 0.5, "second label")
    ax.text(0.1, 0.1, "apart")
    assert chart_rows.text_overlaps(fig) == [("first label", "second label")]


def test_speedup_chart_has_one_line_per_family_and_the_legend_names_them(main_job):
    fig = main_job["speedup.png"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    # the current setup first, then its one-axis changes; the ideal and y = 1 named too
    assert legend[0] == "stock SparkTrials, max_queue_len=1"
    assert {"stock SparkTrials, max_queue_len=parallelism", "tuned (modified hyperopt)",
            "stock SparkTrials, max_queue_len=1, n_jobs=1",
            "ideal = min(parallelism, task slots)", "no speedup (1×)"} <= set(legend)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert "lgbm (n_jobs=0, env as is): vs serial on the busy_driver_2022 driver (emulated)" \
        in titles and "rf (n_jobs=None, env as is): vs serial on the native driver" in titles
    # the setup's line runs through every parallelism measured: 1, 2 and 8
    ax = next(a for a in fig.axes if a.get_title().startswith("rf"))
    setup = next(c for c in ax.containers if c.get_label() == legend[0])
    assert len(setup.lines[0].get_xdata()) == 3


def test_rows_that_matter_come_first(tmp_path):
    run = load_run(write_main_job_run(tmp_path).path)
    lat = analyze(run).latency
    rows, left_out = chart_rows.chart_rows(
        lat[lat["workload"] == "lgbm"], {"lgbm": setup_of(run.manifest, run.cells, "lgbm")})
    labels = rows["label"].tolist()
    # the setup in serial and at the user's parallelism (8), then each fix there
    assert labels[:2] == ["serial n_jobs=0 {env as is}", "spark p=8 q=1 n_jobs=0 {env as is}"]
    assert rows["rank"].tolist()[:2] == [chart_rows.SETUP] * 2
    fixes = set(rows[rows["rank"] == chart_rows.FIX]["label"])
    assert {"spark p=8 q=8 n_jobs=0 {env as is}", "serial n_jobs=1 {env as is}",
            "spark p=8 q=8 tuned (modified hyperopt) n_jobs=0 {env as is}",
            "serial n_jobs=0 {OMP_WAIT_POLICY=passive}"} <= fixes
    assert rows["rank"].is_monotonic_increasing
    assert len(rows) <= chart_rows.MAX_ROWS and left_out == len(
        lat[lat["workload"] == "lgbm"]) - len(rows)


def test_tick_labels_too_close_are_left_out_and_value_labels_are_stacked():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(4, 3), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.plot([0.67, 0.68, 0.8], [1, 2, 3])
    ax.set_xticks([0.67, 0.68, 0.8], ["0.67", "0.68", "0.8"])
    # three values at one point: drawn at the same place they would overlap
    chart_rows.stack_labels(ax, [(0.7, 2.0, "1.00×", "C0"), (0.7, 2.0, "1.01×", "C1"),
                                 (0.7, 2.01, "0.99×", "C2")])
    assert len(chart_rows.text_overlaps(fig)) >= 1  # the two close tick labels
    chart_rows.thin_tick_labels(fig)
    assert chart_rows.text_overlaps(fig) == []
    shown = [t.get_text() for t in ax.get_xticklabels() if t.get_visible()]
    assert shown == ["0.67", "0.8"]
