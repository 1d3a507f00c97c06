"""Tombstones of erased people: written by an erase, read by roster imports, lifted by readmit.

An Erasure holds only `Keyring.pseudonym("email", email.strip().lower())`, never the email.
The pseudonym key derives from the primary secret, so it changes when a new secret is
prepended to the ring. To keep it simple, tombstones are written under the primary secret and
looked up under every secret on the ring (`Keyring.pseudonyms`), so those written before a
rotation still match; a secret removed from the ring takes its tombstones' matches with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import Keyring
from storage.models import Erasure
from storage.types import keyring_of


def session_keyring(db: AsyncSession) -> Keyring:
    """The keyring the session's engine was built with."""
    return keyring_of(db.get_bind().dialect)


def email_keys(keyring: Keyring, email: str) -> list[str]:
    """The email's pseudonym under every secret on the ring, newest first."""
    return keyring.pseudonyms("email", email.strip().lower())


async def find_erasures(*, db: AsyncSession, keyring: Keyring, email: str) -> list[Erasure]:
    """Every tombstone of this email, in any organisation, under any secret on the ring."""
    found = await db.scalars(
        select(Erasure)
        .where(Erasure.email_key.in_(email_keys(keyring, email)))
        .order_by(Erasure.id)
    )
    return list(found)


async def add_erasure(
    *, db: AsyncSession, keyring: Keyring, organisation_id: int, email: str, now: datetime
) -> bool:
    """Record that this email was erased from the organisation; False when it already was."""
    for erasure in await find_erasures(db=db, keyring=keyring, email=email):
        if erasure.organisation_id == organisation_id:
            return False
    key = keyring.pseudonym("email", email.strip().lower())
    db.add(Erasure(organisation_id=organisation_id, email_key=key, erased_at=now))
    return True


async def erased_emails(
    *, db: AsyncSession, organisation_id: int | None, emails: Iterable[str]
) -> set[str]:
    """Those of `emails` erased from the organisation (none when it does not exist yet)."""
    if organisation_id is None:
        return set()
    stored = set(
        await db.scalars(
            select(Erasure.email_key).where(Erasure.organisation_id == organisation_id)
        )
    )
    if not stored:
        return set()
    keyring = session_keyring(db)
    return {e for e in set(emails) if not stored.isdisjoint(email_keys(keyring, e))}
