"""Roster import: validate a whole org.yaml or leaders.csv, then write it, or write nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.roster import apply as write
from bot.roster.context import build_context
from bot.roster.csv_rows import read_leaders_csv
from bot.roster.entry import Entry, complete
from bot.roster.erased import erased_in_file, without_erased
from bot.roster.existing import load_existing, organisation_slugs
from bot.roster.problems import FILE, ImportResult, Problem, RosterError, Tally
from bot.roster.schema import OrganisationIn
from bot.roster.validate import (
    PersonIds,
    check_capacity,
    check_coaches,
    check_identities,
    check_leaders,
    check_organisation,
    check_programmes,
    people_ids,
)
from bot.roster.yaml_doc import read_org_yaml
from storage.models import Organisation

SUFFIXES = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}


def _aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("naive `now`: pass an aware UTC datetime")


def _external_ids(entries: list[PersonIds]) -> set[str]:
    return {i for _, slack, teams, _ in entries for i in (slack, teams) if i is not None}


def _ids_of(org: Entry[OrganisationIn], name: str, key: str) -> set[str]:
    return {getattr(item, key) for item in org.get(name) or () if item is not None}


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
    are replaced as a set. People erased at their request are left out (neither created
    nor updated; see ImportResult.skipped_erased), and a leader whose coach was erased keeps
    or gets no coach. Raises RosterError, having written nothing, on any problem.
    """
    _aware(now)
    parsed, problems = read_org_yaml(text)
    if parsed is None:
        raise RosterError(problems, source)
    org_entry = parsed.organisation
    slug: str | None = org_entry.get("slug")
    if organisation and slug and slug != organisation.strip().lower():
        problems.append(
            Problem(
                org_entry.at.where("slug"),
                f"the file is for organisation {slug!r}, not {organisation!r} (--org)",
            )
        )
    existing = await load_existing(
        db=db,
        slug=slug,
        team_ids=_ids_of(org_entry, "slack_workspaces", "team_id"),
        tenant_ids=_ids_of(org_entry, "teams_tenants", "tenant_id"),
        external_ids=_external_ids(people_ids(parsed.coaches) + people_ids(parsed.leaders)),
    )
    tally = Tally()
    erased = await erased_in_file(
        db=db, existing=existing, entries=[*parsed.coaches, *parsed.leaders]
    )
    coaches = without_erased(parsed.coaches, erased, tally)
    leaders = without_erased(parsed.leaders, erased, tally)
    ctx = build_context(existing, org_entry, parsed.programmes, coaches)
    ctx.mentioned_coaches = parsed.mentioned_coaches | erased
    ctx.mentioned_programmes = parsed.mentioned_programmes
    check_organisation(org_entry, ctx, problems)
    write.check_safeguarding(org_entry, ctx, problems)
    check_programmes(parsed.programmes, problems)
    check_coaches(coaches, ctx, problems)
    slugs = check_leaders(leaders, ctx, problems)
    check_identities(people_ids(coaches) + people_ids(leaders), ctx, problems)
    check_capacity(leaders, slugs, ctx, problems)
    org_in = org_entry.item
    if problems or org_in is None:
        raise RosterError(problems, source)
    org = await write.apply_organisation(db=db, ctx=ctx, org_in=org_in, now=now, tally=tally)
    write.apply_programmes(
        db=db, ctx=ctx, org=org, rows=complete(parsed.programmes), now=now, tally=tally
    )
    write.apply_coaches(db=db, ctx=ctx, org=org, rows=complete(coaches), now=now, tally=tally)
    await write.apply_leaders(
        db=db,
        ctx=ctx,
        org=org,
        rows=complete(leaders),
        slugs=slugs,
        given=lambda leader: set(leader.model_fields_set),
        now=now,
        tally=tally,
    )
    return await _finish(db, org, tally, now)


async def _finish(db: AsyncSession, org: Organisation, tally: Tally, now: datetime) -> ImportResult:
    """The result; an audit entry only when the import changed something."""
    result = tally.result()
    if result.changed:
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
        return None, [Problem("--org", f"no organisation {wanted!r} (known: {known})")]
    if len(slugs) == 1:
        return slugs[0], []
    if not slugs:
        return None, [Problem("database", "there is no organisation yet: import an org.yaml first")]
    return None, [
        Problem("--org", f"there are several organisations ({', '.join(slugs)}): pass --org SLUG")
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

    Leaders are matched by email and updated in place; a column the file lacks leaves the
    stored value (a new leader gets the default); leaders absent from the file are not
    deleted. An empty coach_email leaves an existing coach assignment alone. People erased
    at their request are left out (see ImportResult.skipped_erased), and a coach_email of an
    erased coach is treated as empty. Raises RosterError, having written nothing, on any problem.
    """
    _aware(now)
    slug, problems = await _organisation(db, organisation)
    parsed, file_problems = read_leaders_csv(text)
    problems.extend(file_problems)
    existing = await load_existing(
        db=db, slug=slug, external_ids=_external_ids(people_ids(parsed.rows))
    )
    org = existing.org
    if org is None:
        raise RosterError(problems, source)
    tally = Tally()
    erased = await erased_in_file(db=db, existing=existing, entries=parsed.rows)
    rows = without_erased(parsed.rows, erased, tally)
    ctx = build_context(existing)
    ctx.mentioned_coaches = erased
    slugs = check_leaders(rows, ctx, problems)
    check_identities(people_ids(rows), ctx, problems)
    check_capacity(rows, slugs, ctx, problems)
    if problems:
        raise RosterError(problems, source)
    columns = set(parsed.columns)
    await write.apply_leaders(
        db=db,
        ctx=ctx,
        org=org,
        rows=complete(rows),
        slugs=slugs,
        given=lambda _leader: columns,
        now=now,
        tally=tally,
    )
    return await _finish(db, org, tally, now)


def decode(data: bytes, *, kind: str = "csv") -> tuple[str | None, list[Problem]]:
    """The file's text (UTF-8, with or without a byte-order mark), or why it is not text."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = " (in Excel: 'CSV UTF-8')" if kind == "csv" else ""
        return None, [
            Problem(
                f"line {line}",
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be read); "
                f"save it as UTF-8{hint}",
            )
        ]


def _read(path: Path) -> bytes:
    """The file's bytes; RosterError when it is missing, a directory or unreadable."""
    try:
        if path.is_dir():
            message = "this is a directory, not a file (expected a .yaml, .yml or .csv file)"
        elif not path.exists():
            message = "no such file"
        elif path.suffix.lower() not in SUFFIXES:
            shown = repr(path.suffix) if path.suffix else "a file without an extension"
            message = f"unsupported file type {shown} (expected .yaml, .yml or .csv)"
        else:
            return path.read_bytes()
    except OSError as exc:
        message = f"cannot read the file: {exc.strerror or exc}"
    raise RosterError([Problem(FILE, message)], path.name)


async def import_path(
    *, db: AsyncSession, path: Path, now: datetime, organisation: str | None = None
) -> ImportResult:
    """Import an org.yaml (.yaml, .yml) or a leaders.csv (.csv), chosen by the file's extension."""
    kind = SUFFIXES.get(path.suffix.lower(), "")
    data = await asyncio.to_thread(_read, path)
    text, problems = decode(data, kind=kind)
    if text is None:
        raise RosterError(problems, path.name)
    if kind == "yaml":
        return await import_org_yaml(
            db=db, text=text, now=now, source=path.name, organisation=organisation
        )
    return await import_leaders_csv(
        db=db, text=text, now=now, organisation=organisation, source=path.name
    )
