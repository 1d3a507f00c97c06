"""Nudge plans as rows: one per leader and kind, its next due instant in UTC from the local time."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Protocol

from sqlalchemy import and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.nudges.schedule import next_due
from bot.timefmt import is_valid_zone
from storage.models import Engagement, NudgePlan, NudgeSettings, Person, Programme
from storage.models.choices import NUDGE_KINDS

CHUNK = 500


class PlanTimes(Protocol):
    """What the due-instant rules read of a plan: a `NudgePlan` or a sweep's claimed row."""

    @property
    def kind(self) -> str: ...
    @property
    def next_due_at(self) -> datetime: ...
    @property
    def cadence_weeks(self) -> int: ...
    @property
    def anchor_period(self) -> str | None: ...


def zone_of(person: Person) -> str:
    """The person's IANA zone, or UTC when it is not a valid one."""
    return person.timezone if is_valid_zone(person.timezone) else "UTC"


def effective_time(
    *, kind: str, settings: NudgeSettings | None, programme: Programme
) -> tuple[int, time]:
    """The (weekday, local time) of a kind of nudge: the leader's choice, else the programme's."""
    if kind == "reflection":
        weekday = settings.reflection_weekday if settings else None
        at = settings.reflection_time if settings else None
        return (
            programme.reflection_weekday if weekday is None else weekday,
            programme.reflection_time if at is None else at,
        )
    if kind == "checkin":
        weekday = settings.checkin_weekday if settings else None
        at = settings.checkin_time if settings else None
        return (
            programme.checkin_weekday if weekday is None else weekday,
            programme.checkin_time if at is None else at,
        )
    raise ValueError(f"unknown nudge kind {kind!r}")


def cadence_of(plan: PlanTimes, programme: Programme) -> int:
    """Weeks between the plan's nudges: the programme's reflection cadence, or more (back-off)."""
    if plan.kind == "reflection" and plan.anchor_period is not None:  # the first comes at once
        return max(plan.cadence_weeks, programme.nudge_cadence_days // 7, 1)
    return plan.cadence_weeks


def plan_due(
    *,
    plan: PlanTimes,
    person: Person,
    settings: NudgeSettings | None,
    programme: Programme,
    after: datetime,
) -> datetime:
    """The plan's next due instant strictly after `after` (its cadence counted from its anchor)."""
    weekday, at = effective_time(kind=plan.kind, settings=settings, programme=programme)
    return next_due(
        weekday=weekday,
        at=at,
        zone=zone_of(person),
        after=after,
        cadence_weeks=cadence_of(plan, programme),
        anchor_period=plan.anchor_period,
    )


def slot_of(
    *, plan: PlanTimes, person: Person, settings: NudgeSettings | None, programme: Programme
) -> datetime:
    """The scheduled wall-time instant a (possibly deferred) due instant belongs to."""
    weekday, at = effective_time(kind=plan.kind, settings=settings, programme=programme)
    due = plan.next_due_at
    # Weekly slots are more than 6 days apart even across a DST change, and a deferral (quiet
    # hours, snooze) is shorter than that: at most one slot lies in (due - 6 days, due].
    slot = next_due(weekday=weekday, at=at, zone=zone_of(person), after=due - timedelta(days=6))
    return slot if slot <= due else due


async def active_engagement(
    db: AsyncSession, person_id: int
) -> tuple[Engagement, Programme] | None:
    """The leader's active engagement and its programme (the oldest when there are several)."""
    engagements = await active_engagements(db, [person_id])
    return engagements.get(person_id)


async def active_engagements(
    db: AsyncSession, person_ids: list[int]
) -> dict[int, tuple[Engagement, Programme]]:
    """Each leader's oldest active engagement, with its programme."""
    found: dict[int, tuple[Engagement, Programme]] = {}
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start : start + CHUNK]
        rows = await db.execute(
            select(Engagement, Programme)
            .join(Programme, Programme.id == Engagement.programme_id)
            .where(Engagement.leader_id.in_(chunk), Engagement.status == "active")
            .order_by(Engagement.id)
        )
        for engagement, programme in rows:
            found.setdefault(engagement.leader_id, (engagement, programme))
    return found


async def ensure_plans(*, db: AsyncSession, now: datetime) -> int:
    """Create the missing plans of leaders with an active engagement; returns how many."""
    made = 0
    for kind in NUDGE_KINDS:
        rows = await db.execute(
            select(Person, Engagement.programme_id, NudgeSettings)
            .join(Engagement, Engagement.leader_id == Person.id)
            .outerjoin(NudgeSettings, NudgeSettings.person_id == Person.id)
            .outerjoin(NudgePlan, and_(NudgePlan.person_id == Person.id, NudgePlan.kind == kind))
            .where(
                Engagement.status == "active",
                Person.role == "leader",
                Person.employment_status != "left",
                NudgePlan.id.is_(None),
            )
            .order_by(Person.id, Engagement.id)
        )
        firsts: dict[int, tuple[Person, int, NudgeSettings | None]] = {}
        for row in rows:
            firsts.setdefault(row[0].id, row)
        if not firsts:
            continue
        programmes = {
            p.id: p
            for p in await db.scalars(
                select(Programme).where(Programme.id.in_({pid for _, pid, _ in firsts.values()}))
            )
        }
        values = []
        for person, programme_id, settings in firsts.values():
            weekday, at = effective_time(
                kind=kind, settings=settings, programme=programmes[programme_id]
            )
            due = next_due(weekday=weekday, at=at, zone=zone_of(person), after=now)
            values.append(
                {
                    "person_id": person.id,
                    "kind": kind,
                    "next_due_at": due,
                    "cadence_weeks": 1,
                    "ignored_streak": 0,
                    "updated_at": now,
                    "created_at": now,
                }
            )
        insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
        for start in range(0, len(values), CHUNK):
            stmt = insert(NudgePlan).values(values[start : start + CHUNK])
            stmt = stmt.on_conflict_do_nothing(index_elements=["person_id", "kind"])
            made += len((await db.execute(stmt.returning(NudgePlan.id))).all())
    return made


async def replan(*, db: AsyncSession, person: Person, now: datetime) -> None:
    """Recompute the person's plans after a change of zone or settings (from `now` on)."""
    found = await active_engagement(db, person.id)
    if found is None:
        return
    _engagement, programme = found
    settings = await db.get(NudgeSettings, person.id)
    plans = await db.scalars(
        select(NudgePlan).where(NudgePlan.person_id == person.id).with_for_update()
    )
    for plan in plans:
        plan.next_due_at = plan_due(
            plan=plan, person=person, settings=settings, programme=programme, after=now
        )
        plan.updated_at = now
    await db.flush()
