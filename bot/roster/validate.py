"""Checks across rows and against the database: duplicates, references, overlaps, capacity.

They read every field that could be read, from every entry, even one with other problems,
so that one import reports all that is wrong; a field that could not be read is skipped.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from bot.roster.context import Context
from bot.roster.entry import Entry
from bot.roster.existing import COUNTED_STATUSES
from bot.roster.fields import WEEKDAYS
from bot.roster.problems import At, Problem
from bot.roster.schema import CoachIn, LeaderIn, OrganisationIn, ProgrammeIn, WindowIn

PersonIds = tuple[str, str | None, str | None, At]

PLATFORM_FIELDS = (
    ("slack", "slack_user_id", "Slack user id"),
    ("teams", "teams_user_id", "Teams user id"),
)


def _role_conflict(ctx: Context, email: str, role: str, at: At, problems: list[Problem]) -> None:
    person = ctx.existing.people.get(email)
    if person is not None and person.role != role:
        problems.append(
            Problem(
                at.where("email"),
                f"{email!r} is already a {person.role} in this organisation and cannot also be "
                f"a {role}",
            )
        )


def check_organisation(org: Entry[OrganisationIn], ctx: Context, problems: list[Problem]) -> None:
    """Workspace and tenant ids: unique in the file and not owned by another organisation."""
    own = ctx.existing.org.id if ctx.existing.org else None
    for name, key, owners in (
        ("slack_workspaces", "team_id", ctx.existing.workspace_owner),
        ("teams_tenants", "tenant_id", ctx.existing.tenant_owner),
    ):
        seen: dict[str, int] = {}
        for i, item in enumerate(org.get(name) or ()):
            if item is None:
                continue  # its own problem is reported
            value = getattr(item, key)
            where = org.at.where(name, i, key)
            if value in seen:
                first = org.at.where(name, seen[value])
                problems.append(Problem(where, f"duplicate {key} {value!r}: also at {first}"))
            seen.setdefault(value, i)
            owner = owners.get(value)
            if owner is not None and owner != own:
                problems.append(
                    Problem(where, f"{key} {value!r} already belongs to another organisation")
                )


def check_programmes(entries: list[Entry[ProgrammeIn]], problems: list[Problem]) -> None:
    """Programme slugs are unique in the file."""
    seen: dict[str, At] = {}
    for entry in entries:
        slug: str | None = entry.get("slug")
        if slug is None:
            continue
        first = seen.setdefault(slug, entry.at)
        if first is not entry.at:
            problems.append(
                Problem(
                    entry.at.where("slug"),
                    f"duplicate programme {slug!r}: also at {first.where()}",
                )
            )


def _check_windows(entry: Entry[CoachIn], problems: list[Problem]) -> None:
    by_day: dict[int, list[tuple[int, WindowIn]]] = defaultdict(list)
    windows: list[WindowIn | None] = entry.get("availability") or []
    for i, w in enumerate(windows):
        if w is not None:  # an unreadable window is reported on its own
            by_day[w.day].append((i, w))
    for day, found in by_day.items():
        ordered = sorted(found, key=lambda iw: (iw[1].start, iw[1].end))
        for (before, a), (after, b) in itertools.pairwise(ordered):
            if b.start < a.end:
                problems.append(
                    Problem(
                        entry.at.where("availability", after),
                        f"{WEEKDAYS[day]} {b.start:%H:%M}-{b.end:%H:%M} overlaps "
                        f"{WEEKDAYS[day]} {a.start:%H:%M}-{a.end:%H:%M} at "
                        f"availability[{before}]; merge or separate them",
                    )
                )


def check_coaches(entries: list[Entry[CoachIn]], ctx: Context, problems: list[Problem]) -> None:
    """Coach emails unique, roles consistent with the database, windows not overlapping."""
    for entry in entries:
        email: str | None = entry.get("email")
        if email is not None and ctx.claim_email(email, entry.at, problems):
            _role_conflict(ctx, email, "coach", entry.at, problems)
        _check_windows(entry, problems)


def _unknown_coach(ctx: Context, email: str) -> str:
    person = ctx.existing.people.get(email)
    what = f"it belongs to a {person.role}" if person else "no coach has that email"
    return (
        f"unknown coach {email!r}: {what} (coaches are defined in org.yaml; leave coach_email "
        "empty to match later)"
    )


def check_leaders(
    entries: list[Entry[LeaderIn]], ctx: Context, problems: list[Problem]
) -> list[str | None]:
    """Leader emails unique, programme and coach references known; returns programme slugs."""
    slugs: list[str | None] = []
    for entry in entries:
        at = entry.at
        email: str | None = entry.get("email")
        if email is not None and ctx.claim_email(email, at, problems):
            _role_conflict(ctx, email, "leader", at, problems)
        value: str | None = entry.get("programme")
        slug = ctx.resolve_programme(value) if value is not None else None
        slugs.append(slug)
        mentioned = value is not None and value.strip().casefold() in ctx.mentioned_programmes
        if value is not None and slug is None and not mentioned:
            problems.append(Problem(at.where("programme"), ctx.unknown_programme(value)))
        coach_email: str | None = entry.get("coach_email")
        if coach_email is None:
            continue
        coach = ctx.coaches.get(coach_email)
        if coach is None and coach_email not in ctx.mentioned_coaches:
            problems.append(Problem(at.where("coach_email"), _unknown_coach(ctx, coach_email)))
        if coach is None or slug is None or coach.modalities is None:
            continue  # an entry that could not be read is reported on its own
        modality = ctx.programmes[slug].modality
        if modality is not None and modality not in coach.modalities:
            problems.append(
                Problem(
                    at.where("coach_email"),
                    f"coach {coach.email!r} does not coach the {modality!r} modality of "
                    f"programme {slug!r} (they offer {', '.join(coach.modalities) or 'none'})",
                )
            )
    return slugs


def people_ids(entries: list[Entry[CoachIn]] | list[Entry[LeaderIn]]) -> list[PersonIds]:
    """(email, Slack id, Teams id, place) of each entry whose email could be read."""
    out = []
    for entry in entries:
        email: str | None = entry.get("email")
        if email is not None:
            out.append((email, entry.get("slack_user_id"), entry.get("teams_user_id"), entry.at))
    return out


def check_identities(people: list[PersonIds], ctx: Context, problems: list[Problem]) -> None:
    """Slack and Teams ids: one person each, in the file and in the database."""
    owners = ctx.existing.person_by_id()
    seen: dict[tuple[str, str], tuple[str, At]] = {}
    for email, slack_id, teams_id, at in people:
        for (platform, column, label), value in zip(
            PLATFORM_FIELDS, (slack_id, teams_id), strict=True
        ):
            if value is None:
                continue
            first = seen.setdefault((platform, value), (email, at))
            if first[0] != email:
                problems.append(
                    Problem(at.where(column), f"{label} {value!r} is also at {first[1].where()}")
                )
                continue
            tenant = ctx.slack_tenant if platform == "slack" else ctx.teams_tenant
            owner_id = ctx.existing.identity_owner.get((platform, tenant, value))
            me = ctx.existing.people.get(email)
            if owner_id is not None and (me is None or me.id != owner_id):
                owner = owners.get(owner_id)
                who = repr(owner.email) if owner else "a person in another organisation"
                problems.append(
                    Problem(at.where(column), f"{label} {value!r} already belongs to {who}")
                )


def check_capacity(
    entries: list[Entry[LeaderIn]], slugs: list[str | None], ctx: Context, problems: list[Problem]
) -> None:
    """No coach ends up with more active or paused leaders than their capacity."""
    ex = ctx.existing
    people, programmes = ex.person_by_id(), ex.programme_by_id()
    final: dict[tuple[str, str], tuple[str | None, str]] = {}
    for eng in ex.engagements.values():
        leader, programme = people.get(eng.leader_id), programmes.get(eng.programme_id)
        assigned = people.get(eng.coach_id) if eng.coach_id is not None else None
        if leader is not None and programme is not None:
            key = (leader.email, programme.slug)
            final[key] = (assigned.email if assigned else None, eng.status)
    from_file: dict[tuple[str, str], tuple[int, At]] = {}
    for index, (entry, slug) in enumerate(zip(entries, slugs, strict=True)):
        email: str | None = entry.get("email")
        if slug is None or email is None:
            continue
        key = (email, slug)
        old_coach, status = final.get(key, (None, "active"))
        final[key] = (entry.get("coach_email") or old_coach, status)
        from_file[key] = (index, entry.at)
    load: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, (coach_email, status) in final.items():
        if coach_email is not None and status in COUNTED_STATUSES:
            load[coach_email].append(key)
    for coach_email, keys in load.items():
        coach = ctx.coaches.get(coach_email)
        if coach is None or coach.capacity is None or len(keys) <= coach.capacity:
            continue
        earlier = sum(1 for k in keys if k not in from_file)
        mine = [at for _, at in sorted((from_file[k] for k in keys if k in from_file), key=_first)]
        if mine:
            where = mine[max(coach.capacity - earlier, 0)].where("coach_email")
        elif coach.at is not None:
            where = coach.at.where("capacity")
        else:
            continue  # over capacity before this file; not this file's doing
        problems.append(
            Problem(
                where,
                f"coach {coach_email!r} would have {len(keys)} leaders but their capacity is "
                f"{coach.capacity} ({earlier} already assigned); raise the capacity in "
                "org.yaml or assign another coach",
            )
        )


def _first(item: tuple[int, At]) -> int:
    return item[0]
