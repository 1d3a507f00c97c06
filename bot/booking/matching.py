"""Matching a leader with a coach: the best few coaches with their reasons, and the choice.

Candidates are the coaches of the leader's organisation (a person with role 'coach' and a
coach profile, in a valid time zone) who coach the programme's modality and have a place free
(active and paused engagements below capacity). The ranking is `bot.booking.match_score`:
language, weekly overlap with the leader's working hours, accreditation, room left.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import String, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.audit import record
from bot.booking import match_score as ms
from bot.booking import service
from bot.booking.errors import CoachFull, CoachNotOffered, NotEnrolled, ZoneMissing
from bot.booking.match_score import Reason
from bot.outbox import enqueue
from bot.timefmt import is_valid_zone
from prompts import copy_for
from storage.models import (
    AvailabilityWindow,
    Booking,
    CoachProfile,
    Engagement,
    Person,
    Programme,
)

__all__ = ["Match", "Reason", "choose_coach", "reason_lines", "top_matches"]

CLIENT_STATUSES = ("active", "paused")
"""Engagements in these states take one of the coach's places."""
Windows = tuple[ms.Window, ...]


@dataclass(frozen=True)
class Match:
    """One coach offered to a leader, with the score and the reasons behind it."""

    coach: Person
    profile: CoachProfile
    score: float
    reasons: tuple[Reason, ...]
    clients: int
    overlap_hours: float


@dataclass(frozen=True)
class _Candidate:
    id: int
    name: str
    zone: str
    capacity: int
    languages: tuple[str, ...]
    body: str
    level: str
    clients: int
    windows: Windows = ()
    score: float = 0.0
    overlap_hours: float = 0.0


async def top_matches(
    *,
    db: AsyncSession,
    engagement: Engagement,
    now: datetime,
    limit: int = 3,
    exclude: Collection[int] = (),
) -> list[Match]:
    """The best `limit` coaches for the engagement's leader, best first, with reasons."""
    leader, programme = await _leader_and_programme(db, engagement)
    if not is_valid_zone(leader.timezone):
        raise ZoneMissing(name=leader.name)
    skip = set(exclude)
    rows = [c for c in await _candidates(db, leader, programme) if c.id not in skip]
    first = ms.week_start(now, leader.timezone)
    week = ms.WeekOverlap(
        leader_spans=ms.workday_spans(
            zone=leader.timezone,
            starts=leader.workday_starts,
            ends=leader.workday_ends,
            days=leader.working_days or (0, 1, 2, 3, 4),
            first=first,
        ),
        first=first,
    )
    memo: dict[tuple[str, Windows], float] = {}
    scored: list[_Candidate] = []
    for row in rows:
        key = (row.zone, row.windows)
        hours = memo.get(key)
        if hours is None:
            hours = memo[key] = week.hours(row.zone, key[1])
        points = ms.score(
            language=ms.speaks(row.languages, leader.locale),
            overlap_hours=hours,
            accreditation=ms.accreditation_rank(row.body, row.level),
            free=row.capacity - row.clients,
            capacity=row.capacity,
        )
        scored.append(replace(row, score=points, overlap_hours=round(hours, 2)))
    scored.sort(key=lambda c: (-c.score, c.name.casefold(), c.name, c.id))
    best = scored[: max(limit, 0)]
    coaches = await _load_coaches(db, [c.id for c in best])
    copy = copy_for(leader.locale)
    return [
        Match(
            coach=coaches[c.id],
            profile=_profile(coaches[c.id]),
            score=c.score,
            reasons=ms.reasons(
                modality=programme.modality,
                languages=c.languages,
                locale=leader.locale,
                overlap_hours=c.overlap_hours,
                body=c.body,
                level=c.level,
                free=c.capacity - c.clients,
                capacity=c.capacity,
                copy=copy,
            ),
            clients=c.clients,
            overlap_hours=c.overlap_hours,
        )
        for c in best
    ]


def reason_lines(match: Match, locale: str | None) -> list[str]:
    """The match's reasons as sentences in the leader's locale."""
    copy = copy_for(locale)
    return [copy(r.key, **r.values) for r in match.reasons]


async def choose_coach(
    *, db: AsyncSession, engagement: Engagement, coach_id: int, now: datetime
) -> Engagement:
    """Make `coach_id` the engagement's coach, never past capacity; a re-match cancels sessions.

    The coach's profile row is locked first (FOR UPDATE on PostgreSQL; on SQLite the BEGIN
    IMMEDIATE transaction already serialises writers), then the engagement's, then places are
    counted, so concurrent choices can never overfill a coach. Choosing the current coach again
    changes nothing. On a re-match the leader's upcoming sessions with the old coach are
    cancelled without counting against them (`service.cancel(waive_late=True)`).
    """
    profile = (
        await db.execute(
            select(CoachProfile)
            .where(CoachProfile.person_id == coach_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    engagement = (
        await db.execute(
            select(Engagement)
            .where(Engagement.id == engagement.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if engagement.coach_id == coach_id:
        return engagement
    if engagement.status not in CLIENT_STATUSES:
        raise NotEnrolled()
    leader, programme = await _leader_and_programme(db, engagement)
    coach = await db.get(Person, coach_id)
    if (
        profile is None
        or coach is None
        or coach.role != "coach"
        or coach.organisation_id != leader.organisation_id
        or programme.modality not in (profile.modalities or ())
    ):
        raise CoachNotOffered()
    if not is_valid_zone(coach.timezone):
        raise ZoneMissing(name=coach.name)
    taken = await db.scalar(
        select(func.count())
        .select_from(Engagement)
        .where(
            Engagement.coach_id == coach_id,
            Engagement.status.in_(CLIENT_STATUSES),
            Engagement.id != engagement.id,
        )
    )
    if (taken or 0) >= profile.capacity:
        raise CoachFull(coach=coach.name)
    old = engagement.coach_id
    cancelled = 0 if old is None else await _cancel_upcoming(db, engagement, leader, old, now)
    engagement.coach_id = coach_id
    record(
        db=db,
        actor=f"person:{leader.id}",
        action="matching.rematch" if old is not None else "matching.choose",
        now=now,
        subject_type="engagement",
        subject_id=engagement.id,
        detail={"coach_id": coach_id, "old_coach_id": old, "cancelled_sessions": cancelled},
    )
    await db.flush()
    return engagement


async def _cancel_upcoming(
    db: AsyncSession, engagement: Engagement, leader: Person, old_coach_id: int, now: datetime
) -> int:
    """Cancel the leader's upcoming one-to-one and chemistry sessions with the old coach."""
    bookings = (
        await db.scalars(
            select(Booking)
            .where(
                Booking.coach_id == old_coach_id,
                Booking.leader_id == leader.id,
                Booking.kind.in_(("session", "chemistry")),
                Booking.status == "confirmed",
                Booking.starts_at > now,
                (Booking.engagement_id == engagement.id) | Booking.engagement_id.is_(None),
            )
            .order_by(Booking.starts_at, Booking.id)
        )
    ).all()
    for booking in bookings:
        outcome = await service.cancel(db=db, booking=booking, by=leader, now=now, waive_late=True)
        if (
            outcome.notice is not None
        ):  # the leader did not press cancel: tell them, with the invite
            await enqueue(db=db, person=leader, message=outcome.notice, now=now, kind="booking")
    return len(bookings)


async def _leader_and_programme(
    db: AsyncSession, engagement: Engagement
) -> tuple[Person, Programme]:
    leader = await db.get(Person, engagement.leader_id)
    programme = await db.get(Programme, engagement.programme_id)
    if leader is None or programme is None:
        raise NotEnrolled()
    return leader, programme


async def _candidates(db: AsyncSession, leader: Person, programme: Programme) -> list[_Candidate]:
    """Coaches of the organisation for the programme's modality with a place free (one query).

    Each row carries the coach's client count and weekly windows (aggregated to one string),
    so 500 coaches cost one round trip and no per-window rows.
    """
    # A correlated count per coach (engagements.coach_id is indexed): a steady plan even on
    # tables the planner has no statistics for yet, unlike a grouped join.
    clients = (
        select(func.count())
        .select_from(Engagement)
        .where(Engagement.coach_id == Person.id, Engagement.status.in_(CLIENT_STATUSES))
        .correlate(Person)
        .scalar_subquery()
    )
    window = AvailabilityWindow
    one = cast(window.weekday, String) + " " + cast(window.starts, String)
    windows = (
        select(func.aggregate_strings(one + " " + cast(window.ends, String), ","))
        .where(window.coach_id == Person.id)
        .correlate(Person)
        .scalar_subquery()
    )
    # The JSON list as text holds '"leadership"' when it has it: a portable pre-filter that
    # the exact check below confirms.
    has_modality = cast(CoachProfile.modalities, String).contains(
        f'"{programme.modality}"', autoescape=True
    )
    result = await db.execute(
        select(
            Person.id,
            Person.name,
            Person.timezone,
            CoachProfile.capacity,
            CoachProfile.modalities,
            CoachProfile.languages,
            CoachProfile.accreditation_body,
            CoachProfile.accreditation_level,
            clients,
            windows,
        )
        .join(CoachProfile, CoachProfile.person_id == Person.id)
        .where(
            Person.organisation_id == leader.organisation_id,
            Person.role == "coach",
            has_modality,
        )
    )
    out = []
    for pid, name, zone, capacity, modalities, languages, body, level, n, spans in result:
        if programme.modality not in (modalities or ()) or n >= capacity:
            continue
        if pid == leader.id or not is_valid_zone(zone):
            continue
        langs = tuple(languages or ())
        found = ms.parse_windows(spans)
        out.append(_Candidate(pid, name, zone, capacity, langs, body, level, int(n), found))
    return out


async def _load_coaches(db: AsyncSession, ids: list[int]) -> dict[int, Person]:
    """The chosen few coaches with their profiles and windows loaded."""
    if not ids:
        return {}
    people = await db.scalars(
        select(Person)
        .where(Person.id.in_(ids))
        .options(joinedload(Person.coach_profile).selectinload(CoachProfile.availability))
    )
    return {p.id: p for p in people}


def _profile(coach: Person) -> CoachProfile:
    profile = coach.coach_profile
    if profile is None:  # pragma: no cover - loaded above through an inner join
        raise CoachNotOffered()
    return profile
