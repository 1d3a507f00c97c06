"""Writing a validated file: organisation, programmes, coaches, leaders, engagements, audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.roster.apply_people import (
    assign,
    ensure_identities,
    leader_values,
    upsert_engagement,
    upsert_person,
)
from bot.roster.context import Context
from bot.roster.entry import Entry
from bot.roster.problems import ImportResult, Problem, RosterError, Row, Tally
from bot.roster.schema import CoachIn, LeaderIn, OrganisationIn, ProgrammeIn, SafeguardingIn
from storage.models import (
    AuditEntry,
    AvailabilityWindow,
    CoachProfile,
    Organisation,
    Programme,
    SlackWorkspace,
    TeamsTenant,
)


def _unfit_contact(ctx: Context, email: str) -> str | None:
    """Why `email` cannot be the safeguarding contact (None: a coach or admin of the roster)."""
    person = ctx.existing.people.get(email)
    if email in ctx.coaches or (person is not None and person.role in ("coach", "admin")):
        return None
    first = ctx.emails.get(email)
    if (first is not None and first.base[:1] == ("leaders",)) or person is not None:
        return f"{email!r} is a leader: the safeguarding contact must be a coach or an admin"
    return (
        f"no one on the roster has the email {email!r}: the safeguarding contact must be a "
        "coach of this file (capacity: 0 if they take no clients) or an imported coach or admin"
    )


def check_safeguarding(org: Entry[OrganisationIn], ctx: Context, problems: list[Problem]) -> None:
    """The safeguarding contact is a coach or admin on the roster, never a leader."""
    found: SafeguardingIn | None = org.get("safeguarding")
    reason = _unfit_contact(ctx, found.contact_email) if found and found.contact_email else None
    if reason is not None:
        problems.append(Problem(org.at.where("safeguarding", "contact_email"), reason))


def _support_values(org_in: OrganisationIn) -> dict[str, Any]:
    """The support columns the file sets (a section it leaves out keeps the stored value)."""
    values: dict[str, Any] = {}
    if "support" in org_in.model_fields_set:
        values["support_resources"] = [r.model_dump(mode="json") for r in org_in.support]
    if "safeguarding" in org_in.model_fields_set:
        guard = org_in.safeguarding or SafeguardingIn(policy="never")
        values["safeguarding_email"] = guard.contact_email
        values["safeguarding_policy"] = guard.policy
    return values


async def apply_organisation(
    *, db: AsyncSession, ctx: Context, org_in: OrganisationIn, now: datetime, tally: Tally
) -> Organisation:
    """Create or update the organisation, its support, workspaces and tenants (none removed)."""
    guard = org_in.safeguarding
    reason = _unfit_contact(ctx, guard.contact_email) if guard and guard.contact_email else None
    if reason is not None:  # normally caught by check_safeguarding, before any write
        raise RosterError([Problem("organisation.safeguarding.contact_email", reason)])
    values = {
        "name": org_in.name,
        "default_locale": org_in.default_locale,
        "default_timezone": org_in.default_timezone,
        **_support_values(org_in),
    }
    org = ctx.existing.org
    if org is None:
        org = Organisation(slug=org_in.slug, created_at=now, **values)
        db.add(org)
        await db.flush()
        ctx.existing.org = org
        tally.note("organisation", "created")
    else:
        tally.note("organisation", "updated" if assign(org, values) else "unchanged")
    workspaces = {w.team_id: w for w in ctx.existing.workspaces}
    for ws in org_in.slack_workspaces:
        found = workspaces.get(ws.team_id)
        if found is None:
            db.add(SlackWorkspace(organisation_id=org.id, team_id=ws.team_id, name=ws.name))
            tally.note("slack_workspace", "created")
        else:
            tally.note(
                "slack_workspace", "updated" if assign(found, {"name": ws.name}) else "unchanged"
            )
    tenants = {t.tenant_id: t for t in ctx.existing.tenants}
    for tn in org_in.teams_tenants:
        found_tenant = tenants.get(tn.tenant_id)
        if found_tenant is None:
            db.add(TeamsTenant(organisation_id=org.id, tenant_id=tn.tenant_id, name=tn.name))
            tally.note("teams_tenant", "created")
        else:
            changed = assign(found_tenant, {"name": tn.name})
            tally.note("teams_tenant", "updated" if changed else "unchanged")
    return org


def _programme_values(p: ProgrammeIn) -> dict[str, Any]:
    return {
        "name": p.name,
        "modality": p.modality,
        "sessions_per_leader": p.sessions_per_leader,
        "session_minutes": p.session_minutes,
        "nudge_cadence_days": p.nudge_cadence_days,
        "reflection_weekday": p.reflection_weekday,
        "reflection_time": p.reflection_time,
        "checkin_weekday": p.checkin_weekday,
        "checkin_time": p.checkin_time,
        "max_nudges_per_week": p.max_nudges_per_week,
        "nudge_grace_hours": p.nudge_grace_hours,
        "late_cancel_hours": p.late_cancel_hours,
        "booking_horizon_days": p.booking_horizon_days,
        "reminder_offsets_minutes": sorted(p.reminders, reverse=True),
        "brief_offset_minutes": p.brief_before,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
    }


def apply_programmes(
    *,
    db: AsyncSession,
    ctx: Context,
    org: Organisation,
    rows: list[Row[ProgrammeIn]],
    now: datetime,
    tally: Tally,
) -> None:
    """Create or update each programme by slug."""
    for row in rows:
        values = _programme_values(row.item)
        found = ctx.existing.programmes.get(row.item.slug)
        if found is None:
            programme = Programme(
                organisation_id=org.id, slug=row.item.slug, created_at=now, **values
            )
            db.add(programme)
            ctx.existing.programmes[row.item.slug] = programme
            tally.note("programme", "created")
        else:
            tally.note("programme", "updated" if assign(found, values) else "unchanged")


def _replace_windows(profile: CoachProfile, coach: CoachIn, tally: Tally) -> None:
    wanted = {(w.day, w.start): w.end for w in coach.availability}
    current = {(w.weekday, w.starts): w for w in profile.availability}
    for key, window in current.items():
        if key not in wanted:
            profile.availability.remove(window)
            tally.note("availability", "removed")
        elif window.ends != wanted[key]:
            window.ends = wanted[key]
            tally.note("availability", "updated")
        else:
            tally.note("availability", "unchanged")
    for (day, start), end in wanted.items():
        if (day, start) not in current:
            profile.availability.append(AvailabilityWindow(weekday=day, starts=start, ends=end))
            tally.note("availability", "created")


def _profile_values(coach: CoachIn, locale: str) -> dict[str, Any]:
    body, level = coach.accreditation
    return {
        "accreditation_body": body,
        "accreditation_level": level,
        "modalities": list(coach.modalities),
        "languages": list(coach.languages) or [locale.split("-")[0]],
        "capacity": coach.capacity,
        "bio": coach.bio,
        "calendar_user_id": coach.calendar_user_id,
        "buffer_minutes": coach.buffer_minutes,
        "min_notice_hours": coach.min_notice_hours,
    }


def apply_coaches(
    *,
    db: AsyncSession,
    ctx: Context,
    org: Organisation,
    rows: list[Row[CoachIn]],
    now: datetime,
    tally: Tally,
) -> None:
    """Create or update each coach: person, profile, weekly windows (as a set), identities."""
    for row in rows:
        coach = row.item
        locale = coach.locale or ctx.default_locale
        person_values = {
            "name": coach.name,
            "timezone": coach.timezone,
            "locale": locale,
            "country": coach.country,
        }
        person, outcome = upsert_person(
            db=db, ctx=ctx, org=org, email=coach.email, role="coach", values=person_values, now=now
        )
        values = _profile_values(coach, locale)
        profile = person.coach_profile
        if profile is None:
            person.coach_profile = profile = CoachProfile(availability=[], **values)
            changed = True
        else:
            changed = assign(profile, values)
        if changed and outcome == "unchanged":
            person.updated_at, outcome = now, "updated"
        tally.note("coach", outcome)
        _replace_windows(profile, coach, tally)
        ensure_identities(
            person=person,
            ctx=ctx,
            slack_id=coach.slack_user_id,
            teams_id=coach.teams_user_id,
            now=now,
            tally=tally,
        )


async def apply_leaders(
    *,
    db: AsyncSession,
    ctx: Context,
    org: Organisation,
    rows: list[Row[LeaderIn]],
    slugs: list[str | None],
    given: Callable[[LeaderIn], set[str]],
    now: datetime,
    tally: Tally,
) -> None:
    """Create or update each leader, their identities, and their engagement."""
    people = []
    for row in rows:
        leader = row.item
        values = leader_values(leader, given(leader), ctx)
        person, outcome = upsert_person(
            db=db,
            ctx=ctx,
            org=org,
            email=leader.email,
            role="leader",
            values=values,
            now=now,
            defaults={"locale": ctx.default_locale},
        )
        tally.note("leader", outcome)
        ensure_identities(
            person=person,
            ctx=ctx,
            slack_id=leader.slack_user_id,
            teams_id=leader.teams_user_id,
            now=now,
            tally=tally,
        )
        people.append(person)
    await db.flush()
    for row, slug, person in zip(rows, slugs, people, strict=True):
        if slug is None:
            raise RuntimeError("validation let an unknown programme through")
        programme = ctx.existing.programmes[slug]
        upsert_engagement(
            db=db,
            ctx=ctx,
            leader=row.item,
            person=person,
            programme=programme,
            now=now,
            tally=tally,
        )


def audit(*, db: AsyncSession, org: Organisation, result: ImportResult, now: datetime) -> None:
    """Record an import that changed something in the audit log, with counts only."""
    db.add(
        AuditEntry(
            at=now,
            actor="operator",
            action="roster.import",
            subject_type="organisation",
            subject_id=org.slug,
            detail=result.counts(),
        )
    )
