"""HTML pieces of the report: one self-contained page, images inline, every text escaped.

Only the standard library's ``string.Template`` and ``html.escape``; no template engine. Each
function returns a fragment; the page is the fragments in order inside ``PAGE``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape
from string import Template

import pandas as pd
from matplotlib.figure import Figure

from gp_automl.plots import to_png

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1180px;
       padding: 1.5rem 2rem 4rem; color: #1d2330; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; border-bottom: 2px solid #dde3ec; padding-bottom: 0.2rem; margin-top: 2.2rem; }
.sub { color: #5b6576; margin-top: 0; }
nav a { margin-right: 0.9rem; font-size: 0.9rem; }
table { border-collapse: collapse; font-size: 0.88rem; margin: 0.6rem 0; }
th, td { border-bottom: 1px solid #e4e8ef; padding: 0.25rem 0.7rem 0.25rem 0; text-align: left; vertical-align: top; }
th { color: #5b6576; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.82rem; }
pre { background: #f5f7fa; border: 1px solid #e4e8ef; padding: 0.8rem; overflow: auto; max-height: 36em; }
.key { color: #5b6576; font-size: 0.75rem; word-break: break-all; }
.note { background: #fff6e0; border-left: 4px solid #f0b429; padding: 0.5rem 0.8rem; }
.status-running { color: #b7791f; font-weight: 600; } .status-finished { color: #2f855a; font-weight: 600; }
.status-failed, .status-interrupted { color: #c53030; font-weight: 600; }
tr.winner td { background: #fdf2f2; }
img { max-width: 100%; height: auto; }
.grid { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1.2rem; font-size: 0.92rem; }
.grid div:nth-child(odd) { color: #5b6576; }
</style>
</head>
<body>
<h1>$title</h1>
<p class="sub">$subtitle</p>
<nav>$nav</nav>
$body
</body>
</html>
""")


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole document from (id, heading, inner HTML) sections; a navigation bar links them."""
    nav = " ".join(f'<a href="#{escape(sid)}">{escape(heading)}</a>' for sid, heading, _ in sections)
    body = "\n".join(
        f'<section id="{escape(sid)}">\n<h2>{escape(heading)}</h2>\n{inner}\n</section>'
        for sid, heading, inner in sections
    )
    return PAGE.substitute(title=escape(title), subtitle=escape(subtitle), nav=nav, body=body)


def image(figure: Figure, alt: str) -> str:
    """The figure as an inline base64 PNG: the page needs no other file and no network."""
    data = base64.b64encode(to_png(figure)).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def paragraph(text: str, cls: str | None = None) -> str:
    attribute = f' class="{cls}"' if cls else ""
    return f"<p{attribute}>{escape(text)}</p>"


def note(text: str) -> str:
    return paragraph(text, "note")


def code(text: str) -> str:
    return f"<pre><code>{escape(text)}</code></pre>"


def facts(pairs: Iterable[tuple[str, object]]) -> str:
    """A two-column list of label and value, values escaped unless already marked up (``Markup``)."""
    cells = "".join(f"<div>{escape(label)}</div><div>{_cell(value)}</div>" for label, value in pairs)
    return f'<div class="grid">{cells}</div>'


class Markup(str):
    """Text that is already HTML (built here from escaped parts) and must not be escaped again."""


def table(
    frame: pd.DataFrame,
    numeric: Sequence[str] = (),
    row_class: Sequence[str] | None = None,
    markup: Sequence[str] = (),
) -> str:
    """A DataFrame as an HTML table, every cell escaped but those of the ``markup`` columns (HTML built
    here from escaped parts: pandas may store a ``Markup`` as a plain string); ``numeric`` columns
    right-aligned."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for i, row in enumerate(frame.itertuples(index=False)):
        cls = f' class="{escape(row_class[i])}"' if row_class and row_class[i] else ""
        cells = "".join(
            f"<td{_NUM if column in numeric else ''}>{str(value) if column in markup else _cell(value)}</td>"
            for column, value in zip(frame.columns, row, strict=True)
        )
        rows.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


_NUM = ' class="num"'


def _cell(value: object) -> str:
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, float):
        return "" if pd.isna(value) else escape(f"{value:.4g}")
    return escape("" if value is None else str(value))
