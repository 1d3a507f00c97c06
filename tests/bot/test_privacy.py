"""Privacy export and erase on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.privacy import UnknownPerson, erase, export
from storage.crypto import Keyring
from storage.db import Database
from storage.models import AuditEntry, Engagement, Goal, NudgeSettings, Person, Reflection
from tests.factories import T0, add_goal, make_world


async def _with_reflection(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        s.add(
            Reflection(
                leader_id=w.leader.id,
                engagement_id=w.engagement.id,
                prompt_id="p1",
                answer="I avoided a hard conversation",
                answered_at=T0,
                created_at=T0,
            )
        )
        add_goal(s, w, "Hold hard conversations", {"0": "one a month"})


async def test_export_holds_decrypted_words(db: Database) -> None:
    await _with_reflection(db)
    async with db.reading() as s:
        data = await export(db=s, email=" Leader@Example.com ", now=T0)
    [person] = data["people"]
    assert person["profile"]["timezone"] == "America/New_York"
    assert person["reflections"][0]["answer"] == "I avoided a hard conversation"
    assert person["goals"][0]["title"] == "Hold hard conversations"


async def test_erase_removes_person_and_their_words(db: Database, keyring: Keyring) -> None:
    await _with_reflection(db)
    async with db.transaction() as s:
        assert await erase(db=s, email="leader@example.com", now=T0, keyring=keyring) == 1
    async with db.reading() as s:
        assert await s.scalar(select(func.count()).select_from(Reflection)) == 0
        assert await s.scalar(select(func.count()).select_from(Goal)) == 0
        assert await s.scalar(select(func.count()).select_from(Engagement)) == 0
        assert await s.scalar(select(func.count()).select_from(Person)) == 1  # the coach stays
        entry = await s.scalar(select(AuditEntry))
    assert entry is not None and entry.action == "privacy.erase"
    assert "leader@example.com" not in str(entry.detail) and "@" not in entry.subject_id


async def test_unknown_email_changes_nothing(db: Database, keyring: Keyring) -> None:
    await _with_reflection(db)
    with pytest.raises(UnknownPerson, match=r"nobody@example\.com"):
        async with db.transaction() as s:
            await erase(db=s, email="nobody@example.com", now=T0, keyring=keyring)
    async with db.reading() as s:
        assert await s.scalar(select(func.count()).select_from(Person)) == 2


async def test_export_names_things_and_includes_the_coach_profile(db: Database) -> None:
    await _with_reflection(db)
    async with db.reading() as s:
        leader = await export(db=s, email="leader@example.com", now=T0)
        coach = await export(db=s, email="coach@example.com", now=T0)
    [engagement] = leader["people"][0]["engagements"]
    assert engagement["programme"] == "Leadership Programme" and engagement["coach"] == "Ana Ruiz"
    profile = coach["people"][0]["coach_profile"]
    assert profile["accreditation"] == "ICF PCC"
    assert profile["availability"] == [{"day": "tue", "from": "09:00", "to": "12:00"}]
    assert profile["clients_ever"] == 1
    assert coach["people"][0]["profile"]["working_days"] == ["mon", "tue", "wed", "thu", "fri"]


async def test_export_includes_the_leaders_nudge_settings(db: Database) -> None:
    await _with_reflection(db)
    async with db.transaction() as s:
        leader = await s.scalar(select(Person).where(Person.email == "leader@example.com"))
        assert leader is not None
        s.add(
            NudgeSettings(
                person_id=leader.id, share_default="coach", quiet_hours_ok=True, updated_at=T0
            )
        )
    async with db.reading() as s:
        data = await export(db=s, email="leader@example.com", now=T0)
    settings = data["people"][0]["nudge_settings"]
    assert settings["share_default"] == "coach" and settings["quiet_hours_ok"] is True
