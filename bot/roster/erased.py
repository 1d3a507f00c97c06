"""Leaving out of an import the people erased at their request (tombstones: bot.erasures)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from bot.erasures import erased_emails
from bot.roster.entry import Entry
from bot.roster.existing import Existing
from bot.roster.problems import Tally

M = TypeVar("M", bound=BaseModel)


def _emails(entry: Entry[Any]) -> Iterator[str]:
    """The entry's own email and, for a leader, their coach's, where they could be read."""
    for name in ("email", "coach_email"):
        value = getattr(entry.item, name, None) if entry.item else entry.fields.get(name)
        if isinstance(value, str):
            yield value


async def erased_in_file(
    *, db: AsyncSession, existing: Existing, entries: Iterable[Entry[Any]]
) -> set[str]:
    """The emails in the entries (people and coach references) erased from the organisation."""
    emails = {e for entry in entries for e in _emails(entry)}
    org_id = existing.org.id if existing.org else None
    return await erased_emails(db=db, organisation_id=org_id, emails=emails)


def without_erased(entries: list[Entry[M]], erased: set[str], tally: Tally) -> list[Entry[M]]:
    """The entries but those of erased people, whose places are noted in the tally."""
    kept = []
    for entry in entries:
        email: str | None = entry.get("email")
        if email is not None and email in erased:
            tally.skipped_erased.append(entry.at.where())
        else:
            kept.append(entry)
    return kept
