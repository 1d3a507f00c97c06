"""What the database already holds that an import must check against and update."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import (
    CoachProfile,
    Engagement,
    Organisation,
    Person,
    PlatformIdentity,
    Programme,
    SlackWorkspace,
    TeamsTenant,
)

COUNTED_STATUSES = ("active", "paused")

ID_CHUNK = 5_000


@dataclass
class Existing:
    """One organisation's rows (empty when it does not exist yet), plus global id owners."""

    org: Organisation | None = None
    people: dict[str, Person] = field(default_factory=dict)
    programmes: dict[str, Programme] = field(default_factory=dict)
    workspaces: list[SlackWorkspace] = field(default_factory=list)
    tenants: list[TeamsTenant] = field(default_factory=list)
    engagements: dict[tuple[int, int], Engagement] = field(default_factory=dict)
    workspace_owner: dict[str, int] = field(default_factory=dict)
    tenant_owner: dict[str, int] = field(default_factory=dict)
    identity_owner: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def person_by_id(self) -> dict[int, Person]:
        """People of the organisation by id."""
        return {p.id: p for p in self.people.values()}

    def programme_by_id(self) -> dict[int, Programme]:
        """Programmes of the organisation by id."""
        return {p.id: p for p in self.programmes.values()}


async def organisation_slugs(*, db: AsyncSession) -> list[str]:
    """Every organisation's slug, sorted."""
    return sorted((await db.scalars(select(Organisation.slug))).all())


async def load_existing(
    *,
    db: AsyncSession,
    slug: str | None,
    team_ids: Collection[str] = (),
    tenant_ids: Collection[str] = (),
    external_ids: Collection[str] = (),
) -> Existing:
    """Load the organisation `slug` with its people, programmes and engagements."""
    out = Existing()
    if team_ids:
        rows = await db.execute(
            select(SlackWorkspace.team_id, SlackWorkspace.organisation_id).where(
                SlackWorkspace.team_id.in_(sorted(team_ids))
            )
        )
        out.workspace_owner = {team: org for team, org in rows}
    if tenant_ids:
        rows = await db.execute(
            select(TeamsTenant.tenant_id, TeamsTenant.organisation_id).where(
                TeamsTenant.tenant_id.in_(sorted(tenant_ids))
            )
        )
        out.tenant_owner = {tenant: org for tenant, org in rows}
    ids = sorted(external_ids)
    for start in range(0, len(ids), ID_CHUNK):  # PostgreSQL takes at most 65,535 parameters
        found = await db.execute(
            select(
                PlatformIdentity.platform,
                PlatformIdentity.tenant_key,
                PlatformIdentity.external_id,
                PlatformIdentity.person_id,
            ).where(PlatformIdentity.external_id.in_(ids[start : start + ID_CHUNK]))
        )
        out.identity_owner.update({(p, t, e): person for p, t, e, person in found})
    if slug is None:
        return out
    out.org = await db.scalar(select(Organisation).where(Organisation.slug == slug))
    if out.org is None:
        return out
    org_id = out.org.id
    people = await db.scalars(
        select(Person)
        .where(Person.organisation_id == org_id)
        .options(
            selectinload(Person.identities),
            selectinload(Person.coach_profile).selectinload(CoachProfile.availability),
        )
    )
    out.people = {p.email: p for p in people}
    programmes = await db.scalars(select(Programme).where(Programme.organisation_id == org_id))
    out.programmes = {p.slug: p for p in programmes}
    out.workspaces = list(
        await db.scalars(
            select(SlackWorkspace)
            .where(SlackWorkspace.organisation_id == org_id)
            .order_by(SlackWorkspace.id)
        )
    )
    out.tenants = list(
        await db.scalars(
            select(TeamsTenant)
            .where(TeamsTenant.organisation_id == org_id)
            .order_by(TeamsTenant.id)
        )
    )
    engagements = await db.scalars(
        select(Engagement).join(Programme).where(Programme.organisation_id == org_id)
    )
    out.engagements = {(e.leader_id, e.programme_id): e for e in engagements}
    return out
