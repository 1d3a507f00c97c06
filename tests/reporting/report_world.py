"""A reporting store written directly (no sync): a small organisation built row by row.

The `store` fixture is an empty, migrated reporting database on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.db import async_url
from storage.migrate import upgrade_sync
from storage.reporting.models import (
    DimCoach,
    DimLeader,
    DimProgramme,
    FactCheckIn,
    FactEngagement,
    FactGoal,
    FactNudge,
    FactSession,
    ReportingBase,
)

W0 = date(2026, 9, 7)
"""A Monday: the first week of the hand-built organisations."""


def week(n: int) -> date:
    """The Monday `n` weeks after W0."""
    return W0 + timedelta(weeks=n)


_counter = itertools.count()


def new_key(prefix: str) -> str:
    """A fresh opaque key (as the sync's pseudonyms are: 32 characters)."""
    return f"{prefix}{next(_counter):0>{32 - len(prefix)}x}"


@dataclass
class Org:
    """Rows for the reporting store, added by small helpers, written in one go."""

    rows: dict[type[Any], list[dict[str, Any]]] = field(default_factory=dict)

    def _add(self, table: type[Any], **values: Any) -> None:
        self.rows.setdefault(table, []).append(values)

    def programme(self, label: str, modality: str = "leadership", sessions: int = 6) -> str:
        """Add a programme; its key."""
        key = new_key("p")
        self._add(
            DimProgramme,
            programme_key=key,
            label=label,
            modality=modality,
            sessions_per_leader=sessions,
        )
        return key

    def coach(self, capacity: int = 8) -> str:
        """Add a coach; their key."""
        key = new_key("c")
        self._add(DimCoach, coach_key=key, capacity=capacity)
        return key

    def leader(
        self,
        programme: str | None,
        *,
        coach: str | None = None,
        cohort: str | None = None,
        level: str | None = None,
        function: str | None = None,
        region: str | None = None,
        employment: str = "employed",
        started: date = W0,
        ended: date | None = None,
        status: str = "active",
    ) -> str:
        """Add a leader (and their engagement when they have a programme); their key."""
        key = new_key("l")
        self._add(
            DimLeader,
            leader_key=key,
            programme_key=programme,
            cohort=cohort,
            level=level,
            function=function,
            region=region,
            employment_status=employment,
        )
        if programme is not None:
            self.engagement(
                key, programme, coach=coach, started=started, ended=ended, status=status
            )
        return key

    def engagement(
        self,
        leader: str,
        programme: str,
        *,
        coach: str | None = None,
        started: date = W0,
        ended: date | None = None,
        status: str = "active",
    ) -> None:
        """Add an engagement."""
        self._add(
            FactEngagement,
            engagement_key=new_key("e"),
            leader_key=leader,
            coach_key=coach,
            programme_key=programme,
            status=status,
            started_week=started,
            ended_week=ended,
        )

    def session(
        self,
        leader: str,
        coach: str,
        when: date,
        status: str = "held",
        *,
        programme: str | None = None,
        kind: str = "session",
    ) -> None:
        """Add a leader's seat in a session."""
        self._add(
            FactSession,
            session_key=new_key("s"),
            leader_key=leader,
            coach_key=coach,
            programme_key=programme,
            kind=kind,
            status=status,
            week=when,
            minutes=60,
        )

    def nudge(
        self, leader: str, when: date, status: str = "answered", seconds: int | None = None
    ) -> None:
        """Add a nudge."""
        self._add(
            FactNudge,
            nudge_key=new_key("n"),
            leader_key=leader,
            kind="reflection",
            status=status,
            week=when,
            response_seconds=seconds,
        )

    def goal(self, leader: str, baseline: int = -1, created: date = W0) -> str:
        """Add a goal; its key."""
        key = new_key("g")
        self._add(
            FactGoal,
            goal_key=key,
            leader_key=leader,
            baseline_level=baseline,
            status="active",
            created_week=created,
        )
        return key

    def checkin(self, leader: str, goal: str, when: date, level: int) -> None:
        """Add a check-in on a goal."""
        self._add(
            FactCheckIn,
            checkin_key=new_key("k"),
            leader_key=leader,
            goal_key=goal,
            week=when,
            level=level,
            t_score=50.0 + 10 * level,
            confidence=3,
        )

    async def write(self, engine: AsyncEngine) -> None:
        """Insert every row."""
        async with engine.begin() as conn:
            for table, rows in self.rows.items():
                for start in range(0, len(rows), 5000):
                    await conn.execute(insert(table), rows[start : start + 5000])
        self.rows.clear()


async def _truncate(engine: AsyncEngine) -> None:
    names = ", ".join(f'"{t.name}"' for t in ReportingBase.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names}"))


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An empty reporting store: a migrated SQLite file, or PostgreSQL (truncated)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/reporting.db"
        upgrade_sync(url, store="reporting")
    else:
        pg = request.getfixturevalue("reporting_pg_url")
        if pg is None:
            pytest.skip("PostgreSQL is not reachable (set CI=true to make this a failure)")
        url = pg
    engine = create_async_engine(async_url(url))
    if request.param != "sqlite":
        await _truncate(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


async def sqlite_store(path: Path) -> AsyncEngine:
    """A fresh SQLite reporting store (tables made from the models: fast, for property tests)."""
    engine = create_async_engine(async_url(f"sqlite:///{path}"))
    async with engine.begin() as conn:
        await conn.run_sync(ReportingBase.metadata.create_all)
    return engine
