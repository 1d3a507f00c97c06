"""Checks across rows and against the database: duplicates, references, overlaps, capacity."""

from __future__ import annotations

import itertools
from collections import defaultdict

from bot.roster.context import Context
from bot.roster.existing import COUNTED_STATUSES
from bot.roster.fields import WEEKDAYS
from bot.roster.problems import At, Problem, Row
from bot.roster.schema import CoachIn, LeaderIn, OrganisationIn, ProgrammeIn

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


def check_organisation(org: OrganisationIn, at: At, ctx: Context, problems: list[Problem]) -> None:
    """Workspace and tenant ids: unique in the file and not owned by another organisation."""
    own = ctx.existing.org.id if ctx.existing.org else None
    for name, key, owners, items in (
        ("slack_workspaces", "team_id", ctx.existing.workspace_owner, org.slack_workspaces),
        ("teams_tenants", "tenant_id", ctx.existing.tenant_owner, org.teams_tenants),
    ):
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            value = getattr(item, key)
            where = at.where(name, i, key)
            if value in seen:
                first = at.where(name, seen[value])
                problems.append(Problem(where, f"duplicate {key} {value!r}: also at {first}"))
            seen.setdefault(value, i)
            owner = owners.get(value)
            if owner is not None and owner != own:
                problems.append(
                    Problem(where, f"{key} {value!r} already belongs to another organisation")
                )


def check_programmes(rows: list[Row[ProgrammeIn]], problems: list[Problem]) -> None:
    """Programme slugs are unique in the file."""
    seen: dict[str, At] = {}
    for row in rows:
        first = seen.setdefault(row.item.slug, row.at)
        if first is not row.at:
            problems.append(
                Problem(
                    row.at.where("slug"),
                    f"duplicate programme {row.item.slug!r}: also at {first.where()}",
                )
            )


def _check_windows(row: Row[CoachIn], problems: list[Problem]) -> None:
    by_day: dict[int, list[int]] = defaultdict(list)
    windows = row.item.availability
    for i, w in enumerate(windows):
        by_day[w.day].append(i)
    for day, indices in by_day.items():
        ordered = sorted(indices, key=lambda i: (windows[i].start, windows[i].end))
        for before, after in itertools.pairwise(ordered):
            a, b = windows[before], windows[after]
            if b.start < a.end:
                problems.append(
                    Problem(
                        row.at.where("availability", after),
                        f"{WEEKDAYS[day]} {b.start:%H:%M}-{b.end:%H:%M} overlaps "
                        f"{WEEKDAYS[day]} {a.start:%H:%M}-{a.end:%H:%M} at "
                        f"availability[{before}]; merge or separate them",
                    )
                )


def check_coaches(rows: list[Row[CoachIn]], ctx: Context, problems: list[Problem]) -> None:
    """Coach emails unique, roles consistent with the database, windows not overlapping."""
    for row in rows:
        if ctx.claim_email(row.item.email, row.at, problems):
            _role_conflict(ctx, row.item.email, "coach", row.at, problems)
        _check_windows(row, problems)


def check_leaders(
    rows: list[Row[LeaderIn]], ctx: Context, problems: list[Problem]
) -> list[str | None]:
    """Leader emails unique, programme and coach references known; returns programme slugs."""
    slugs: list[str | None] = []
    for row in rows:
        leader, at = row.item, row.at
        if ctx.claim_email(leader.email, at, problems):
            _role_conflict(ctx, leader.email, "leader", at, problems)
        slug = ctx.resolve_programme(leader.programme)
        slugs.append(slug)
        if slug is None and leader.programme.strip().lower() not in ctx.mentioned_programmes:
            problems.append(Problem(at.where("programme"), ctx.unknown_programme(leader.programme)))
        if leader.coach_email is None:
            continue
        coach = ctx.coaches.get(leader.coach_email)
        if coach is None and leader.coach_email in ctx.mentioned_coaches:
            continue  # the coach's own entry is invalid and already reported
        if coach is None:
            person = ctx.existing.people.get(leader.coach_email)
            what = f"it belongs to a {person.role}" if person else "no coach has that email"
            problems.append(
                Problem(
                    at.where("coach_email"),
                    f"unknown coach {leader.coach_email!r}: {what} (coaches are defined in "
                    "org.yaml; leave coach_email empty to match later)",
                )
            )
        elif slug is not None and ctx.programmes[slug].modality not in coach.modalities:
            modality = ctx.programmes[slug].modality
            problems.append(
                Problem(
                    at.where("coach_email"),
                    f"coach {coach.email!r} does not coach the {modality!r} modality of "
                    f"programme {slug!r} (they offer {', '.join(coach.modalities) or 'none'})",
                )
            )
    return slugs


def check_identities(
    people: list[tuple[str, str | None, str | None, At]], ctx: Context, problems: list[Problem]
) -> None:
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
    rows: list[Row[LeaderIn]], slugs: list[str | None], ctx: Context, problems: list[Problem]
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
    for index, (row, slug) in enumerate(zip(rows, slugs, strict=True)):
        if slug is None:
            continue
        key = (row.item.email, slug)
        old_coach, status = final.get(key, (None, "active"))
        final[key] = (row.item.coach_email or old_coach, status)
        from_file[key] = (index, row.at)
    load: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, (coach_email, status) in final.items():
        if coach_email is not None and status in COUNTED_STATUSES:
            load[coach_email].append(key)
    for coach_email, keys in load.items():
        coach = ctx.coaches.get(coach_email)
        if coach is None or len(keys) <= coach.capacity:
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
