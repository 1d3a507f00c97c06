"""The sync's bulk paths, on SQLite and PostgreSQL: weeks and delays computed by the database,
and batched writes (straight into an empty table, upserted into a filled one)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import literal, select

from bot.reporting import sync_write
from bot.reporting.metrics_scope import monday
from bot.reporting.sync_sql import utc_week, whole_seconds
from bot.reporting.sync_write import TableWriter
from storage.db import Database
from storage.reporting.models import FactHandoff
from storage.types import UTCDateTime
from tests.reporting.sync_env import target

__all__ = ["target"]

LONDON, AUCKLAND = ZoneInfo("Europe/London"), ZoneInfo("Pacific/Auckland")
EDGES = [
    datetime(2026, 11, 22, 23, 59, 59, 999_000, tzinfo=UTC),  # Sunday's last millisecond
    datetime(2026, 11, 23, 0, 0, tzinfo=UTC),  # Monday's first instant
    datetime(2026, 3, 29, 0, 30, tzinfo=LONDON),  # Sunday, before the clocks go forward
    datetime(2026, 3, 30, 0, 30, tzinfo=LONDON),  # Monday 00:30 BST = Sunday 23:30 UTC
    datetime(2026, 10, 26, 0, 30, tzinfo=LONDON),  # Monday after the clocks went back
    datetime(2026, 11, 23, 9, 0, tzinfo=AUCKLAND),  # Monday in Auckland, Sunday in UTC
    datetime(2026, 12, 31, 23, 0, tzinfo=UTC),  # ISO week 53 of 2026 starts on 28 Dec
    datetime(2027, 1, 3, 23, 59, tzinfo=UTC),
]


def _instants() -> list[datetime]:
    rng = random.Random(20261124)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    picked = [start + timedelta(seconds=rng.randrange(3 * 365 * 86_400)) for _ in range(60)]
    return EDGES + picked


async def test_the_database_computes_utc_weeks_as_python_does(db: Database) -> None:
    dialect = db.engine.dialect.name
    async with db.reading() as s:
        for instant in _instants():
            week = await s.scalar(select(utc_week(literal(instant, UTCDateTime()), dialect)))
            assert week == monday(instant.astimezone(UTC).date()), instant


@pytest.mark.parametrize(
    "seconds",
    [0, 0.4, 59.999, 60, 3_599.999, 3_600, 86_400 * 3 + 0.001, 86_400 * 400 + 7, -0.5, -3_600],
)
async def test_the_database_computes_whole_seconds_as_python_does(
    db: Database, seconds: float
) -> None:
    dialect = db.engine.dialect.name
    earlier = datetime(2026, 3, 29, 0, 59, 30, tzinfo=UTC)  # across London's spring change
    later = earlier + timedelta(seconds=seconds)
    async with db.reading() as s:
        found = await s.scalar(
            select(
                whole_seconds(
                    literal(later, UTCDateTime()), literal(earlier, UTCDateTime()), dialect
                )
            )
        )
        missing = await s.scalar(
            select(
                whole_seconds(
                    literal(None, UTCDateTime()), literal(earlier, UTCDateTime()), dialect
                )
            )
        )
    assert found == int((later - earlier).total_seconds())
    assert missing is None


def _handoff(key: str, status: str, week: date = date(2026, 11, 23)) -> dict[str, object]:
    return {"handoff_key": key, "leader_key": "l" * 32, "status": status, "week": week}


async def _stored(store: Database) -> dict[str, tuple[str, date]]:
    async with store.reading() as s:
        rows = await s.execute(
            select(FactHandoff.handoff_key, FactHandoff.status, FactHandoff.week)
        )
        return {key: (status, week) for key, status, week in rows}


async def _write(store: Database, rows: list[dict[str, object]], *, empty: bool) -> TableWriter:
    """Write rows as the sync does: batches in the background, then the rest."""
    table = FactHandoff.__table__
    async with store.transaction() as s:
        writer = TableWriter(s, table, empty=empty, track=True)  # type: ignore[arg-type]
        try:
            for row in rows:
                if writer.add(row):
                    await writer.flush_behind()
        finally:
            await writer.settle()
        await writer.flush()
    return writer


async def test_batches_go_straight_into_an_empty_table_and_a_key_seen_again_wins(
    target: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_write, "BATCH", 2)
    rows = [_handoff("a", "offered"), _handoff("b", "agenda"), _handoff("c", "private")]
    rows += [_handoff("a", "shared"), _handoff("d", "private")]  # "a" again, a batch later
    writer = await _write(target, rows, empty=True)
    assert (writer.counts.inserted, writer.counts.updated) == (4, 1)
    assert writer.seen == {"a", "b", "c", "d"}
    stored = await _stored(target)
    assert {key: status for key, (status, _) in stored.items()} == {
        "a": "shared",
        "b": "agenda",
        "c": "private",
        "d": "private",
    }
    assert {week for _, week in stored.values()} == {date(2026, 11, 23)}


async def test_a_filled_table_gets_only_new_and_changed_rows(
    target: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_write, "BATCH", 2)
    await _write(target, [_handoff("a", "offered"), _handoff("b", "agenda")], empty=True)
    later = date(2026, 11, 30)
    rows = [_handoff("a", "offered"), _handoff("b", "withdrawn", later), _handoff("e", "shared")]
    writer = await _write(target, rows, empty=False)
    assert (writer.counts.inserted, writer.counts.updated) == (1, 1)
    assert await _stored(target) == {
        "a": ("offered", date(2026, 11, 23)),
        "b": ("withdrawn", later),
        "e": ("shared", date(2026, 11, 23)),
    }
    again = await _write(target, rows, empty=False)
    assert again.counts.changed == 0
