"""The Slack stand-in answers the real slack_sdk client as Slack would (429, errors, directory)."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.handlers.slack.mock_slack import DEFAULT_TOKEN, Fault, SlackUser, mock_slack


async def test_the_real_client_talks_to_the_stand_in() -> None:
    async with mock_slack() as mock:
        mock.add_user(SlackUser(id="U1", email="ana@example.com"))
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=mock.api_url)
        assert (await client.auth_test())["team_id"] == "T0001"
        info = await client.users_info(user="U1")
        assert info["user"]["profile"]["email"] == "ana@example.com"
        found = await client.users_lookupByEmail(email="ANA@example.com")
        assert found["user"]["id"] == "U1"
        posted = await client.chat_postMessage(channel="DU1", text="hi", blocks=[])
        assert posted["ts"] and mock.called("chat.postMessage")[0].args["text"] == "hi"
        with pytest.raises(SlackApiError) as missing:
            await client.users_lookupByEmail(email="nobody@example.com")
        assert missing.value.response["error"] == "users_not_found"


async def test_scripted_rate_limit_then_success() -> None:
    async with mock_slack() as mock:
        mock.fail("chat.postMessage", Fault(status=429, retry_after=2))
        client = AsyncWebClient(token=DEFAULT_TOKEN, base_url=mock.api_url)
        with pytest.raises(SlackApiError) as limited:
            await client.chat_postMessage(channel="D1", text="x")
        assert limited.value.response.status_code == 429
        assert limited.value.response.headers["Retry-After"] == "2"
        assert (await client.chat_postMessage(channel="D1", text="x"))["ok"]


async def test_an_unknown_token_is_invalid_auth() -> None:
    async with mock_slack() as mock:
        client = AsyncWebClient(token="xoxb-wrong", base_url=mock.api_url)
        with pytest.raises(SlackApiError) as bad:
            await client.auth_test()
        assert bad.value.response["error"] == "invalid_auth"
