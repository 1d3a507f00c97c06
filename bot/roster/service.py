"""Roster import: validate a whole org.yaml or leaders.csv, then write it, or write nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.roster import apply as write
from bot.roster.context import build_context
from bot.roster.csv_rows import read_leaders_csv
from bot.roster.existing import load_existing, organisation_slugs
from bot.roster.problems import At, ImportResult, Problem, RosterError, Row, Tally
from bot.roster.schema import CoachIn, LeaderIn
from bot.roster.validate import (
    check_capacity,
    check_coaches,
    check_identities,
    check_leaders,
    check_organisation,
    check_programmes,
)
from bot.roster.yaml_doc import read_org_yaml

SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}


def _aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive `now`: pass an aware UTC datetime")


def _people_ids(
    rows: list[Row[CoachIn]] | list[Row[LeaderIn]],
) -> list[tuple[str, str | None, str | None, At]]:
    return [(r.item.email, r.item.slack_user_id, r.item.teams_user_id, r.at) for r in rows]


def _external_ids(entries: list[tuple[str, str | None, str | None, At]]) -> set[str]:
    return {i for _, slack, teams, _ in entries for i in (slack, teams) if i is not None}


async def import_org_yaml(
    *,
    db: AsyncSession,
    text: str,
    now: datetime,
    source: str = "org.yaml",
    organisation: str | None = None,
) -> ImportResult:
    """Import an organisation with its programmes, coaches and (optionally) leaders.

    Rows are matched by slug or email and updated in place; nothing absent from the file is
    deleted (people, programmes, workspaces stay), except that each coach's weekly windows
    are replaced as a set. Raises RosterError, having written nothing, on any problem.
    """
    _aware(now)
    parsed, problems = read_org_yaml(text)
    if parsed is None:
        raise RosterError(problems, source)
    org_in = parsed.organisation
    if organisation and org_in and org_in.slug != organisation.strip().lower():
        problems.append(
            Problem(
                parsed.org_at.where("slug"),
                f"the file is for organisation {org_in.slug!r}, not {organisation!r} (--org)",
            )
        )
    ids = _people_ids(parsed.coaches) + _people_ids(parsed.leaders)
    existing = await load_existing(
        db=db,
        slug=org_in.slug if org_in else None,
        team_ids={w.team_id for w in org_in.slack_workspaces} if org_in else (),
        tenant_ids={t.tenant_id for t in org_in.teams_tenants} if org_in else (),
        external_ids=_external_ids(ids),
    )
    ctx = build_context(
        existing,
        org_in,
        [r.item for r in parsed.programmes],
        [(r.item, r.at) for r in parsed.coaches],
    )
    ctx.mentioned_coaches = parsed.mentioned_coaches
    ctx.mentioned_programmes = parsed.mentioned_programmes
    if org_in is not None:
        check_organisation(org_in, parsed.org_at, ctx, problems)
    check_programmes(parsed.programmes, problems)
    check_coaches(parsed.coaches, ctx, problems)
    slugs = check_leaders(parsed.leaders, ctx, problems)
    check_identities(ids, ctx, problems)
    check_capacity(parsed.leaders, slugs, ctx, problems)
    if problems or org_in is None:
        raise RosterError(problems, source)
    tally = Tally()
    org = await write.apply_organisation(db=db, ctx=ctx, org_in=org_in, now=now, tally=tally)
    write.apply_programmes(db=db, ctx=ctx, org=org, rows=parsed.programmes, now=now, tally=tally)
    write.apply_coaches(db=db, ctx=ctx, org=org, rows=parsed.coaches, now=now, tally=tally)
    await write.apply_leaders(
        db=db,
        ctx=ctx,
        org=org,
        rows=parsed.leaders,
        slugs=slugs,
        given=lambda leader: set(leader.model_fields_set),
        now=now,
        tally=tally,
    )
    result = tally.result()
    write.audit(db=db, org=org, result=result, now=now)
    await db.flush()
    return result


async def _organisation(db: AsyncSession, wanted: str | None) -> tuple[str | None, list[Problem]]:
    slugs = await organisation_slugs(db=db)
    if wanted:
        slug = wanted.strip().lower()
        if slug in slugs:
            return slug, []
        known = ", ".join(slugs) or "none: import an org.yaml first"
        return None, [Problem("", f"no organisation {wanted!r} (known: {known})")]
    if len(slugs) == 1:
        return slugs[0], []
    if not slugs:
        return None, [Problem("", "there is no organisation yet: import an org.yaml first")]
    return None, [
        Problem("", f"there are several organisations ({', '.join(slugs)}): pass --org SLUG")
    ]


async def import_leaders_csv(
    *,
    db: AsyncSession,
    text: str,
    now: datetime,
    organisation: str | None = None,
    source: str = "leaders.csv",
) -> ImportResult:
    """Import leaders and their engagements into one organisation (by slug, or the only one).

    Leaders are matched by email and updated in place; leaders absent from the file are not
    deleted. An empty coach_email leaves an existing coach assignment alone. Raises
    RosterError, having written nothing, on any problem.
    """
    _aware(now)
    slug, problems = await _organisation(db, organisation)
    parsed, file_problems = read_leaders_csv(text)
    problems.extend(file_problems)
    ids = _people_ids(parsed.rows)
    existing = await load_existing(db=db, slug=slug, external_ids=_external_ids(ids))
    org = existing.org
    if org is None:
        raise RosterError(problems, source)
    ctx = build_context(existing)
    slugs = check_leaders(parsed.rows, ctx, problems)
    check_identities(ids, ctx, problems)
    check_capacity(parsed.rows, slugs, ctx, problems)
    if problems:
        raise RosterError(problems, source)
    tally = Tally()
    columns = set(parsed.columns)
    await write.apply_leaders(
        db=db,
        ctx=ctx,
        org=org,
        rows=parsed.rows,
        slugs=slugs,
        given=lambda _leader: columns,
        now=now,
        tally=tally,
    )
    result = tally.result()
    write.audit(db=db, org=org, result=result, now=now)
    await db.flush()
    return result


def decode(data: bytes) -> tuple[str | None, list[Problem]]:
    """The file's text (UTF-8, with or without a byte-order mark), or why it is not text."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [
            Problem(
                f"line {line}",
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be read); "
                "save it as UTF-8 (in Excel: 'CSV UTF-8')",
            )
        ]


async def import_path(
    *, db: AsyncSession, path: Path, now: datetime, organisation: str | None = None
) -> ImportResult:
    """Import an org.yaml (.yaml, .yml) or a leaders.csv (.csv), chosen by the file's extension."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        shown = repr(path.suffix) if path.suffix else "a file without an extension"
        raise RosterError(
            [Problem("", f"unsupported file type {shown} (expected .yaml, .yml or .csv)")],
            path.name,
        )
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        raise RosterError(
            [Problem("", f"cannot read the file: {exc.strerror}")], str(path)
        ) from None
    text, problems = decode(data)
    if text is None:
        raise RosterError(problems, path.name)
    if kind == "yaml":
        return await import_org_yaml(
            db=db, text=text, now=now, source=path.name, organisation=organisation
        )
    return await import_leaders_csv(
        db=db, text=text, now=now, organisation=organisation, source=path.name
    )
