"""What the sweep needs to know about a batch of leaders, loaded in a few queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nudges.plans import CHUNK
from bot.nudges.schedule import period_of
from bot.outbox import PLATFORM_PREFERENCE, bucket_for, route
from storage.models import (
    BookingSeat,
    CheckIn,
    Engagement,
    Goal,
    Nudge,
    NudgeSettings,
    OutboxMessage,
    Person,
    PlatformIdentity,
    Programme,
    Reflection,
)

CAPPED_KINDS = ("nudge", "nudge_reminder")
"""Outbox kinds that count towards a leader's weekly cap."""
HISTORY = timedelta(weeks=9)


class Span(NamedTuple):
    """The dates of a leader's active engagement (the oldest when there are several)."""

    started_on: date
    ended_on: date | None


@dataclass
class Batch:
    """People, settings, engagements, goals, sessions and recent messages of some leaders."""

    people: dict[int, Person] = field(default_factory=dict)
    settings: dict[int, NudgeSettings] = field(default_factory=dict)
    engagements: dict[int, tuple[Span, Programme]] = field(default_factory=dict)
    goal_themes: dict[int, set[str]] = field(default_factory=dict)
    sessions: dict[int, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    last_session_end: dict[int, datetime] = field(default_factory=dict)
    capped_sent: dict[int, list[datetime]] = field(default_factory=dict)
    history: dict[int, list[tuple[str, datetime]]] = field(default_factory=dict)
    routes: dict[int, tuple[str, str]] = field(default_factory=dict)
    unanswered: set[tuple[int, str]] = field(default_factory=set)
    checked_in: set[tuple[int, str]] = field(default_factory=set)
    reflected_at: dict[int, list[datetime]] = field(default_factory=dict)

    async def route(self, db: AsyncSession, person: Person) -> tuple[str, str]:
        """(channel, bucket) of the person: their chat identity, else their organisation's."""
        if person.id not in self.routes:
            key = -person.organisation_id  # people without an identity share their org's route
            if key not in self.routes:
                self.routes[key] = await route(db=db, person=person)
            return self.routes[key]
        return self.routes[person.id]


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    return [list(ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK)]


async def load_batch(db: AsyncSession, person_ids: Sequence[int], now: datetime) -> Batch:
    """Everything the sweep reads about `person_ids` at `now`."""
    batch = Batch()
    ids = sorted(set(person_ids))
    batch.engagements = await _engagements(db, ids)
    for chunk in _chunks(ids):
        identities: dict[int, dict[str, str]] = {}
        for person_id, platform, tenant in await db.execute(
            select(
                PlatformIdentity.person_id, PlatformIdentity.platform, PlatformIdentity.tenant_key
            ).where(PlatformIdentity.person_id.in_(chunk))
        ):
            identities.setdefault(person_id, {})[platform] = tenant
        for person_id, by_platform in identities.items():
            for platform in PLATFORM_PREFERENCE:
                if platform in by_platform:
                    batch.routes[person_id] = (
                        platform,
                        bucket_for(platform, by_platform[platform]),
                    )
                    break
        batch.people.update(
            (p.id, p) for p in await db.scalars(select(Person).where(Person.id.in_(chunk)))
        )
        batch.settings.update(
            (s.person_id, s)
            for s in await db.scalars(
                select(NudgeSettings).where(NudgeSettings.person_id.in_(chunk))
            )
        )
        for leader_id, themes in await db.execute(
            select(Goal.leader_id, Goal.themes).where(
                Goal.leader_id.in_(chunk), Goal.status == "active"
            )
        ):
            batch.goal_themes.setdefault(leader_id, set()).update(themes or [])
        seats = await db.execute(
            select(BookingSeat.leader_id, BookingSeat.starts_at, BookingSeat.ends_at).where(
                BookingSeat.leader_id.in_(chunk),
                BookingSeat.status == "confirmed",
                BookingSeat.ends_at > now,
                BookingSeat.starts_at <= now + timedelta(days=8),
            )
        )
        for leader_id, starts_at, ends_at in seats:
            batch.sessions.setdefault(leader_id, []).append((starts_at, ends_at))
        ended = await db.execute(
            select(BookingSeat.leader_id, func.max(BookingSeat.ends_at))
            .where(
                BookingSeat.leader_id.in_(chunk),
                BookingSeat.status == "confirmed",
                BookingSeat.ends_at <= now,
            )
            .group_by(BookingSeat.leader_id)
        )
        batch.last_session_end.update((lid, end) for lid, end in ended if end)
        sent = await db.execute(
            select(OutboxMessage.person_id, OutboxMessage.created_at).where(
                OutboxMessage.person_id.in_(chunk),
                OutboxMessage.kind.in_(CAPPED_KINDS),
                OutboxMessage.created_at > now - timedelta(days=8),
            )
        )
        for person_id, created_at in sent:
            batch.capped_sent.setdefault(person_id, []).append(created_at)
        history = await db.execute(
            select(Nudge.person_id, Nudge.prompt_id, Nudge.sent_at, Nudge.due_at).where(
                Nudge.person_id.in_(chunk),
                Nudge.prompt_id.is_not(None),
                Nudge.due_at > now - HISTORY,
            )
        )
        open_rows = await db.execute(
            select(Nudge.person_id, Nudge.kind)
            .where(Nudge.person_id.in_(chunk), Nudge.status == "sent")
            .distinct()
        )
        batch.unanswered.update((person_id, kind) for person_id, kind in open_rows)
        for person_id, prompt_id, sent_at, due_at in history:
            if prompt_id:
                batch.history.setdefault(person_id, []).append((prompt_id, sent_at or due_at))
        await _load_answers(db, batch, chunk, now)
    return batch


async def _engagements(db: AsyncSession, ids: list[int]) -> dict[int, tuple[Span, Programme]]:
    """Each leader's oldest active engagement's dates, with its programme (read once each)."""
    rows: list[tuple[int, int, date, date | None]] = []
    for chunk in _chunks(ids):
        found = await db.execute(
            select(
                Engagement.leader_id,
                Engagement.programme_id,
                Engagement.started_on,
                Engagement.ended_on,
            )
            .where(Engagement.leader_id.in_(chunk), Engagement.status == "active")
            .order_by(Engagement.id)
        )
        rows.extend((lid, pid, start, end) for lid, pid, start, end in found)
    wanted = {programme_id for _, programme_id, _, _ in rows}
    programmes = {
        p.id: p for p in await db.scalars(select(Programme).where(Programme.id.in_(wanted)))
    }
    out: dict[int, tuple[Span, Programme]] = {}
    for leader_id, programme_id, started_on, ended_on in rows:
        out.setdefault(leader_id, (Span(started_on, ended_on), programmes[programme_id]))
    return out


async def _load_answers(db: AsyncSession, batch: Batch, chunk: list[int], now: datetime) -> None:
    """Check-ins of the last week, and reflections of the last 9 weeks (prompts and ad-hoc ones)."""
    checkins = await db.execute(
        select(CheckIn.leader_id, CheckIn.period)
        .where(CheckIn.leader_id.in_(chunk), CheckIn.created_at > now - timedelta(days=8))
        .distinct()
    )
    batch.checked_in.update((leader_id, period) for leader_id, period in checkins)
    reflections = await db.execute(
        select(
            Reflection.leader_id, Reflection.prompt_id, Reflection.created_at, Reflection.nudge_id
        ).where(Reflection.leader_id.in_(chunk), Reflection.created_at > now - HISTORY)
    )
    for leader_id, prompt_id, created_at, nudge_id in reflections:
        batch.history.setdefault(leader_id, []).append((prompt_id, created_at))
        if nudge_id is None:  # asked for, not a nudge's answer: it is that week's reflection
            batch.reflected_at.setdefault(leader_id, []).append(created_at)


def done_this_period(batch: Batch, person_id: int, kind: str, period: str, zone: str) -> bool:
    """True when the leader already checked in, or reflected unprompted, in `period`."""
    if kind == "checkin":
        return (person_id, period) in batch.checked_in
    return any(period_of(at, zone) == period for at in batch.reflected_at.get(person_id, []))


def paused(settings: NudgeSettings | None, at: datetime) -> bool:
    """True when the leader paused nudges indefinitely or until after `at`."""
    if settings is None:
        return False
    if settings.paused_indefinitely:
        return True
    return settings.paused_until is not None and settings.paused_until > at


def capped_this_period(batch: Batch, person_id: int, period: str, zone: str) -> int:
    """Nudges and reminders already queued to the person in `period` (their local week)."""
    return sum(period_of(at, zone) == period for at in batch.capped_sent.get(person_id, []))
