"""The HR report: metrics -> small-group suppression -> tables (then HTML and CSV writers)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.reporting.cells import ALL, UNKNOWN, Shown
from bot.reporting.metrics import ReportFilter, compute_metrics
from bot.reporting.metrics_activity import WEEKLY
from bot.reporting.metrics_outcomes import EMPLOYMENT, GAS_LEVEL_METRICS
from bot.reporting.metrics_scope import COACH_GROUPINGS, GROUPINGS
from bot.reporting.suppress import Summary, check_min_group, summarise, suppress

__all__ = ["Report", "ReportFilter", "Row", "Table", "build_report", "write_report"]


@dataclass(frozen=True)
class TableSpec:
    """Which metrics a table shows, for which breakdowns, whole period or week by week."""

    name: str
    metrics: tuple[str, ...]
    groupings: tuple[str, ...]
    weekly: bool = False


TABLES = (
    TableSpec(
        "utilisation",
        (
            "sessions_booked",
            "sessions_held",
            "sessions_late_cancelled",
            "sessions_no_show",
            "sessions_held_per_leader",
        ),
        GROUPINGS,
    ),
    TableSpec(
        "engagement",
        ("nudge_response_rate", "checkin_completion", "median_response_hours"),
        GROUPINGS,
    ),
    TableSpec(
        "goals",
        ("gas_t_baseline", "gas_t_latest", "goals_at_expected", *GAS_LEVEL_METRICS),
        GROUPINGS,
    ),
    TableSpec("retention", tuple(f"share_{name}" for name in EMPLOYMENT), GROUPINGS),
    TableSpec("coaches", ("coach_utilisation", "sessions_held_per_coach"), COACH_GROUPINGS),
    TableSpec(
        "weekly",
        (
            "nudge_response_rate",
            "checkin_completion",
            "sessions_held",
            "gas_t_weekly",
            "median_response_hours",
        ),
        WEEKLY,
        weekly=True,
    ),
)


@dataclass(frozen=True)
class Row:
    """One group (and week) of a table: a displayed cell per metric (None: no such cell)."""

    breakdown: str
    group: str
    week: date | None
    values: tuple[Shown | None, ...]


@dataclass(frozen=True)
class Table:
    """A table of the report (also one CSV file)."""

    name: str
    metrics: tuple[str, ...]
    weekly: bool
    rows: list[Row]


@dataclass(frozen=True)
class Report:
    """A built report: what it covers, its suppression summary, its tables."""

    generated: datetime
    start: date
    end: date
    filters: ReportFilter
    summary: Summary
    tables: list[Table]
    shown: list[Shown] = field(repr=False)

    def table(self, name: str) -> Table | None:
        """The table called `name`."""
        return next((t for t in self.tables if t.name == name), None)

    def cell(
        self, metric: str, breakdown: str = ALL, group: str = ALL, week: date | None = None
    ) -> Shown | None:
        """The displayed cell of a metric for a group (and week)."""
        for shown in self.shown:
            c = shown.cell
            if (c.metric, c.breakdown, c.group, c.week) == (metric, breakdown, group, week):
                return shown
        return None


def _group_order(group: str) -> tuple[bool, str]:
    return (group == UNKNOWN, group.casefold())


def _tables(shown: Sequence[Shown]) -> list[Table]:
    index = {(s.cell.metric, s.cell.breakdown, s.cell.group, s.cell.week): s for s in shown}
    tables: list[Table] = []
    for spec in TABLES:
        keys: set[tuple[str, str, date | None]] = set()
        for metric, breakdown, group, week in index:
            wanted = metric in spec.metrics and breakdown in spec.groupings
            if wanted and (week is not None) == spec.weekly:
                keys.add((breakdown, group, week))
        ordered = sorted(
            keys,
            key=lambda k: (
                k[2] or date.min,
                spec.groupings.index(k[0]),
                _group_order(k[1]),
            ),
        )
        rows = [
            Row(b, g, w, tuple(index.get((m, b, g, w)) for m in spec.metrics))
            for b, g, w in ordered
        ]
        tables.append(Table(spec.name, spec.metrics, spec.weekly, rows))
    return tables


async def build_report(
    db: AsyncEngine | AsyncConnection,
    *,
    min_group: int,
    now: datetime,
    filters: ReportFilter | None = None,
) -> Report:
    """Compute every metric, suppress small and complementary cells, and lay out the tables."""
    m = check_min_group(min_group)
    filters = filters or ReportFilter()
    metrics = await compute_metrics(db, filters=filters, now=now)
    shown = suppress(metrics.leaders, min_group=m) + suppress(metrics.coaches, min_group=m)
    return Report(
        generated=now,
        start=metrics.scope.start,
        end=metrics.scope.end,
        filters=filters,
        summary=summarise(shown, min_group=m),
        tables=_tables(shown),
        shown=shown,
    )


def write_report(report: Report, out_dir: Path) -> list[Path]:
    """Write index.html and one CSV per table into `out_dir` (created, owner-only); the paths."""
    from bot.reporting.report_csv import table_csv
    from bot.reporting.report_html import render_html

    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    written = [_write(out_dir / "index.html", render_html(report))]
    for table in report.tables:
        written.append(_write(out_dir / f"{table.name}.csv", table_csv(table)))
    return written


def _write(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    return path
