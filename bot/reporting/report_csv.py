"""A report table as CSV: breakdown, group, (week), then each figure and its suppressed flag.

Every text cell is neutralised against spreadsheet formula injection: a value beginning with
= + - @, a tab or a carriage return gets a leading apostrophe (OWASP's advice). Negative
numbers never occur in figures, so neutralising everything is safe.
"""

from __future__ import annotations

import csv
import io

from bot.reporting.report import Table
from bot.reporting.report_format import number

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """`text`, with a leading apostrophe when a spreadsheet could read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def table_csv(table: Table) -> str:
    """The CSV text of one table (header row first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["breakdown", "group"] + (["week"] if table.weekly else [])
    for metric in table.metrics:
        header += [metric, f"{metric}_suppressed"]
    writer.writerow([neutralise(h) for h in header])
    for row in table.rows:
        line = [row.breakdown, row.group] + ([row.week.isoformat()] if row.week else [])
        for shown in row.values:
            line += [number(shown), "yes" if shown is not None and shown.suppressed else ""]
        writer.writerow([neutralise(value) for value in line])
    return out.getvalue()
