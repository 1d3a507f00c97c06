"""Writing people: create or update a person, their chat identities, and a leader's engagement."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.roster.context import Context
from bot.roster.problems import Tally
from bot.roster.schema import LeaderIn
from storage.models import Engagement, Organisation, Person, PlatformIdentity, Programme

LABELS = ("level", "function", "region", "cohort", "country")


def assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True when any did."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def upsert_person(
    *,
    db: AsyncSession,
    ctx: Context,
    org: Organisation,
    email: str,
    role: str,
    values: dict[str, Any],
    now: datetime,
    defaults: dict[str, Any] | None = None,
) -> tuple[Person, str]:
    """The person with `email`, created or updated to `values`; and 'created'/'updated'/...

    `defaults` fill what `values` leaves out, only for a new person.
    """
    person = ctx.existing.people.get(email)
    if person is None:
        person = Person(
            organisation_id=org.id,
            email=email,
            role=role,
            created_at=now,
            updated_at=now,
            identities=[],
            coach_profile=None,
            **{**(defaults or {}), **values},
        )
        db.add(person)
        ctx.existing.people[email] = person
        return person, "created"
    if assign(person, values):
        person.updated_at = now
        return person, "updated"
    return person, "unchanged"


def ensure_identities(
    *,
    person: Person,
    ctx: Context,
    slack_id: str | None,
    teams_id: str | None,
    now: datetime,
    tally: Tally,
) -> None:
    """Create or update the person's Slack and Teams identities (never removes one).

    Importing someone again also clears their "unreachable" marks: the admin fixed the roster
    (or the person joined the workspace), so the next message tries once more.
    """
    for ident in person.identities:
        if ident.unreachable_reason is not None:
            ident.unreachable_reason, ident.unreachable_since = None, None
    for platform, external, tenant in (
        ("slack", slack_id, ctx.slack_tenant),
        ("teams", teams_id, ctx.teams_tenant),
    ):
        if external is None:
            continue
        current = next((i for i in person.identities if i.platform == platform), None)
        if current is None:
            person.identities.append(
                PlatformIdentity(
                    platform=platform, tenant_key=tenant, external_id=external, created_at=now
                )
            )
            tally.note("identity", "created")
        elif current.external_id != external or current.tenant_key != tenant:
            current.external_id, current.tenant_key = external, tenant
            current.dm_channel_id, current.conversation_ref = None, None
            tally.note("identity", "updated")
        else:
            tally.note("identity", "unchanged")


def leader_values(leader: LeaderIn, given: set[str], ctx: Context) -> dict[str, Any]:
    """The person columns a leader row sets: a column the file lacks leaves the stored value.

    A blank locale means the organisation's default locale, as it does for a new leader.
    """
    values: dict[str, Any] = {"name": leader.name, "timezone": leader.timezone}
    if "locale" in given:
        values["locale"] = leader.locale or ctx.default_locale
    values.update({name: getattr(leader, name) for name in LABELS if name in given})
    return values


def upsert_engagement(
    *,
    db: AsyncSession,
    ctx: Context,
    leader: LeaderIn,
    person: Person,
    programme: Programme,
    now: datetime,
    tally: Tally,
) -> None:
    """Enrol the leader in the programme with their coach; keep an existing engagement's status."""
    coach = ctx.existing.people.get(leader.coach_email) if leader.coach_email else None
    key = (person.id, programme.id)
    engagement = ctx.existing.engagements.get(key)
    if engagement is None:
        started = leader.started_on or now.astimezone(ZoneInfo(leader.timezone)).date()
        engagement = Engagement(
            leader_id=person.id,
            coach_id=coach.id if coach else None,
            programme_id=programme.id,
            status="active",
            started_on=started,
            created_at=now,
        )
        db.add(engagement)
        ctx.existing.engagements[key] = engagement
        tally.note("engagement", "created")
        return
    values: dict[str, Any] = {}
    if coach is not None:
        values["coach_id"] = coach.id
    if leader.started_on is not None:
        values["started_on"] = leader.started_on
    tally.note("engagement", "updated" if assign(engagement, values) else "unchanged")
