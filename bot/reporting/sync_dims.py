"""Reading the dimensions (leaders, coaches, programmes) whole: they are small, and read whole
they carry every roster correction and every erasure to the reporting store on each sync."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reporting.keys import ReportKeys
from bot.reporting.sync_write import Row
from storage.models import CoachProfile, Engagement, Person, Programme
from storage.reporting.models import CATEGORY


@dataclass
class Dimensions:
    """The dimension rows of one sync and the operational ids of who still counts."""

    leaders: list[Row] = field(default_factory=list)
    coaches: list[Row] = field(default_factory=list)
    programmes: list[Row] = field(default_factory=list)
    leader_ids: frozenset[int] = frozenset()
    coach_ids: frozenset[int] = frozenset()


async def read_dimensions(db: AsyncSession, keys: ReportKeys) -> Dimensions:
    """Every leader (roster categories, employment status), coach (capacity) and programme."""
    out = Dimensions()
    latest: dict[int, int] = {}  # leader id -> programme of their latest engagement
    found = await db.execute(
        select(Engagement.leader_id, Engagement.programme_id).order_by(
            Engagement.started_on, Engagement.id
        )
    )
    for leader, programme in found:
        latest[leader] = programme
    people = await db.execute(
        select(
            Person.id,
            Person.cohort,
            Person.level,
            Person.function,
            Person.region,
            Person.employment_status,
        )
        .where(Person.role == "leader")
        .order_by(Person.id)
    )
    leader_ids: set[int] = set()
    for ident, cohort, level, function, region, employment in people:
        leader_ids.add(ident)
        enrolled = latest.get(ident)
        out.leaders.append(
            {
                "leader_key": keys.cached("leader", ident),
                "programme_key": keys.cached("programme", enrolled) if enrolled else None,
                "cohort": cohort,
                "level": level,
                "function": function,
                "region": region,
                "employment_status": employment,
            }
        )
    coaches = await db.execute(
        select(Person.id, CoachProfile.capacity)
        .outerjoin(CoachProfile, CoachProfile.person_id == Person.id)
        .where(Person.role == "coach")
        .order_by(Person.id)
    )
    coach_ids: set[int] = set()
    for ident, capacity in coaches:
        coach_ids.add(ident)
        out.coaches.append({"coach_key": keys.cached("coach", ident), "capacity": capacity or 0})
    programmes = await db.execute(
        select(Programme.id, Programme.name, Programme.modality, Programme.sessions_per_leader)
    )
    for ident, name, modality, allowance in programmes:
        out.programmes.append(
            {
                "programme_key": keys.cached("programme", ident),
                "label": name[:CATEGORY],  # the admin's programme name, not a person's words
                "modality": modality,
                "sessions_per_leader": allowance,
            }
        )
    out.leader_ids, out.coach_ids = frozenset(leader_ids), frozenset(coach_ids)
    return out
