"""At start the bot token is tried (auth.test) and its workspace is linked to the organisation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers.slack.startup import SlackStartError, check_token, link_workspace
from storage.db import Database
from storage.models import Organisation, SlackWorkspace
from tests.factories import T0, make_world
from tests.handlers.slack.mock_slack import DEFAULT_TEAM, DEFAULT_TOKEN, mock_slack


async def test_a_working_token_names_its_workspace_and_a_bad_one_says_what_to_fix() -> None:
    async with mock_slack() as mock:
        assert await check_token(DEFAULT_TOKEN, mock.api_url) == (DEFAULT_TEAM, DEFAULT_TEAM)
        with pytest.raises(SlackStartError, match=r"refused SLACK_BOT_TOKEN \(invalid_auth\)"):
            await check_token("xoxb-revoked", mock.api_url)
    with pytest.raises(SlackStartError, match="cannot reach the Slack Web API"):
        await check_token(DEFAULT_TOKEN, "http://127.0.0.1:9/api/")


async def test_the_workspace_is_linked_to_the_only_organisation_once(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
    said = await link_workspace(db, "T0001", "Acme")
    assert said == "Slack workspace T0001 (Acme) linked to organisation acme"
    assert await link_workspace(db, "T0001", "Acme") == "Slack workspace T0001 is connected"
    async with db.reading() as s:
        assert list(await s.scalars(select(SlackWorkspace.team_id))) == ["T0001"]


async def test_with_several_organisations_the_operator_is_told_what_to_add(db: Database) -> None:
    async with db.transaction() as s:
        await make_world(s)
        s.add(Organisation(slug="other", name="Other", created_at=T0))
    said = await link_workspace(db, "T0009", "Nine")
    assert "add slack_workspaces: [{team_id: T0009}] to org.yaml" in said
    async with db.reading() as s:
        assert list(await s.scalars(select(SlackWorkspace.team_id))) == []
