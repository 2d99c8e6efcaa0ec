"""The statistics report as one HTML file with charts (`lotse report stats --format html`),
the same page at `/desk/stats`. Charts are drawn by matplotlib as SVG and embedded as
images (data: URLs): the file needs nothing from the network, opens in any browser, can
be printed or attached to an Informationsvorlage, and the desk's Content-Security-Policy
(no inline styles) does not touch an image's own styles.

A chart shows what the table under it shows: a count from 1 to 4 is a light hatched bar
up to 5 labelled "< 5", never its exact height.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.services.statistics import HIDDEN, SMALL, Report, Table, duration, to_csv, to_json

TEMPLATES = Path(__file__).parent / "report_templates"
CSS = TEMPLATES / "stats.css"
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")  # Okabe-Ito
HATCHED = "#c9d6e3"
MAX_BARS = 12  # the largest rows; the table lists all

_templates = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def render(report: Report, *, css_href: str | None = None, **page: Any) -> str:
    """The report page: its styles inline (a file to pass on), or linked (`css_href`, for
    the desk); `page` adds what the desk shows around it (period form, downloads)."""
    charts = {table.key: chart(table) for table in report.tables if table.chart and table.rows}
    return _templates.get_template("stats.html").render(
        report=report,
        charts=charts,
        hidden=HIDDEN,
        waiting_median=duration(report.waiting.median),
        waiting_p90=duration(report.waiting.p90),
        css=None if css_href else CSS.read_text(encoding="utf-8"),
        css_href=css_href,
        **page,
    )


def chart(table: Table) -> str:
    """The table's chart as a data: URL of an SVG image."""
    # matplotlib is imported here: it takes a while, and only reports need it.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    matplotlib.rcParams.update(
        {"svg.hashsalt": "lotse", "svg.fonttype": "none", "font.family": "DejaVu Sans"}
    )
    over_time = table.chart == "line"
    rows = list(table.rows) if over_time else list(table.rows)[:MAX_BARS]
    series = [table.columns[-1]] if over_time or table.chart == "bars" else list(table.columns)
    first = len(table.columns) - 1 if over_time or table.chart == "bars" else 0
    count = len(rows)
    if over_time:
        figure = Figure(figsize=(8, 3.2))
    else:
        figure = Figure(figsize=(8, 0.9 + count * 0.32 * max(1, len(series) * 0.6)))
    axes = figure.add_subplot()
    width = 0.8 / len(series)
    for index, name in enumerate(series):
        values = [values[first + index] for _label, values in rows]
        offsets = [row - 0.4 + width * (index + 0.5) for row in range(count)]
        heights = [value if value >= SMALL else (SMALL if value else 0) for value in values]
        colours = [COLOURS[index % len(COLOURS)] if v >= SMALL else HATCHED for v in values]
        draw = axes.bar if over_time else axes.barh
        bars = draw(offsets, heights, width, color=colours, label=name)
        for bar, value in zip(bars, values, strict=True):
            if 0 < value < SMALL:
                bar.set_hatch("///")
                bar.set_edgecolor("#6b7f93")
        if not over_time:
            labels = [str(v) if v >= SMALL else (HIDDEN if v else "") for v in values]
            axes.bar_label(bars, labels=labels, padding=3, fontsize=8)
    names = [label for label, _values in rows]
    if over_time:
        step = max(1, count // 12)
        axes.set_xticks(range(count)[::step], names[::step], fontsize=8)
        axes.set_ylabel(table.columns[-1])
    else:
        axes.set_yticks(range(count), [_short(name) for name in names], fontsize=8)
        axes.invert_yaxis()
        axes.margins(x=0.15)
    axes.spines[["top", "right"]].set_visible(False)
    handles = [Patch(color=COLOURS[i % len(COLOURS)], label=n) for i, n in enumerate(series)]
    if any(0 < v < SMALL for _label, values in rows for v in values):
        handles.append(Patch(facecolor=HATCHED, hatch="///", edgecolor="#6b7f93", label=HIDDEN))
    if len(handles) > 1:
        axes.legend(handles=handles, fontsize=8, frameon=False, loc="best")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _short(name: str, limit: int = 48) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


FORMATS = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}


def document(report: Report, fmt: str) -> str:
    """The report as a file of format `fmt` (see FORMATS); the CSV starts with a byte
    order mark, so that office programs read it as UTF-8."""
    match fmt:
        case "html":
            return render(report)
        case "csv":
            return "\ufeff" + to_csv(report)
        case "json":
            return to_json(report) + "\n"
    raise ValueError(f"unknown format {fmt!r}")


def filename(report: Report, fmt: str) -> str:
    return f"lotse-statistik-{report.start.isoformat()}-bis-{report.end.isoformat()}.{fmt}"
