"""The coach's pre-session brief: only what the leader chose to share, in the coach's zone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.allowance import sessions_left, sessions_used
from bot.booking.ics import safe_zone
from bot.brief_window import since_for
from bot.goals.levels import level_name
from bot.goals.store import shown_level, trend, week_label
from bot.handoffs import AGENDA, agenda_items, shared_items
from bot.llm_prompts import SharedItem
from bot.timefmt import local, show
from bot.ui import Message, literal
from prompts import Copy, copy_for
from storage.models import (
    Booking,
    CheckIn,
    Engagement,
    Goal,
    Handoff,
    Person,
    Programme,
    Reflection,
)


@dataclass(frozen=True)
class Shared:
    """One item the leader shared: its kind (reflection, note, handoff), words and instant."""

    kind: str
    text: str
    at: datetime


def day(at: datetime, zone: str) -> str:
    """A date as people read it in `zone`, e.g. 'Tue 24 Nov 2026'."""
    here = local(at, zone)
    return f"{here:%a} {here.day} {here:%b %Y}"


async def shared_since(
    *, db: AsyncSession, leader: Person, coach: Person, since: datetime, until: datetime
) -> list[Shared]:
    """Reflections, check-in notes and messages the leader shared in [since, until], by date."""
    found: list[Shared] = []
    reflections = await db.scalars(
        select(Reflection).where(
            Reflection.leader_id == leader.id,
            Reflection.shared_with_coach.is_(True),
            Reflection.answered_at >= since,
            Reflection.answered_at <= until,
        )
    )
    found += [Shared("reflection", r.answer, r.answered_at) for r in reflections.all()]
    notes = await db.scalars(
        select(CheckIn).where(
            CheckIn.leader_id == leader.id,
            CheckIn.shared_with_coach.is_(True),
            CheckIn.note.is_not(None),
            CheckIn.answered_at >= since,
            CheckIn.answered_at <= until,
        )
    )
    found += [Shared("note", c.note or "", c.answered_at) for c in notes.all() if c.note]
    for handoff in await shared_items(db, leader.id, since):
        at = handoff.shared_at
        if handoff.coach_id == coach.id and handoff.text and at is not None and at <= until:
            found.append(Shared("handoff", handoff.text, at))
    return sorted(found, key=lambda s: s.at)


async def agenda_for(*, db: AsyncSession, booking: Booking, leader: Person) -> list[Handoff]:
    """This booking's agenda items written by this leader (never withdrawn or private ones),
    and those left undelivered by a cancelled or earlier session with the same coach (they
    carry over)."""
    items = await agenda_items(db, booking.id)
    orphans = await db.scalars(
        select(Handoff)
        .join(Booking, Booking.id == Handoff.booking_id)
        .where(
            Handoff.leader_id == leader.id,
            Handoff.coach_id == booking.coach_id,
            Handoff.status == AGENDA,
            Handoff.delivered_at.is_(None),
            Handoff.booking_id != booking.id,
            or_(Booking.status != "confirmed", Booking.starts_at < booking.starts_at),
        )
        .order_by(Handoff.shared_at, Handoff.id)
    )
    items += list(orphans.all())
    return [h for h in items if h.leader_id == leader.id and h.text]


def synthesis_items(shared: Sequence[Shared], agenda: Sequence[Handoff]) -> list[SharedItem]:
    """The one leader's shared words as the LLM's input (nothing else of anyone's)."""
    items = [SharedItem(text=s.text, on=s.at.date(), kind=s.kind) for s in shared]
    items += [
        SharedItem(text=h.text or "", on=(h.shared_at or h.created_at).date(), kind="agenda")
        for h in agenda
    ]
    return items


async def _goal_lines(
    *, db: AsyncSession, copy: Copy, leader: Person, booking: Booking, since: datetime
) -> list[str]:
    """Active goals seen through the check-ins the leader shared (a goal with none is omitted)."""
    if booking.engagement_id is None:
        return []
    goals = list(
        await db.scalars(
            select(Goal)
            .where(
                Goal.leader_id == leader.id,
                Goal.engagement_id == booking.engagement_id,
                Goal.status == "active",
            )
            .order_by(Goal.position, Goal.id)
        )
    )
    lines: list[str] = []
    for goal in goals:
        rows = list(
            await db.scalars(
                select(CheckIn)
                .where(CheckIn.goal_id == goal.id, CheckIn.shared_with_coach.is_(True))
                .order_by(CheckIn.period, CheckIn.id)
            )
        )
        if not rows:
            continue
        latest = rows[-1]
        recent = [c for c in rows if c.answered_at >= since]
        before = [c for c in rows if c.answered_at < since][-1:]
        description = str(goal.levels.get(level_name(latest.level), "") or "")
        lines.append(
            copy(
                "brief.goal_line",
                title=literal(goal.title),
                level=shown_level(latest.level),
                description=(
                    copy("brief.goal_description", description=literal(description))
                    if description
                    else ""
                ),
            )
        )
        if len(before + recent) > 1:
            lines.append(copy("brief.goal_trend", trend=trend(before + recent)))
        if latest.confidence is not None:
            lines.append(
                copy(
                    "brief.goal_confidence",
                    confidence=latest.confidence,
                    week=week_label(latest.period),
                )
            )
    return lines


_LINE_KEY = {"reflection": "brief.reflection_line", "note": "brief.note_line"}


async def build_brief(
    *,
    db: AsyncSession,
    booking: Booking,
    leader: Person,
    coach: Person,
    now: datetime,
    synthesis: str | None = None,
) -> Message:
    """The coach's brief for one one-to-one session (a synthesis, if given, goes above all)."""
    copy = copy_for(coach.locale)
    zone = safe_zone(coach.timezone)
    since = await since_for(db=db, booking=booking, leader=leader)
    when = show(booking.starts_at, zone)
    lines = [copy("brief.intro", leader=leader.name, time=when, since=day(since, zone))]
    if booking.sequence > 0:
        lines.append(copy("brief.rescheduled", n=booking.sequence))
    if synthesis:
        lines += ["", copy("brief.synthesis_label"), literal(" ".join(synthesis.split()))]
    goals = await _goal_lines(db=db, copy=copy, leader=leader, booking=booking, since=since)
    lines += ["", copy("brief.goals_heading", leader=leader.name)]
    lines += goals or [copy("brief.no_goals")]
    shared = await shared_since(db=db, leader=leader, coach=coach, since=since, until=now)
    lines += ["", copy("brief.shared_heading")]
    lines += [
        copy(_LINE_KEY.get(s.kind, "brief.handoff_line"), on=day(s.at, zone), text=_quote(s.text))
        for s in shared
    ] or [copy("brief.no_shared")]
    agenda = await agenda_for(db=db, booking=booking, leader=leader)
    lines += ["", copy("brief.agenda_heading")]
    lines += [
        copy("brief.agenda_line", on=day(h.shared_at or h.created_at, zone), text=_quote(h.text))
        for h in agenda
    ] or [copy("brief.no_agenda")]
    lines += ["", await _allowance(db=db, copy=copy, booking=booking)]
    return Message(
        title=copy("brief.title", leader=leader.name, time=when),
        text="\n".join(line for line in lines if line is not None),
        footer=copy("brief.footer", leader=leader.name),
    )


def _quote(text: str | None) -> str:
    """A person's words verbatim, one literal span per line (literal spans hold one line)."""
    return "\n  ".join(literal(part) for part in (text or "").splitlines() or [""])


async def _allowance(*, db: AsyncSession, copy: Copy, booking: Booking) -> str:
    """Sessions used and left in the leader's programme ('' outside an engagement)."""
    engagement = await db.get(Engagement, booking.engagement_id) if booking.engagement_id else None
    if engagement is None:
        return ""
    programme = await db.get(Programme, engagement.programme_id)
    total = programme.sessions_per_leader if programme is not None else 0
    used = await sessions_used(db=db, engagement=engagement)
    left = await sessions_left(db=db, engagement=engagement)
    return copy("brief.allowance", used=used, left=left, total=total)
