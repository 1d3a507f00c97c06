"""Who is talking: linked by the profile's email once, by AAD object id after; strangers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from storage.db import Database
from storage.models import PlatformIdentity
from tests.handlers.teams.issuer import TENANT_ID
from tests.handlers.teams.teams_env import enrolled_world, teams_env


async def test_linked_by_email_first_then_by_aad_object_id(db: Database, tmp_path: Path) -> None:
    async with teams_env(db, tmp_path) as env:
        w = await enrolled_world(env)
        leader = env.user("leader", email=w.leader.email.upper(), name=w.leader.name)
        await env.say(leader, "help")
        assert len(env.fake.requests("member")) == 1  # the email, from the chat's roster
        async with env.rt.database.reading() as s:
            [ident] = list(await s.scalars(select(PlatformIdentity)))
        assert (ident.person_id, ident.platform) == (w.leader.id, "teams")
        assert (ident.external_id, ident.tenant_key) == (leader.aad, TENANT_ID)
        ref = ident.conversation_ref or {}
        assert ref["serviceUrl"] == env.fake.service_url and ref["channelId"] == "msteams"
        assert ref["conversation"]["id"] == leader.conversation
        assert ref["user"]["id"] == leader.id and ref["bot"]["id"].startswith("28:")

        env.fake.members[leader.id].email = ""  # the profile no longer says: the AAD id does
        await env.say(leader, "pause")
        assert len(env.fake.requests("member")) == 1
        assert "paused" in env.texts(leader)[-1]
        assert await env.count(PlatformIdentity) == 1


async def test_someone_on_no_roster_gets_a_polite_answer_and_nothing_is_kept(
    db: Database, tmp_path: Path
) -> None:
    async with teams_env(db, tmp_path) as env:
        await enrolled_world(env)
        stranger = env.user("stranger", email="stranger@elsewhere.example", name="Stranger")
        await env.say(stranger, "book")
        [reply] = env.received(stranger)
        assert "not enrolled" in reply["text"]
        assert await env.footprint() == (0, 0, 0)
        await env.say(stranger, "help")  # asked again soon: the roster miss is remembered
        assert len(env.fake.requests("member")) == 1
        assert len(env.received(stranger)) == 2
        assert await env.footprint() == (0, 0, 0)
