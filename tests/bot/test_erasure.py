"""Erased people stay erased: roster imports skip them until an operator readmits them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from bot.privacy import NotErased, erase, readmit
from storage.crypto import Keyring
from storage.db import Database
from storage.models import AuditEntry, Engagement, Erasure, Organisation, Person
from tests.bot.roster_helpers import EXAMPLES, T0, load, snapshot
from tests.conftest import TEST_SECRET

MARIA = "maria.gonzalez@northwind.example"  # line 3 of examples/leaders.csv
ANA = "ana.ruiz@coaches.northwind.example"  # the first coach of examples/org.yaml


async def _examples(db: Database) -> None:
    await load(db, EXAMPLES / "org.yaml")
    await load(db, EXAMPLES / "leaders.csv")


async def _erase(db: Database, email: str, keyring: Keyring) -> None:
    async with db.transaction() as s:
        assert await erase(db=s, email=email, now=T0, keyring=keyring) == 1


async def _emails(db: Database) -> set[str]:
    async with db.reading() as s:
        return set((await s.scalars(select(Person.email))).all())


async def _imports_audited(db: Database) -> int:
    async with db.reading() as s:
        query = select(func.count()).where(AuditEntry.action == "roster.import")
        return await s.scalar(query) or 0


async def test_reimport_skips_an_erased_leader_and_changes_nothing(
    db: Database, keyring: Keyring
) -> None:
    await _examples(db)
    await _erase(db, " Maria.Gonzalez@northwind.example ", keyring)
    before, audited = await snapshot(db), await _imports_audited(db)
    result = await load(db, EXAMPLES / "leaders.csv")
    assert result.skipped_erased == ["line 3"]
    assert not result.changed and result.created["leader"] == 0
    assert result.unchanged["leader"] == 15  # everyone else is still matched
    assert str(result).endswith(
        "; skipped 1 person erased at their request (line 3): see `python app.py privacy readmit`"
    )
    assert await snapshot(db) == before and await _imports_audited(db) == audited
    assert MARIA not in await _emails(db)


async def test_readmit_lets_the_next_import_add_them_again(db: Database, keyring: Keyring) -> None:
    await _examples(db)
    await _erase(db, MARIA, keyring)
    async with db.transaction() as s:
        assert await readmit(db=s, email="MARIA.GONZALEZ@northwind.example", now=T0) == 1
    result = await load(db, EXAMPLES / "leaders.csv")
    assert result.skipped_erased == [] and "skipped" not in str(result)
    assert result.created["leader"] == 1 and result.created["engagement"] == 1
    assert MARIA in await _emails(db)
    async with db.reading() as s:
        assert await s.scalar(select(func.count()).select_from(Erasure)) == 0
        entry = await s.scalar(select(AuditEntry).where(AuditEntry.action == "privacy.readmit"))
    assert entry is not None and entry.subject_type == "email"
    assert "@" not in entry.subject_id + str(entry.detail)


async def test_readmit_of_someone_never_erased_is_refused(db: Database) -> None:
    await _examples(db)
    with pytest.raises(NotErased, match=r"'sam\.lee@northwind\.example' was never erased"):
        async with db.transaction() as s:
            await readmit(db=s, email="sam.lee@northwind.example", now=T0)
    async with db.reading() as s:
        assert (
            await s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "privacy.readmit")
            )
            == 0
        )


async def test_erasure_holds_only_a_keyed_pseudonym(db: Database, keyring: Keyring) -> None:
    await _examples(db)
    await _erase(db, MARIA, keyring)
    async with db.reading() as s:
        rows = (await s.execute(text("SELECT email_key, erased_at FROM erasures"))).all()
    [(key, _erased_at)] = rows
    assert key == keyring.pseudonym("email", MARIA)
    assert "@" not in key and "maria" not in key.lower() and len(key) == 32


async def test_erase_twice_keeps_one_tombstone(db: Database, keyring: Keyring) -> None:
    await _examples(db)
    await _erase(db, MARIA, keyring)
    async with db.transaction() as s:  # someone re-added by hand, then erased again
        org_id = await s.scalar(select(Organisation.id))
        assert org_id is not None
        s.add(
            Person(
                organisation_id=org_id,
                email=MARIA,
                name="M",
                role="leader",
                timezone="UTC",
                created_at=T0,
                updated_at=T0,
            )
        )
    await _erase(db, MARIA, keyring)
    async with db.reading() as s:
        assert await s.scalar(select(func.count()).select_from(Erasure)) == 1


async def test_a_tombstone_from_before_a_key_rotation_still_matches(
    db: Database, keyring: Keyring
) -> None:
    await _examples(db)
    await _erase(db, MARIA, keyring)
    rotated = Database(db.url, Keyring(["new-secret-after-rotation", TEST_SECRET]))
    try:
        assert rotated.keyring.pseudonym("email", MARIA) != keyring.pseudonym("email", MARIA)
        result = await load(rotated, EXAMPLES / "leaders.csv")
        assert result.skipped_erased == ["line 3"] and MARIA not in await _emails(rotated)
        async with rotated.transaction() as s:
            assert await readmit(db=s, email=MARIA, now=T0) == 1
    finally:
        await rotated.dispose()


async def test_an_erased_coach_is_skipped_and_their_leaders_still_import(
    db: Database, keyring: Keyring
) -> None:
    await _examples(db)
    await _erase(db, ANA, keyring)
    org = await load(db, EXAMPLES / "org.yaml")
    assert len(org.skipped_erased) == 1 and org.skipped_erased[0].startswith("coaches[0]")
    assert org.created["coach"] == 0 and ANA not in await _emails(db)
    leaders = await load(db, EXAMPLES / "leaders.csv")  # two rows name Ana as their coach
    assert leaders.skipped_erased == [] and leaders.unchanged["leader"] == 16
    async with db.reading() as s:
        unassigned = await s.scalar(
            select(func.count()).select_from(Engagement).where(Engagement.coach_id.is_(None))
        )
    assert unassigned == 4  # Ana's two leaders, plus the two rows with no coach


def test_pseudonyms_cover_every_secret_newest_first() -> None:
    ring = Keyring(["new-secret", "old-secret"])
    old = Keyring(["old-secret"])
    assert ring.pseudonyms("email", "a@b.example") == [
        ring.pseudonym("email", "a@b.example"),
        old.pseudonym("email", "a@b.example"),
    ]
    assert ring.pseudonym("email", "a@b.example") != old.pseudonym("email", "a@b.example")
