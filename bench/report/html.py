"""report.html: the same Markdown as report.md, rendered to one self-contained page.

One rendering of the content: the Markdown text that report.md holds is converted with
Python-Markdown, then the page is made self-contained (PNG charts embedded as base64 data
URIs, inline CSS, no link or resource outside the file), labels become visible badges
(emulated / native / modified hyperopt, finding severity) and wide tables scroll. The CSS
is scoped to `.bench-report`, so the same fragment can be shown inside a notebook.
"""
from __future__ import annotations

import base64
import html as html_lib
import re
from pathlib import Path

import markdown as md_lib

_EXTENSIONS = ["tables", "toc", "md_in_html", "sane_lists"]

CSS = """
.bench-report { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
  Arial, sans-serif; font-size: 15px; line-height: 1.5; color: #1f2328; background: #fff;
  max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
.bench-report h1 { font-size: 1.7em; margin: 0 0 .4em; border-bottom: 2px solid #d0d7de;
  padding-bottom: .3em; }
.bench-report h2 { font-size: 1.35em; margin: 1.8em 0 .5em; border-bottom: 1px solid #d0d7de;
  padding-bottom: .2em; }
.bench-report h3 { font-size: 1.08em; margin: 1.3em 0 .4em; }
.bench-report p, .bench-report li { max-width: 80em; }
.bench-report code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .88em; background: #f3f4f6; padding: .1em .3em; border-radius: 4px; }
.bench-report a { color: #0969da; text-decoration: none; }
.bench-report a:hover { text-decoration: underline; }
.bench-report blockquote { margin: 1em 0; padding: .5em 1em; border-left: 4px solid #d29922;
  background: #fff8c5; }
.bench-report section.headline { background: #f0f6ff; border: 1px solid #b6d4fe;
  border-radius: 8px; padding: 4px 20px 12px; margin-top: 1.2em; }
.bench-report section.headline h2 { border-bottom: none; margin-top: .8em; }
.bench-report .table-wrap { overflow-x: auto; margin: .6em 0 1em; }
.bench-report table { border-collapse: collapse; font-size: .9em; }
.bench-report th, .bench-report td { border: 1px solid #d0d7de; padding: 4px 9px;
  text-align: left; vertical-align: top; }
.bench-report th { background: #f6f8fa; font-weight: 600; }
.bench-report tr:nth-child(even) td { background: #fafbfc; }
.bench-report td.num { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.bench-report img { display: block; max-width: 100%; height: auto; margin: .6em 0;
  border: 1px solid #eaeef2; }
.bench-report .badge { display: inline-block; font-size: .78em; font-weight: 600;
  line-height: 1.4; padding: 0 .5em; border-radius: 1em; border: 1px solid; white-space: nowrap;
  vertical-align: baseline; }
.bench-report .badge.emulated { color: #8a4600; background: #fff1e0; border-color: #f0b46c; }
.bench-report .badge.native { color: #116329; background: #e6f6ea; border-color: #8fd19e; }
.bench-report .badge.modified { color: #6e2c9e; background: #f5ebff; border-color: #c9a3ec; }
.bench-report .badge.sev-high { color: #fff; background: #cf222e; border-color: #cf222e; }
.bench-report .badge.sev-medium { color: #3b2300; background: #f6c344; border-color: #d4a72c; }
.bench-report .badge.sev-low { color: #fff; background: #57606a; border-color: #57606a; }
.bench-report details { margin: .5em 0; }
@media print {
  .bench-report { max-width: none; padding: 0; font-size: 10pt; }
  .bench-report section.headline { border-color: #888; }
  .bench-report .table-wrap { overflow: visible; }
  .bench-report table { font-size: 8pt; }
  .bench-report img { max-width: 100%; page-break-inside: avoid; break-inside: avoid; }
  .bench-report h2, .bench-report h3 { page-break-after: avoid; break-after: avoid; }
  .bench-report a { color: inherit; }
  .bench-report .badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

#: Markers in the report text -> badge class. The Markdown writes labels as '(emulated)',
#: '[emulated: NAME]', '(modified hyperopt: NAME)' (bench.report.markdown.EMULATED_LABEL,
#: bench.variants.label); the HTML shows them as badges.
_BADGES = [
    (re.compile(r"\((emulated)\)"), "emulated"),
    (re.compile(r"\[(emulated: [^\]<]+)\]"), "emulated"),
    (re.compile(r"\((modified hyperopt(?:: [^)<]+)?)\)"), "modified"),
    (re.compile(r"\[(modified hyperopt(?:: [^\]<]+)?)\]"), "modified"),
]
_CELL_LABEL = re.compile(r"<td>(emulated|native)</td>")
_SEVERITY = re.compile(r"(<h3[^>]*>)\[(HIGH|MEDIUM|LOW)\]")
_NUMERIC_CELL = re.compile(r"<td>([-−+]?[\d.,]+(?:[×%]| s| cores| slots| threads| MB| GiB)?"
                           r"(?: \([^()<]*\))?|—)</td>")
_IMG = re.compile(r'<img([^>]*?)src="([^"]+)"')
_REMOTE_LINK = re.compile(r'<a href="(?:[a-z][a-z0-9+.-]*:|//)[^"]*"[^>]*>(.*?)</a>', re.S)


def _badge(kind: str, text: str) -> str:
    return f'<span class="badge {kind}">{text}</span>'


def _embed_images(body: str, folder: Path) -> str:
    """Replace each chart's file name with a base64 PNG data URI read from the report folder."""
    def embed(m: re.Match) -> str:
        src = html_lib.unescape(m.group(2))
        if src.startswith("data:"):
            return m.group(0)
        path = folder / Path(src).name  # charts sit beside the report; never leave the folder
        if not path.is_file():
            return f'<img{m.group(1)}data-missing="{html_lib.escape(Path(src).name)}" src=""'
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'<img{m.group(1)}src="data:image/png;base64,{data}"'
    return _IMG.sub(embed, body)


def _badges(body: str) -> str:
    for pattern, kind in _BADGES:
        body = pattern.sub(lambda m, k=kind: _badge(k, m.group(1)), body)
    body = _CELL_LABEL.sub(lambda m: f"<td>{_badge(m.group(1), m.group(1))}</td>", body)
    return _SEVERITY.sub(lambda m: m.group(1) + _badge("sev-" + m.group(2).lower(),
                                                       m.group(2)), body)


def _sections(body: str) -> str:
    """Each h2 and what follows it in a <section>; the headline's gets its own class."""
    parts = re.split(r"(?=<h2[ >])", body)
    out = [parts[0]]
    for part in parts[1:]:
        m = re.match(r'<h2 id="([^"]*)"', part)
        cls = ' class="headline"' if m and m.group(1) == "headline" else ""
        out.append(f"<section{cls}>{part}</section>")
    return "".join(out)


def render_body(markdown_text: str, folder: Path) -> str:
    """The report's Markdown as self-contained HTML (no <html> wrapper)."""
    body = md_lib.markdown(markdown_text, extensions=_EXTENSIONS, output_format="html")
    body = _embed_images(body, Path(folder))
    body = _REMOTE_LINK.sub(r"\1", body)  # the page works offline: no link leaves it
    body = _badges(body)
    body = _NUMERIC_CELL.sub(r'<td class="num">\1</td>', body)
    body = body.replace("<table>", '<div class="table-wrap"><table>').replace(
        "</table>", "</table></div>")
    return _sections(body)


def render_fragment(markdown_text: str, folder: Path) -> str:
    """Style and body for embedding in another page (a notebook's output cell)."""
    return f'<style>{CSS}</style>\n<div class="bench-report">\n{render_body(markdown_text, folder)}\n</div>'


def render_document(markdown_text: str, folder: Path, title: str) -> str:
    """A complete, self-contained HTML page."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html_lib.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<main class=\"bench-report\">\n{render_body(markdown_text, folder)}\n</main>\n"
            "</body>\n</html>\n")
