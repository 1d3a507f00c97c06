"""Column types on both databases: aware UTC datetimes, encryption at rest, key rotation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from storage.crypto import InvalidToken, Keyring
from storage.db import Database
from storage.models import Goal, OutboxMessage
from tests.factories import T0, add_goal, make_world


async def test_datetimes_come_back_aware_utc(db: Database) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    local_noon = datetime(2026, 3, 29, 12, 0, tzinfo=ist)
    async with db.transaction() as s:
        w = await make_world(s)
        w.leader.updated_at = local_noon
    async with db.reading() as s:
        got = await s.scalar(
            select(w.leader.__class__.updated_at).where(w.leader.__class__.id == w.leader.id)
        )
    assert got == local_noon
    assert got is not None and got.tzinfo == UTC and got.hour == 6 and got.minute == 30


async def test_naive_datetime_is_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with db.transaction() as s:
            w = await make_world(s)
            w.leader.updated_at = datetime(2026, 1, 1, 12, 0)
            await s.flush()


async def test_confidential_text_is_encrypted_at_rest(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        add_goal(
            s, w, "Delegate the quarterly budget to my deputy", {"0": "I delegate one budget line"}
        )
    async with db.reading() as s:
        raw = (await s.execute(text("SELECT title, levels FROM goals"))).one()
        goal = await s.scalar(select(Goal))
    assert "budget" not in raw[0] and "budget" not in raw[1]
    assert goal is not None and goal.title.startswith("Delegate")
    assert goal.levels == {"0": "I delegate one budget line"}


async def test_key_rotation_keeps_old_rows_readable(db: Database, tmp_path: object) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        s.add(
            OutboxMessage(
                person_id=w.leader.id,
                channel="web",
                bucket="web",
                payload={"text": "private words"},
                next_attempt_at=T0,
                created_at=T0,
            )
        )
    rotated = Database(db.url, Keyring(["new-secret", "test-secret-not-for-production"]))
    try:
        async with rotated.reading() as s:
            row = await s.scalar(select(OutboxMessage))
        assert row is not None and row.payload == {"text": "private words"}
    finally:
        await rotated.dispose()
    wrong = Database(db.url, Keyring(["some-other-secret"]))
    try:
        with pytest.raises(InvalidToken):
            async with wrong.reading() as s:
                await s.scalar(select(OutboxMessage))
    finally:
        await wrong.dispose()


def test_keyring_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret key"):
        Keyring([" ", ""])
    ring = Keyring.from_setting("b,a")
    assert ring.decrypt(Keyring(["a"]).encrypt("x")) == "x"
    rotated = ring.rotate(Keyring(["a"]).encrypt("x"))
    assert Keyring(["b"]).decrypt(rotated) == "x"
    with pytest.raises(InvalidToken):
        Keyring(["a"]).decrypt(rotated)
    assert ring.pseudonym("person", 1) == Keyring(["b"]).pseudonym("person", 1)
    assert ring.pseudonym("person", 1) != ring.pseudonym("person", 2)
    prepared = ring.pseudonymizer("person")  # the bulk form gives the same pseudonyms
    assert [prepared(i) for i in (1, 2, "3:4", "é")] == [
        ring.pseudonym("person", i) for i in (1, 2, "3:4", "é")
    ]


async def test_rotate_keys_reencrypts_under_the_new_secret(db: Database) -> None:
    from storage.rotate import rotate_keys

    async with db.transaction() as s:
        w = await make_world(s)
        add_goal(s, w, "Speak up in the exec meeting", {"1": "twice a month"})
    both = Database(db.url, Keyring(["brand-new-secret", "test-secret-not-for-production"]))
    try:
        assert await rotate_keys(both) == 2
    finally:
        await both.dispose()
    only_new = Database(db.url, Keyring(["brand-new-secret"]))
    try:
        async with only_new.reading() as s:
            goal = await s.scalar(select(Goal))
        assert goal is not None and goal.title == "Speak up in the exec meeting"
        assert goal.levels == {"1": "twice a month"}
    finally:
        await only_new.dispose()
