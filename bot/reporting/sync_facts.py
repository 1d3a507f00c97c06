"""Reading facts from the operational store as reporting rows: keys, categories, numbers, weeks.

Only the columns a fact needs are selected, so no confidential text (goal titles, notes,
answers, handoff text) is ever read, let alone decrypted. Each reader yields the rows changed
since `Scope.since` (all rows when it is None), for current leaders (and coaches) only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Executable, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reporting.keys import ReportKeys
from bot.reporting.metrics_scope import monday
from bot.reporting.sync_sql import utc_week, whole_seconds
from bot.reporting.sync_write import BATCH, Row
from storage.models import Booking, BookingSeat, CheckIn, Engagement, Goal, Handoff, Nudge

AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])
"""Any SELECT, whatever its columns."""

OPEN_HANDOFFS = ("offered", "agenda")
"""Handoff statuses the leader may still change (e.g. withdraw) without any timestamp moving."""


@dataclass(frozen=True)
class Scope:
    """What one sync reads: since when (None: everything), and who still counts."""

    keys: ReportKeys
    leaders: frozenset[int]
    coaches: frozenset[int]
    since: datetime | None
    now: datetime


def session_status(seat: str, booking: str, ended: bool) -> str:
    """booked (confirmed, not ended), held (ended or marked held), else the cancelled kind."""
    if seat != "confirmed":
        return seat
    if booking in ("cancelled", "late_cancelled", "no_show"):
        return booking
    return "held" if booking == "held" or ended else "booked"


def _since(stmt: AnySelect, scope: Scope, *columns: Any, still: Any = None) -> AnySelect:
    """Only rows with one of `columns` at or after `scope.since` (or matching `still`, rows
    that change with no timestamp of their own); every row when the sync reads everything."""
    if scope.since is None:
        return stmt
    changed = or_(*(column >= scope.since for column in columns))
    return stmt.where(changed if still is None else or_(changed, still))


async def _stream(db: AsyncSession, stmt: Executable) -> AsyncIterator[Any]:
    """The rows of a Core query, fetched a batch at a time (one await per batch, not per row)."""
    conn = await db.connection()
    result = await conn.stream(stmt.execution_options(yield_per=BATCH))
    async for partition in result.partitions():
        for row in partition:
            yield row


def _dialect(db: AsyncSession) -> str:
    return db.get_bind().dialect.name


async def engagements(db: AsyncSession, scope: Scope) -> AsyncIterator[Row]:
    """Every engagement of a current leader (few: read whole each sync, like a dimension)."""
    e = Engagement
    stmt = select(
        e.id, e.leader_id, e.coach_id, e.programme_id, e.status, e.started_on, e.ended_on
    ).order_by(e.id)
    async for ident, leader, coach, programme, status, started, ended in _stream(db, stmt):
        if leader not in scope.leaders:
            continue
        yield {
            "engagement_key": scope.keys.of("engagement", ident),
            "leader_key": scope.keys.cached("leader", leader),
            "coach_key": scope.keys.cached("coach", coach) if coach in scope.coaches else None,
            "programme_key": scope.keys.cached("programme", programme),
            "status": status,
            "started_week": monday(started),
            "ended_week": monday(ended) if ended else None,
        }


async def sessions(db: AsyncSession, scope: Scope) -> AsyncIterator[Row]:
    """Seats changed, or ending, since `since` (a session becomes held by time passing)."""
    s, b, dialect = BookingSeat, Booking, _dialect(db)
    stmt = (
        select(
            s.booking_id,
            s.leader_id,
            s.status,
            utc_week(s.starts_at, dialect),
            whole_seconds(s.ends_at, s.starts_at, dialect),
            s.ends_at <= scope.now,
            b.coach_id,
            func.coalesce(b.programme_id, Engagement.programme_id),
            b.kind,
            b.status,
        )
        .join(b, b.id == s.booking_id)
        .outerjoin(Engagement, Engagement.id == s.engagement_id)
        .order_by(s.booking_id, s.leader_id, s.id)  # a seat taken again: the latest wins
    )
    stmt = _since(stmt, scope, s.updated_at, b.updated_at, s.ends_at, s.created_at)
    async for (
        booking,
        leader,
        seat,
        week,
        seconds,
        ended,
        coach,
        programme,
        kind,
        status,
    ) in _stream(db, stmt):
        if leader not in scope.leaders or coach not in scope.coaches:
            continue
        yield {
            "session_key": scope.keys.session(booking, leader),
            "leader_key": scope.keys.cached("leader", leader),
            "coach_key": scope.keys.cached("coach", coach),
            "programme_key": scope.keys.cached("programme", programme) if programme else None,
            "kind": kind,
            "status": session_status(seat, status, bool(ended)),
            "week": week,
            "minutes": seconds // 60,
        }


async def goals(db: AsyncSession, scope: Scope) -> AsyncIterator[Row]:
    """Goals created or changed since `since`: baseline and status, never title or levels."""
    g = Goal
    week = utc_week(g.created_at, _dialect(db))
    stmt = select(g.id, g.leader_id, g.baseline_level, g.status, week).order_by(g.id)
    stmt = _since(stmt, scope, g.updated_at, g.created_at)
    async for ident, leader, baseline, status, created in _stream(db, stmt):
        if leader not in scope.leaders:
            continue
        yield {
            "goal_key": scope.keys.of("goal", ident),
            "leader_key": scope.keys.cached("leader", leader),
            "baseline_level": baseline,
            "status": status,
            "created_week": created,
        }


async def checkins(db: AsyncSession, scope: Scope) -> AsyncIterator[Row]:
    """Check-ins answered since `since`: level, T-score, confidence (never the note)."""
    c = CheckIn
    week = utc_week(c.answered_at, _dialect(db))
    stmt = select(c.id, c.leader_id, c.goal_id, week, c.level, c.t_score, c.confidence).order_by(
        c.id
    )
    stmt = _since(stmt, scope, c.answered_at, c.created_at)
    async for ident, leader, goal, answered, level, t_score, confidence in _stream(db, stmt):
        if leader not in scope.leaders:
            continue
        yield {
            "checkin_key": scope.keys.of("checkin", ident),
            "leader_key": scope.keys.cached("leader", leader),
            "goal_key": scope.keys.cached("goal", goal),
            "week": answered,
            "level": level,
            "t_score": t_score,
            "confidence": confidence,
        }


async def nudges(db: AsyncSession, scope: Scope) -> AsyncIterator[Row]:
    """Nudges that happened (not merely scheduled), changed since `since` or still unanswered.

    A sent nudge turns `ignored` when the next of its kind goes, with no timestamp of its own:
    every `sent` one is read again until it is answered or ignored.
    """
    n, dialect = Nudge, _dialect(db)
    delay = whole_seconds(n.answered_at, n.sent_at, dialect)
    stmt = (
        select(n.id, n.person_id, n.kind, n.status, utc_week(n.due_at, dialect), delay)
        .where(n.status != "scheduled")
        .order_by(n.id)
    )
    stmt = _since(stmt, scope, n.created_at, n.sent_at, n.answered_at, still=n.status == "sent")
    async for ident, leader, kind, status, week, seconds in _stream(db, stmt):
        if leader not in scope.leaders:
            continue
        yield {
            "nudge_key": scope.keys.of("nudge", ident),
            "leader_key": scope.keys.cached("leader", leader),
            "kind": kind,
            "status": status,
            "week": week,
            "response_seconds": seconds if seconds is None or seconds >= 0 else None,
        }


async def handoffs(db: AsyncSession, scope: Scope) -> AsyncIterator[Row]:
    """Handoffs made or shared since `since`, and every one still open (never their text)."""
    h = Handoff
    stmt = select(h.id, h.leader_id, h.status, utc_week(h.created_at, _dialect(db))).order_by(h.id)
    stmt = _since(
        stmt, scope, h.created_at, h.shared_at, h.delivered_at, still=h.status.in_(OPEN_HANDOFFS)
    )
    async for ident, leader, status, created in _stream(db, stmt):
        if leader not in scope.leaders:
            continue
        yield {
            "handoff_key": scope.keys.of("handoff", ident),
            "leader_key": scope.keys.cached("leader", leader),
            "status": status,
            "week": created,
        }


Reader = Callable[[AsyncSession, Scope], AsyncIterator[Row]]
