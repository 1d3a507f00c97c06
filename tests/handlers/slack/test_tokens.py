"""Workspace tokens on both databases: encrypted at rest, cached briefly, stopped and resumed."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr
from sqlalchemy import select, text, update

from handlers.slack.tokens import WorkspaceTokens
from storage.crypto import Keyring
from storage.db import Database
from storage.models import Organisation, SlackInstallation, SlackWorkspace
from tests.factories import T0

TOKEN = "xoxb-1234-secret-bot-token"


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_installation_token_is_encrypted_at_rest(db: Database, keyring: Keyring) -> None:
    tokens = WorkspaceTokens(db, default_token=None)
    await tokens.save_installation(
        team_id="T1", bot_token=TOKEN, now=T0, team_name="One", bot_scopes="chat:write"
    )
    async with db.reading() as s:
        raw = await s.scalar(text("SELECT bot_token FROM slack_installations"))
    assert isinstance(raw, str) and TOKEN not in raw and keyring.decrypt(raw) == TOKEN
    await tokens.save_installation(team_id="T1", bot_token=TOKEN + "-2", now=T0 + timedelta(1))
    async with db.reading() as s:
        raw = await s.scalar(text("SELECT bot_token FROM slack_installations"))
        install = await s.scalar(select(SlackInstallation))
    assert isinstance(raw, str) and TOKEN not in raw and keyring.decrypt(raw) == TOKEN + "-2"
    assert (
        install is not None and install.team_name == "" and install.updated_at == T0 + timedelta(1)
    )
    assert await WorkspaceTokens(db, default_token=None).token_for("T1") == TOKEN + "-2"


async def test_tokens_are_cached_briefly_and_a_stop_invalidates_them(db: Database) -> None:
    async with db.transaction() as s:
        org = Organisation(slug="acme", name="Acme", created_at=T0)
        s.add(org)
        await s.flush()
        s.add(SlackWorkspace(organisation_id=org.id, team_id="T1"))
    ticks = Ticks()
    tokens = WorkspaceTokens(db, default_token=SecretStr("xoxb-default"), ttl=60, monotonic=ticks)
    assert await tokens.token_for("T1") == "xoxb-default"
    await tokens.save_installation(team_id="T1", bot_token=TOKEN, now=T0)
    assert await tokens.token_for("T1") == TOKEN  # saving invalidates the cache
    async with db.transaction() as s:  # another process stopped it
        await s.execute(update(SlackWorkspace).values(stopped_at=T0, stopped_reason="uninstalled"))
    assert await tokens.token_for("T1") == TOKEN  # still cached
    ticks.now = 61
    assert (await tokens.lookup("T1")).stopped == "uninstalled"
    await tokens.resume("T1")
    assert await tokens.token_for("T1") == TOKEN
    await tokens.stop("T1", "token_revoked", T0)
    assert await tokens.token_for("T1") is None
    async with db.reading() as s:
        workspace = await s.scalar(select(SlackWorkspace))
        install = await s.scalar(select(SlackInstallation))
    assert workspace is not None and workspace.stopped_reason == "token_revoked"
    assert install is not None and install.bot_token is None
    # A resume without a reinstall has no token: never another workspace's default token.
    fresh = WorkspaceTokens(db, default_token=SecretStr("xoxb-default"))
    await fresh.resume("T1")
    found = await fresh.lookup("T1")
    assert found.token is None and found.stopped == "no bot token: install the app again"


async def test_no_token_at_all(db: Database) -> None:
    found = await WorkspaceTokens(db, default_token=None).lookup("T1")
    assert found.token is None and found.stopped == "no bot token for this workspace"
