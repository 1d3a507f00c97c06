"""The report as one self-contained HTML page: inline CSS, inline SVG charts, no script.

Programme labels and category values were typed by an admin: every one is escaped. The page
forbids loading anything (a Content-Security-Policy with default-src 'none').
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from bot.reporting.cells import ALL, Shown
from bot.reporting.metrics_outcomes import GAS_LEVEL_METRICS
from bot.reporting.report import Report, Table
from bot.reporting.report_format import display
from bot.reporting.report_svg import Series, bar_chart, line_chart
from prompts import Copy

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#222;
max-width:1100px}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;font-size:1.2rem}
.meta{color:#555}.privacy{background:#f4f7f9;border-left:4px solid #1f6f8b;padding:.6rem 1rem}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{border:1px solid #ddd;padding:.5rem}
.chart h3{font-size:.95rem;margin:.2rem 0 .4rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}
td.suppressed{color:#888;font-style:italic}caption{text-align:left;font-weight:600}
"""
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _value(shown: Shown | None) -> float | None:
    return None if shown is None else shown.value


def _charts(report: Report, copy: Copy) -> str:
    weekly = report.table("weekly")
    rows = [r for r in weekly.rows if r.breakdown == ALL] if weekly else []
    labels = [r.week.strftime("%d %b") if r.week else "" for r in rows]
    metrics = weekly.metrics if weekly else ()
    series = [
        Series(
            copy(f"report.metric.{name}"),
            [_value(r.values[metrics.index(name)]) for r in rows],
        )
        for name in ("nudge_response_rate", "checkin_completion")
    ]
    charts = [
        ("engagement", line_chart(copy("report.chart.engagement"), labels, series)),
        (
            "gas_distribution",
            bar_chart(
                copy("report.chart.gas_distribution"),
                [
                    (copy(f"report.metric.{name}"), _value(report.cell(name)))
                    for name in GAS_LEVEL_METRICS
                ],
                hi=1.0,
                as_percent=True,
                hidden=copy("report.suppressed_mark"),
            ),
        ),
        (
            "gas_change",
            bar_chart(
                copy("report.chart.gas_change"),
                [
                    (copy(f"report.metric.{name}"), _value(report.cell(name)))
                    for name in ("gas_t_baseline", "gas_t_latest")
                ],
                hi=80.0,
                lo=20.0,
                hidden=copy("report.suppressed_mark"),
            ),
        ),
    ]
    for name, breakdown in (("by_modality", "modality"), ("by_cohort", "cohort")):
        bars = [
            (s.cell.group, s.value)
            for s in report.shown
            if s.cell.metric == "sessions_held_per_leader"
            and s.cell.breakdown == breakdown
            and s.cell.week is None
        ]
        bars.sort(key=lambda bar: bar[0].casefold())
        charts.append(
            (
                name,
                bar_chart(
                    copy(f"report.chart.{name}"), bars, hidden=copy("report.suppressed_mark")
                ),
            )
        )
    return "".join(
        f'<figure class="chart" id="chart-{name}"><h3>{escape(copy(f"report.chart.{name}"))}'
        f"</h3>{svg}</figure>"
        for name, svg in charts
    )


def _table(table: Table, copy: Copy, csv_prefix: str) -> str:
    mark, no_data = copy("report.suppressed_mark"), copy("report.no_data")
    head = [copy("report.breakdown_col"), copy("report.group_col")]
    if table.weekly:
        head.append(copy("report.week_col"))
    head += [copy(f"report.metric.{m}") for m in table.metrics]
    out = [
        f'<table id="table-{escape(table.name)}"><caption>'
        f"{escape(copy(f'report.table.{table.name}'))} "
        f'(<a href="{escape(csv_prefix + table.name)}.csv">CSV</a>)</caption><thead><tr>'
        + "".join(f"<th>{escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
    ]
    for row in table.rows:
        group = copy("report.breakdown.all") if row.group == ALL else row.group
        cells = [copy(f"report.breakdown.{row.breakdown}"), group]
        if table.weekly:
            cells.append(row.week.isoformat() if row.week else "")
        line = "".join(f"<td>{escape(c)}</td>" for c in cells)
        for shown in row.values:
            css = ' class="suppressed"' if shown is not None and shown.suppressed else ""
            text = display(shown, suppressed=mark, no_data=no_data)
            line += f"<td{css}>{escape(text)}</td>"
        out.append(f"<tr>{line}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(report: Report, copy: Copy | None = None, *, csv_prefix: str = "") -> str:
    """The whole page (its CSV links relative, under `csv_prefix`)."""
    copy = copy or Copy()
    s = report.summary
    programme = (
        copy("report.programme_filter", programme=report.filters.programme)
        if report.filters.programme is not None
        else copy("report.all_programmes")
    )
    meta = " · ".join(
        [
            (
                copy("report.period", start=report.start.isoformat(), end=report.end.isoformat())
                if report.start <= report.end
                else copy(
                    "report.no_complete_week", end=(report.end + timedelta(days=6)).isoformat()
                )
            ),
            programme,
            copy("report.generated", when=report.generated.strftime("%Y-%m-%d %H:%M UTC")),
        ]
    )
    privacy = copy(
        "report.privacy",
        min_group=s.min_group,
        suppressed=s.suppressed,
        cells=s.cells,
        small=s.small,
        complementary=s.complementary,
    )
    has_rows = any(t.rows for t in report.tables)
    body = [
        f"<h1>{escape(copy('report.title'))}</h1>",
        f'<p class="meta">{escape(meta)}</p>',
        f"<p>{escape(copy('report.intro', min_group=s.min_group))}</p>",
        f'<p class="privacy" id="privacy" data-min-group="{s.min_group}" '
        f'data-suppressed="{s.suppressed}">{escape(privacy)}</p>',
    ]
    if not has_rows:
        body.append(f"<p>{escape(copy('report.empty'))}</p>")
    else:
        body.append(f'<section class="charts">{_charts(report, copy)}</section>')
        for table in report.tables:
            body.append(f"<h2>{escape(copy(f'report.table.{table.name}'))}</h2>")
            body.append(_table(table, copy, csv_prefix))
    title = escape(copy("report.title"))
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{title}</title><style>{CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )


def _sunday(monday: date) -> str:
    """The last day of the week starting `monday`."""
    return (monday + timedelta(days=6)).isoformat()
