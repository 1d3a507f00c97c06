"""At start: the bot token works, and its workspace belongs to an organisation."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.settings import Settings
from handlers.slack.app import Slack, socket_mode_handler
from storage.db import Database
from storage.models import Organisation, SlackWorkspace

log = logging.getLogger(__name__)


class SlackStartError(Exception):
    """The configured token or API URL does not work: what to fix, in one sentence."""


async def check_token(token: str, api_url: str) -> tuple[str, str]:
    """auth.test with the bot token: (team id, team name), or SlackStartError saying why."""
    client = AsyncWebClient(token=token, base_url=api_url, timeout=15)
    try:
        found = await client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error", f"HTTP {error.response.status_code}")
        raise SlackStartError(
            f"Slack refused SLACK_BOT_TOKEN ({code}): check the token, or reinstall the app"
        ) from None
    except (SlackClientError, OSError, TimeoutError) as error:
        raise SlackStartError(
            f"cannot reach the Slack Web API at {api_url} ({type(error).__name__}): "
            "check SLACK_API_URL and the network"
        ) from None
    return str(found.get("team_id") or ""), str(found.get("team") or "")


async def link_workspace(database: Database, team_id: str, name: str) -> str:
    """Attach the token's workspace to the only organisation if it has none; what was done."""
    async with database.transaction() as db:
        if await db.scalar(select(SlackWorkspace.id).where(SlackWorkspace.team_id == team_id)):
            return f"Slack workspace {team_id} is connected"
        orgs = list(await db.scalars(select(Organisation).limit(2)))
        if len(orgs) != 1:
            return (
                f"Slack workspace {team_id} belongs to no organisation yet: add "
                f"slack_workspaces: [{{team_id: {team_id}}}] to org.yaml and import it"
            )
        db.add(SlackWorkspace(organisation_id=orgs[0].id, team_id=team_id, name=name))
    return f"Slack workspace {team_id} ({name}) linked to organisation {orgs[0].slug}"


async def slack_ready(database: Database, settings: Settings) -> str:
    """The bot token works (auth.test) and its workspace has an organisation; what was found."""
    token = settings.slack_bot_token
    if token is None:
        return "Slack: no bot token (installations come through OAuth)"
    team_id, name = await check_token(token.get_secret_value(), settings.slack_api_url)
    return await link_workspace(database, team_id, name)


async def start_socket_mode(slack: Slack, settings: Settings) -> Any:
    """Connect to Slack over Socket Mode when SLACK_APP_TOKEN is set (no public URL needed)."""
    token = settings.slack_app_token
    if token is None:
        return None
    handler = socket_mode_handler(slack, token.get_secret_value())
    await handler.connect_async()
    log.info("connected to Slack over Socket Mode")
    return handler
