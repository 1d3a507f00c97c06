"""Who the playground user talks as: the roster of leaders and coaches, and one chosen person."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Engagement, Person, Programme

PLAYGROUND_ROLES = ("leader", "coach")
ACTIVE = ("active", "paused")


@dataclass(frozen=True)
class RosterEntry:
    """One person the playground can talk as (no email, no confidential text)."""

    id: int
    name: str
    role: str
    timezone: str
    programme: str

    def to_json(self) -> dict[str, object]:
        """This entry as a JSON-ready dict."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "timezone": self.timezone,
            "programme": self.programme,
        }


async def playground_person(*, db: AsyncSession, person_id: int) -> Person | None:
    """The leader or coach with this id, or None (admins and unknown ids are not offered)."""
    person = await db.get(Person, person_id)
    if person is None or person.role not in PLAYGROUND_ROLES:
        return None
    return person


async def roster(*, db: AsyncSession) -> list[RosterEntry]:
    """Every leader and coach, leaders first, by name, with their current programme(s)."""
    people = (
        await db.scalars(
            select(Person)
            .where(Person.role.in_(PLAYGROUND_ROLES))
            .order_by(Person.role.desc(), Person.name, Person.id)
        )
    ).all()
    links = (
        await db.execute(
            select(Engagement.leader_id, Engagement.coach_id, Programme.name)
            .join(Programme, Programme.id == Engagement.programme_id)
            .where(Engagement.status.in_(ACTIVE))
            .order_by(Programme.name)
        )
    ).all()
    programmes: dict[int, list[str]] = {}
    for leader_id, coach_id, name in links:
        for pid in (leader_id, coach_id):
            if pid is not None and name not in programmes.setdefault(pid, []):
                programmes[pid].append(name)
    return [
        RosterEntry(
            id=p.id,
            name=p.name,
            role=p.role,
            timezone=p.timezone,
            programme=", ".join(programmes.get(p.id, [])),
        )
        for p in people
    ]
