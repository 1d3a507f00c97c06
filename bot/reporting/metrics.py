"""Every metric of the HR report as cells, read from the reporting store with SQL group-bys.

Mapped to how the article says coaching is evaluated: utilisation (sessions booked, held,
cancelled late, no-shows; per leader and per coach), engagement (nudge response rate, check-in
completion, median response delay), goal attainment (mean GAS T-score at baseline and latest,
share of goals at or above the expected level), retention and pipeline (employment status), and
coach utilisation against capacity. Each by programme, modality, cohort, level, function and
region (coaches: by programme and modality), for the whole period and, for the time series,
weekly. A cell's `members` is the population the figure is about (see each module).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.reporting.cells import Cell
from bot.reporting.metrics_activity import (
    checkin_cells,
    median_cells,
    nudge_cells,
    session_cells,
)
from bot.reporting.metrics_outcomes import coach_cells, goal_cells, retention_cells
from bot.reporting.metrics_scope import ReportFilter, Scope, load_scope

__all__ = ["MetricCells", "ReportFilter", "compute_metrics"]


@dataclass(frozen=True)
class MetricCells:
    """The cells of a report: leaders' and coaches' (two populations, never mixed), its scope."""

    scope: Scope
    leaders: list[Cell]
    coaches: list[Cell]


async def compute_metrics(
    db: AsyncConnection | AsyncEngine, *, filters: ReportFilter, now: datetime
) -> MetricCells:
    """Compute every metric's cells over the reporting store.

    Given an engine, the families run concurrently, each on its own connection (the heavy scans
    then overlap in the database); given a connection, one after another on it.
    """
    if isinstance(db, AsyncConnection):
        scope = await load_scope(db, filters=filters, now=now)
        parts = [await family(db, scope) for family in _families(filters)]
    else:
        async with db.connect() as conn:
            scope = await load_scope(conn, filters=filters, now=now)

        async def run(family: Family) -> list[Cell]:
            async with db.connect() as conn:
                return await family(conn, scope)

        parts = list(await asyncio.gather(*(run(family) for family in _families(filters))))
    *leaders, coaches = parts
    return MetricCells(scope, [cell for part in leaders for cell in part], coaches)


Family = Callable[[AsyncConnection, Scope], Awaitable[list[Cell]]]


def _families(filters: ReportFilter) -> list[Family]:
    """Each metric family as a function of a connection and the scope (coaches last)."""

    async def retention(_conn: AsyncConnection, scope: Scope) -> list[Cell]:
        return retention_cells(scope)

    async def coaches(conn: AsyncConnection, scope: Scope) -> list[Cell]:
        return await coach_cells(conn, scope, filters.programme)

    return [
        nudge_cells,
        median_cells,
        checkin_cells,
        goal_cells,
        session_cells,
        retention,
        coaches,
    ]
