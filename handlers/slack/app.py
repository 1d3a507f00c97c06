"""The Slack edge: a Bolt AsyncApp behind POST /slack/events (or Socket Mode), wired to the core."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.dispatcher import Dispatcher
from handlers.slack.listeners import register
from handlers.slack.tokens import WorkspaceTokens
from handlers.slack.turns import SlackEdge
from storage.db import Database

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


@dataclass
class Clients:
    """One Web API client per bot token, all pointed at SLACK_API_URL."""

    tokens: WorkspaceTokens
    api_url: str
    _by_token: dict[str, AsyncWebClient] = field(default_factory=dict)
    _bot_ids: dict[str, tuple[str, str]] = field(default_factory=dict)

    async def client_for(self, team_id: str) -> AsyncWebClient | None:
        """The client of a workspace, or None when it is stopped or has no token."""
        token = await self.tokens.token_for(team_id)
        if token is None:
            return None
        if token not in self._by_token:
            self._by_token[token] = AsyncWebClient(token=token, base_url=self.api_url)
        return self._by_token[token]

    async def authorize(self, enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        """Bolt's authorize: the workspace's bot token and bot ids (auth.test once per token)."""
        token = await self.tokens.token_for(team_id or "")
        if token is None:
            raise PermissionError(f"no installation for workspace {team_id}")
        if token not in self._bot_ids:
            client = await self.client_for(team_id or "")
            assert client is not None
            found = await client.auth_test()
            self._bot_ids[token] = (str(found.get("user_id", "")), str(found.get("bot_id", "")))
        user_id, bot_id = self._bot_ids[token]
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=token,
            bot_user_id=user_id,
            bot_id=bot_id,
        )

    async def stop(self, team_id: str, reason: str, now: datetime) -> None:
        """Stop a workspace and forget its clients."""
        token = await self.tokens.token_for(team_id)
        await self.tokens.stop(team_id, reason, now)
        if token is not None:
            self._by_token.pop(token, None)
            self._bot_ids.pop(token, None)


@dataclass
class Slack:
    """The Bolt app, its shared state, and the aiohttp route that feeds it."""

    app: AsyncApp
    edge: SlackEdge
    clients: Clients
    verifier: SignatureVerifier | None
    http: bool

    def add_routes(self, web_app: web.Application) -> None:
        """Serve POST /slack/events (events, commands, interactivity, options) in HTTP mode."""
        if self.http:
            web_app.router.add_post(EVENTS_PATH, self.events)

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Verify the signature (401 and nothing else when bad), then hand the request to Bolt."""
        body = await request.text()
        if self.verifier is not None and not self.verifier.is_valid(
            body=body,
            timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
            signature=request.headers.get("X-Slack-Signature", ""),
        ):
            return web.json_response({"error": "invalid signature"}, status=401)  # nothing logged
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.query_string,
            headers={k.lower(): v for k, v in request.headers.items()},
        )
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))


def build_slack(
    *,
    database: Database,
    dispatcher: Dispatcher,
    tokens: WorkspaceTokens,
    clock: Callable[[], datetime],
    signing_secret: str | None,
    api_url: str,
    verify: bool = True,
) -> Slack:
    """The Slack edge: HTTP when there is a signing secret, else Socket Mode only.

    `verify=False` (HTTP without the signature check) exists for tests only.
    """
    clients = Clients(tokens=tokens, api_url=api_url)

    async def stop(team_id: str, reason: str) -> None:
        await clients.stop(team_id, reason, clock())

    edge = SlackEdge(
        database=database,
        dispatcher=dispatcher,
        clock=clock,
        client_for=clients.client_for,
        stop_workspace=stop,
    )

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        try:
            return await clients.authorize(enterprise_id, team_id)
        except SlackApiError as error:
            raise PermissionError(error.response.get("error", "auth.test failed")) from None

    bolt_log = logging.getLogger("slack_bolt.coach")
    bolt_log.setLevel(logging.ERROR)  # Bolt's warnings quote request bodies: keep them out
    app = AsyncApp(
        signing_secret=signing_secret or "unused-in-tests",
        authorize=authorize,
        client=AsyncWebClient(base_url=api_url),
        process_before_response=True,
        request_verification_enabled=verify and signing_secret is not None,
        logger=bolt_log,
    )
    register(app, edge)
    verifier = SignatureVerifier(signing_secret) if verify and signing_secret else None
    http = signing_secret is not None
    return Slack(app=app, edge=edge, clients=clients, verifier=verifier, http=http)


def socket_mode_handler(slack: Slack, app_token: str) -> Any:
    """A Socket Mode connection for the app (no public URL needed)."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

    return AsyncSocketModeHandler(slack.app, app_token)
