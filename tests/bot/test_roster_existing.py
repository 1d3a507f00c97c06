"""Loading what an import checks against: identity look-ups in chunks (parameter limits)."""

from __future__ import annotations

import pytest

from bot.roster import existing
from storage.db import Database
from storage.models import PlatformIdentity
from tests.factories import T0, make_world


async def test_identity_lookup_is_chunked_and_complete(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        for person, uid in ((w.leader, "U_LEADER"), (w.coach, "U_COACH")):
            s.add(
                PlatformIdentity(
                    person_id=person.id,
                    platform="slack",
                    tenant_key="T1",
                    external_id=uid,
                    created_at=T0,
                )
            )
    monkeypatch.setattr(existing, "ID_CHUNK", 3)
    wanted = {f"U_OTHER_{i}" for i in range(7)} | {"U_LEADER", "U_COACH"}
    async with db.reading() as s:
        out = await existing.load_existing(db=s, slug=None, external_ids=wanted)
    assert out.identity_owner == {
        ("slack", "T1", "U_LEADER"): w.leader.id,
        ("slack", "T1", "U_COACH"): w.coach.id,
    }


async def test_more_ids_than_postgresql_accepts_in_one_statement(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    wanted = {f"U{i:06d}" for i in range(66_000)}  # over PostgreSQL's 65,535 parameters
    async with db.reading() as s:
        out = await existing.load_existing(db=s, slug=None, external_ids=wanted)
    assert out.identity_owner == {}
