"""The reporting sync: copy what changed since the watermark into the reporting store, by key.

Idempotent: rows are upserted by pseudonymous key (INSERT … ON CONFLICT DO UPDATE), and a row
equal to the stored one is not written, so a second run changes nothing. Into an empty table (a
first or re-keyed sync) rows go straight in, by COPY on PostgreSQL (`sync_write`). Dimensions
are read whole each time, which carries roster corrections, and a leader (or coach) who was
erased or is no longer one disappears with every fact about them. Facts are read from
`watermark - LOOKBACK` on; `full` (or a first sync, or a changed secret) reads everything and
deletes whatever the operational store no longer has. All writes of one sync are one target
transaction: a report never sees half a sync.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reporting import sync_facts as facts
from bot.reporting.keys import ReportKeys, key_check
from bot.reporting.sync_dims import Dimensions, read_dimensions
from bot.reporting.sync_write import (
    Counts,
    TableWriter,
    delete_where,
    roomy_cache,
    sweep_unseen,
    wipe,
)
from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import is_up_to_date
from storage.reporting.models import (
    DimCoach,
    DimLeader,
    DimProgramme,
    FactCheckIn,
    FactEngagement,
    FactGoal,
    FactHandoff,
    FactNudge,
    FactSession,
    SyncState,
)

LOOKBACK = timedelta(days=35)
"""How far before the watermark facts are read again.

Some changes move no timestamp: a sent nudge turns `ignored` only when the next one of its kind
goes, up to four weeks later (cadence_weeks ≤ 4); a handoff is withdrawn, a session is marked
held. Those readers also re-read such open rows, so the lookback is the margin behind them, and
it covers transactions that commit after a sync began with a `now` before its watermark, and a
clock run backwards (`run-due --now`). Five weeks of facts are re-read and compared, and only
those that differ are written: cheap next to the cost of a missed change.
"""
STATE_ID = 1


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


DIMENSIONS = (_table(DimProgramme), _table(DimLeader), _table(DimCoach))
FACTS: tuple[tuple[Table, facts.Reader], ...] = (
    (_table(FactEngagement), facts.engagements),
    (_table(FactSession), facts.sessions),
    (_table(FactGoal), facts.goals),
    (_table(FactCheckIn), facts.checkins),
    (_table(FactNudge), facts.nudges),
    (_table(FactHandoff), facts.handoffs),
)
WHOLE = {_table(FactEngagement)}
"""Facts read whole on every sync, like dimensions (one row per leader and programme)."""


@dataclass
class SyncReport:
    """What one sync did: counts per table, whether it read everything or re-keyed, how long."""

    tables: dict[str, Counts] = field(default_factory=dict)
    full: bool = False
    rekeyed: bool = False
    since: datetime | None = None
    seconds: float = 0.0

    def counts(self, table: str) -> Counts:
        """The counts of one table (created at zero)."""
        return self.tables.setdefault(table, Counts())

    @property
    def total(self) -> Counts:
        """Counts over every table."""
        out = Counts()
        for c in self.tables.values():
            out.inserted, out.updated, out.deleted = (
                out.inserted + c.inserted,
                out.updated + c.updated,
                out.deleted + c.deleted,
            )
        return out

    def summary(self) -> str:
        """One line, the same shape on every run (so the job's runs add up)."""
        t = self.total
        return f"{t.inserted} rows inserted, {t.updated} updated, {t.deleted} deleted"


async def sync(
    *, source: Database, target: Database, keyring: Keyring, now: datetime, full: bool = False
) -> SyncReport:
    """Copy facts and dimensions changed since the last sync into the reporting store."""
    started = time.perf_counter()
    report = SyncReport()
    keys = ReportKeys(keyring)
    check = key_check(keyring)
    async with source.reading() as src, target.transaction() as dst, roomy_cache(dst):
        state = await dst.scalar(
            select(SyncState).where(SyncState.id == STATE_ID).with_for_update()
        )
        report.rekeyed = state is not None and state.key_check != check
        report.full = full or report.rekeyed or state is None or state.watermark is None
        if report.rekeyed:  # every key changed: start again from nothing
            for table in (*DIMENSIONS, *(t for t, _ in FACTS)):
                report.counts(table.name).deleted += await wipe(dst, [table])
        if not report.full and state is not None and state.watermark is not None:
            report.since = min(state.watermark, now) - LOOKBACK
        dims = await read_dimensions(src, keys)
        await _sync_dimensions(dst, dims, report)
        scope = facts.Scope(keys, dims.leader_ids, dims.coach_ids, report.since, now)
        for table, reader in FACTS:
            await _sync_facts(src, dst, table, reader, scope, report)
        if state is None:
            state = SyncState(id=STATE_ID, key_check=check)
            dst.add(state)
        state.key_check, state.watermark, state.last_sync_at = check, now, now
        if report.full:
            state.last_full_at = now
    report.seconds = time.perf_counter() - started
    return report


async def _is_empty(db: AsyncSession, table: Table) -> bool:
    [key] = list(table.primary_key.columns)
    return await db.scalar(select(key).limit(1)) is None


async def _sync_dimensions(db: AsyncSession, dims: Dimensions, report: SyncReport) -> None:
    """Upsert every dimension row; delete the rest, with every fact of a leader or coach gone."""
    gone: dict[str, list[str]] = {}
    for table, rows in zip(DIMENSIONS, (dims.programmes, dims.leaders, dims.coaches), strict=True):
        writer = TableWriter(db, table, empty=await _is_empty(db, table), track=True)
        for row in rows:
            if writer.add(row):
                await writer.flush()
        await writer.flush()
        assert writer.seen is not None
        gone[table.name] = await sweep_unseen(db, table, writer.seen)
        writer.counts.deleted += len(gone[table.name])
        _add(report.counts(table.name), writer.counts)
    leaders = gone[_table(DimLeader).name]
    coaches = gone[_table(DimCoach).name]
    programmes = gone[_table(DimProgramme).name]
    for table, _ in FACTS:
        deleted = 0
        if leaders:
            deleted += await delete_where(db, table.c.leader_key, leaders)
        if coaches and "coach_key" in table.c and table not in WHOLE:
            deleted += await delete_where(db, table.c.coach_key, coaches)
        if programmes and "programme_key" in table.c and table not in WHOLE:
            deleted += await delete_where(db, table.c.programme_key, programmes)
        report.counts(table.name).deleted += deleted


async def _sync_facts(
    src: AsyncSession,
    dst: AsyncSession,
    table: Table,
    reader: facts.Reader,
    scope: facts.Scope,
    report: SyncReport,
) -> None:
    """Upsert one fact table's changed rows; when read whole, delete the rows no longer there."""
    whole = scope.since is None or table in WHOLE
    writer = TableWriter(dst, table, empty=await _is_empty(dst, table), track=whole)
    try:
        async for row in reader(src, scope):
            if writer.add(row):
                await writer.flush_behind()
    finally:
        await writer.settle()
    await writer.flush()
    if writer.seen is not None:
        writer.counts.deleted += len(await sweep_unseen(dst, table, writer.seen))
    _add(report.counts(table.name), writer.counts)


def _add(into: Counts, more: Counts) -> None:
    into.inserted += more.inserted
    into.updated += more.updated
    into.deleted += more.deleted


async def is_migrated(target: Database) -> bool:
    """True when the reporting store exists and is at the newest schema."""
    return await asyncio.to_thread(is_up_to_date, target.url, store="reporting")


async def last_synced(target: Database) -> datetime | None:
    """When the reporting store was last synced (None: never)."""
    async with target.reading() as db:
        found: datetime | None = await db.scalar(
            select(SyncState.last_sync_at).where(SyncState.id == STATE_ID)
        )
    return found


async def is_due(target: Database, now: datetime, every: timedelta) -> bool:
    """True when the last sync is `every` old or more (or in the future: a clock run back)."""
    last = await last_synced(target)
    return last is None or not last <= now < last + every
