"""report.html: self-contained, the same content as report.md, rendered by a real browser.

The browser tests drive headless Chromium through its command line (--dump-dom, --screenshot):
no debugging port is opened, every call has a timeout. They skip only when no Chromium or
Chrome binary exists (`.ci/run` installs Debian's `chromium`).
"""
from __future__ import annotations

import __main__
import json
import os
import re
import shutil
import subprocess

import matplotlib.image as mpimg
import numpy as np
import pytest

from bench.cli import main
from bench.report import show, write_report_files
from tests import fixture_records as fr

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
BROWSER_TIMEOUT_S = 120
#: the headline box's background (#f0f6ff in bench.report.html.CSS)
HEADLINE_RGB = (0xF0, 0xF6, 0xFF)
REMOTE = re.compile(r"""(?:src|href|action|poster)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//"""
                    r"""|url\(\s*["']?\s*(?:https?:)?//|@import""", re.I)

#: Injected into a copy of the page: records load errors and, after the load event, every
#: image's decoded width and any resource the page fetched, into a <pre> for --dump-dom.
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => window.__errors.push(
  (e.target && e.target.tagName ? e.target.tagName + ' ' + (e.target.src || e.target.href)
   : String(e.message))), true);
window.addEventListener('load', () => {
  const out = {errors: window.__errors,
    images: [...document.images].map(i => ({alt: i.alt, complete: i.complete,
                                             width: i.naturalWidth, height: i.naturalHeight})),
    resources: performance.getEntriesByType('resource').map(r => r.name),
    headline_bg: getComputedStyle(document.querySelector('section.headline')).backgroundColor,
    title: document.title};
  const pre = document.createElement('pre');
  pre.id = 'bench-probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def browser() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def run_browser(args: list[str], profile) -> subprocess.CompletedProcess:
    exe = browser()
    if exe is None:
        pytest.skip(f"no headless browser: none of {', '.join(BROWSERS)} is on PATH "
                    "(.ci/run installs Debian's chromium)")
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-extensions", "--disable-background-networking", "--disable-sync",
           "--disable-component-update", "--disable-default-apps", "--mute-audio",
           "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S,
                          env={**os.environ, "HOME": str(profile)})


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("html")
    folder = fr.write_known_run(root)
    return write_report_files(folder.path)  # diagnosed, both formats


def test_html_is_written_beside_the_markdown(report):
    assert report.md.parent == report.html.parent
    assert report.md.name == "report.md" and report.html.name == "report.html"
    assert report.path == report.md


def test_html_is_self_contained(report):
    page = report.html.read_text(encoding="utf-8")
    assert not REMOTE.search(page), REMOTE.search(page).group(0)
    assert "<style>" in page and "<link" not in page and "<script" not in page
    images = re.findall(r'<img[^>]*src="([^"]*)"', page)
    charts = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", report.md.read_text())
    assert len(images) == len(charts) == 7  # six charts + the prediction chart
    assert all(src.startswith("data:image/png;base64,iVBORw0KGgo") for src in images)


def test_html_has_the_markdown_content_in_the_same_order(report):
    page = report.html.read_text(encoding="utf-8")
    text = report.md.read_text()
    titles = re.findall(r"^## (.+)$", text, re.M)
    positions = [page.find(f">{t.replace('&', '&amp;')}</h2>") for t in titles]
    assert -1 not in positions and positions == sorted(positions)
    for line in report.headline[1:]:  # the why and fix lines, in the page verbatim
        phrase = line.split(": ", 1)[1].replace('"', "&quot;")
        assert phrase[:60] in page


def test_labels_are_badges(report):
    page = report.html.read_text(encoding="utf-8")
    assert '<span class="badge emulated">emulated</span>' in page  # serial [busy_driver]
    assert '<td><span class="badge native">native</span></td>' in page
    assert re.search(r'<h3[^>]*><span class="badge sev-medium">MEDIUM</span>', page)


def test_report_command_formats(tmp_path, capsys):
    folder = fr.write_known_run(tmp_path)
    out = tmp_path / "only-html"
    assert main(["report", str(folder.path), "--out", str(out), "--format", "html"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == str(out / "report.html")
    assert lines[0].startswith("sleep  setup: stock SparkTrials, max_queue_len 1")
    assert lines[1].startswith("       vs serial Trials [native]: 2.00× at p=2")
    assert (out / "report.html").exists() and not (out / "report.md").exists()
    out = tmp_path / "both"
    assert main(["report", str(folder.path), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-2:] == [str(out / "report.html"), str(out / "report.md")]


def test_show_returns_the_path_outside_a_notebook(tmp_path):
    folder = fr.write_known_run(tmp_path)
    path = show(folder.path, tmp_path / "out")
    assert path == tmp_path / "out" / "report.html" and path.is_file()


def test_show_renders_inline_where_displayHTML_exists(tmp_path, monkeypatch):
    """Databricks notebooks define displayHTML in the notebook's namespace."""
    shown = []
    monkeypatch.setattr(__main__, "displayHTML", shown.append, raising=False)
    folder = fr.write_known_run(tmp_path)
    assert show(folder.path, tmp_path / "out") is None
    (fragment,) = shown
    assert fragment.startswith("<style>") and '<div class="bench-report">' in fragment
    assert "<html" not in fragment and fragment.count("data:image/png;base64,") == 7
    assert ">Headline</h2>" in fragment


@pytest.mark.slow
def test_chromium_loads_the_page_decodes_every_chart_and_renders_it(report, tmp_path):
    page = report.html.read_text(encoding="utf-8")
    probed = tmp_path / "probed.html"
    probed.write_text(page.replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    done = run_browser(["--virtual-time-budget=5000", "--dump-dom", probed.as_uri()],
                       tmp_path / "profile")
    assert done.returncode == 0, done.stderr[-2000:]
    m = re.search(r'<pre id="bench-probe">(.*?)</pre>', done.stdout, re.S)
    assert m, "the probe did not run: " + done.stdout[-500:]
    probe = json.loads(m.group(1).replace("&quot;", '"').replace("&lt;", "<")
                       .replace("&gt;", ">").replace("&amp;", "&"))
    assert probe["errors"] == []
    assert probe["resources"] == []  # nothing fetched: no file, no network
    assert probe["title"].startswith("SparkTrials benchmark report: known-run")
    assert len(probe["images"]) == 7
    for image in probe["images"]:
        assert image["complete"] and image["width"] > 100 and image["height"] > 100, image
    assert probe["headline_bg"] == "rgb(240, 246, 255)"  # the inline CSS applied

    shot = tmp_path / "report-screenshot.png"
    done = run_browser(["--window-size=1280,1800", f"--screenshot={shot}",
                        report.html.as_uri()], tmp_path / "profile")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[:2] == (1800, 1280)
    rgb = np.round(pixels * 255).astype(int)
    ink = (rgb.sum(axis=2) < 3 * 200).mean()   # text, borders and chart lines
    box = (np.abs(rgb - HEADLINE_RGB).sum(axis=2) <= 3).mean()  # the headline box
    assert 0.005 < ink < 0.5, f"page looks blank or flooded: {ink:.3%} dark pixels"
    assert box > 0.01, f"headline box not rendered: {box:.3%} of pixels"
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50  # text, badges, a chart
