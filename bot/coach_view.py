"""What a leader's coach will receive and has not yet: the items a leader can still withdraw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.brief_window import covered_until
from bot.handoffs import AGENDA, WITHDRAWN, set_status
from storage.models import CheckIn, Goal, Handoff, Person, Reflection

ItemKind = Literal["reflection", "checkin", "agenda"]
KINDS: tuple[ItemKind, ...] = ("reflection", "checkin", "agenda")


@dataclass(frozen=True)
class Pending:
    """One item marked for the coach that no brief has carried yet (the leader's own words)."""

    kind: ItemKind
    id: int
    at: datetime
    text: str
    goal: str = ""

    @property
    def value(self) -> str:
        """The withdraw button's value: kind and id."""
        return f"{self.kind}:{self.id}"


async def pending_items(
    *, db: AsyncSession, leader: Person, coach_id: int, now: datetime
) -> list[Pending]:
    """Items marked for this coach that no brief has carried yet, oldest first."""
    last = await covered_until(db=db, leader_id=leader.id, now=now)
    found: list[Pending] = []
    reflections = select(Reflection).where(
        Reflection.leader_id == leader.id, Reflection.shared_with_coach.is_(True)
    )
    checkins = (
        select(CheckIn, Goal.title)
        .join(Goal, Goal.id == CheckIn.goal_id)
        .where(CheckIn.leader_id == leader.id, CheckIn.shared_with_coach.is_(True))
    )
    if last is not None:
        reflections = reflections.where(Reflection.answered_at > last)
        checkins = checkins.where(CheckIn.answered_at > last)
    found += [
        Pending("reflection", r.id, r.answered_at, r.answer) for r in await db.scalars(reflections)
    ]
    found += [
        Pending("checkin", c.id, c.answered_at, c.note or "", goal=title)
        for c, title in (await db.execute(checkins)).all()
    ]
    agenda = await db.scalars(
        select(Handoff).where(
            Handoff.leader_id == leader.id,
            Handoff.coach_id == coach_id,
            Handoff.status == AGENDA,
            Handoff.delivered_at.is_(None),
        )
    )
    found += [Pending("agenda", h.id, h.shared_at or h.created_at, h.text or "") for h in agenda]
    return sorted(found, key=lambda p: (p.at, KINDS.index(p.kind), p.id))


async def withdraw(
    *, db: AsyncSession, leader: Person, coach_id: int, value: str, now: datetime
) -> Pending | None:
    """Withdraw one pending item (by its button value); None if it is not pending any more."""
    for item in await pending_items(db=db, leader=leader, coach_id=coach_id, now=now):
        if item.value != value:
            continue
        if item.kind == "reflection":
            reflection = await db.get(Reflection, item.id)
            if reflection is not None:
                reflection.shared_with_coach = False
        elif item.kind == "checkin":
            checkin = await db.get(CheckIn, item.id)
            if checkin is not None:
                checkin.shared_with_coach = False
        else:
            handoff = await db.get(Handoff, item.id)
            if handoff is not None:
                set_status(handoff, WITHDRAWN, now=now)
        return item
    return None
