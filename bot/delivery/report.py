"""What one dispatcher pass did, in counts (never ids of people, never message text).

Also who cannot be reached on their platform, for the admin (`unreachable_people`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, PlatformIdentity


@dataclass
class DispatchReport:
    """Counts of one pass: every claimed row ends in exactly one of the outcome counts."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    held: int = 0
    paced: int = 0
    dead: int = 0
    superseded: int = 0
    no_sender: int = 0

    def add(self, other: DispatchReport) -> None:
        """Add another report's counts to this one."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def outcomes(self) -> int:
        """Claimed rows accounted for: sent, retrying, held, paced, dead or superseded."""
        return self.sent + self.retrying + self.held + self.paced + self.dead + self.superseded

    def summary(self) -> str:
        """One line for logs and `run-due`, e.g. 'sent 3, retrying 1, held 0, ...'."""
        return ", ".join(
            f"{f.name.replace('_', ' ')} {getattr(self, f.name)}" for f in fields(self)
        )


class UnreachablePerson(NamedTuple):
    """Someone a chat platform cannot reach, for the admin: who, where, why, since when."""

    name: str
    email: str
    platform: str
    reason: str
    since: datetime | None


async def unreachable_people(db: AsyncSession) -> list[UnreachablePerson]:
    """Everyone marked unreachable on a platform, longest-standing first."""
    rows = await db.execute(
        select(
            Person.name,
            Person.email,
            PlatformIdentity.platform,
            PlatformIdentity.unreachable_reason,
            PlatformIdentity.unreachable_since,
        )
        .join(PlatformIdentity, PlatformIdentity.person_id == Person.id)
        .where(PlatformIdentity.unreachable_reason.is_not(None))
        .order_by(PlatformIdentity.unreachable_since, Person.name)
    )
    return [UnreachablePerson(n, e, p, r or "", s) for n, e, p, r, s in rows]
