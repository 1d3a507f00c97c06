"""Multi-workspace install: GET /slack/install and GET /slack/oauth_redirect (Slack OAuth v2).

The `state` is stateless and signed: `<expires>.<nonce>.<hmac>`, the HMAC keyed from SECRET_KEY
(any key on the ring verifies it), valid for 10 minutes. The install page also sets it as an
HttpOnly, Secure, SameSite=Lax cookie; the redirect needs the cookie and the query to match
(the browser that started is the one that finishes), the signature to hold and the time to be
unexpired. Codes, tokens and the client secret are never logged.
"""

from __future__ import annotations

import hmac
import html
import logging
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import yaml
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.settings import Settings
from handlers.slack.tokens import WorkspaceTokens
from prompts import copy_for
from storage.crypto import Keyring
from storage.models import Organisation, SlackWorkspace

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
COOKIE = "slack_oauth_state"
STATE_TTL = timedelta(minutes=10)
STATE_KIND = "slack-oauth-state"
MANIFEST = Path(__file__).resolve().parents[2] / "slack" / "manifest.yaml"


@cache
def bot_scopes(path: Path = MANIFEST) -> tuple[str, ...]:
    """The bot scopes the app asks for: `oauth_config.scopes.bot` of slack/manifest.yaml."""
    manifest: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(str(s) for s in manifest["oauth_config"]["scopes"]["bot"])


def make_state(keyring: Keyring, now: datetime) -> str:
    """A fresh signed state that expires STATE_TTL after `now`."""
    body = f"{int((now + STATE_TTL).timestamp())}.{secrets.token_urlsafe(16)}"
    return f"{body}.{keyring.pseudonym(STATE_KIND, body)}"


def state_ok(keyring: Keyring, state: str, cookie: str, now: datetime) -> bool:
    """True when `state` equals the cookie, carries our signature and has not expired."""
    if not state or not hmac.compare_digest(state.encode(), cookie.encode()):
        return False
    body, _, signature = state.rpartition(".")
    expires, _, nonce = body.partition(".")
    if not (expires.isdigit() and nonce and signature):
        return False
    mine = keyring.pseudonyms(STATE_KIND, body)
    signed = any(hmac.compare_digest(signature.encode(), m.encode()) for m in mine)
    return signed and now.timestamp() < int(expires)


def page(heading: str, *paragraphs: str, link: tuple[str, str] | None = None) -> str:
    """A small HTML page: escaped text (`code` spans kept), and an optional link button."""
    words = copy_for("en")
    parts = [f"<p>{_inline(p)}</p>" for p in paragraphs]
    if link is not None:
        href, label = (html.escape(part) for part in link)
        parts.append(f'<p><a class="button" href="{href}">{label}</a></p>')
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(words('slack_install.page_title'))}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;"
        "padding:0 1rem;line-height:1.5}.button{display:inline-block;padding:.6rem 1.2rem;"
        "background:#4a154b;color:#fff;border-radius:6px;text-decoration:none}</style>"
        f"</head><body><h1>{html.escape(heading)}</h1>{''.join(parts)}</body></html>"
    )


def _inline(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


class SlackOAuth:
    """The two install routes, with what they need: settings, token store, clock."""

    def __init__(
        self, settings: Settings, tokens: WorkspaceTokens, clock: Callable[[], datetime]
    ) -> None:
        secret = settings.slack_client_secret
        assert settings.slack_client_id and secret is not None, "OAuth is not configured"
        self.client_id = settings.slack_client_id
        self._client_secret = secret.get_secret_value()
        self.authorize_url = settings.slack_oauth_url
        self.redirect_url = settings.slack_redirect_url
        self.api_url = settings.slack_api_url
        self.tokens = tokens
        self.keyring = tokens.database.keyring
        self.clock = clock
        self.words = copy_for("en")

    def authorize_link(self, state: str) -> str:
        """Slack's authorize URL with our client id, bot scopes, state (and redirect URL)."""
        query = {"client_id": self.client_id, "scope": ",".join(bot_scopes()), "state": state}
        if self.redirect_url:
            query["redirect_uri"] = self.redirect_url
        return f"{self.authorize_url}?{urlencode(query)}"

    async def install(self, request: web.Request) -> web.Response:
        """The install page: an "Add to Slack" link, and the state cookie it must come back with."""
        state = make_state(self.keyring, self.clock())
        w = self.words
        body = page(
            w("slack_install.page_title"),
            w("slack_install.install_intro"),
            link=(self.authorize_link(state), w("slack_install.install_button")),
        )
        response = self._html(body, 200)
        response.headers["Cache-Control"] = "no-store"
        response.set_cookie(
            COOKIE,
            state,
            max_age=int(STATE_TTL.total_seconds()),
            path="/slack/",
            httponly=True,
            secure=True,
            samesite="Lax",
        )
        return response

    async def redirect(self, request: web.Request) -> web.Response:
        """Slack sends the installer back here: check state, exchange the code, store the token."""
        query = request.query
        if query.get("error"):
            return self._problem("slack_install.cancelled", 400)
        cookie = request.cookies.get(COOKIE, "")
        if not state_ok(self.keyring, query.get("state", ""), cookie, self.clock()):
            log.warning("slack: install refused: missing, mismatched or expired state")
            return self._problem("slack_install.bad_state", 403)
        code = query.get("code", "")
        if not code:
            return self._problem("slack_install.no_code", 400)
        try:
            answer = await self._exchange(code)
        except SlackApiError as error:
            reason = str(error.response.get("error", "unknown"))[:60]
            log.warning("slack: oauth.v2.access failed: %s", reason)
            return self._problem("slack_install.failed", 400, error=reason)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("slack: oauth.v2.access unreachable: %s", type(error).__name__)
            return self._problem("slack_install.unreachable", 502)
        team = answer.get("team") or {}
        token = str(answer.get("access_token") or "")
        if not team.get("id") or not token.startswith("xoxb-"):
            return self._problem("slack_install.unsupported", 400)
        return await self._store(answer, team, token)

    async def _exchange(self, code: str) -> dict[str, Any]:
        client = AsyncWebClient(base_url=self.api_url, logger=_quiet_sdk_log())
        response = await client.oauth_v2_access(
            client_id=self.client_id,
            client_secret=self._client_secret,
            code=code,
            redirect_uri=self.redirect_url,
        )
        return dict(response.data) if isinstance(response.data, dict) else {}

    async def _store(
        self, answer: dict[str, Any], team: dict[str, Any], token: str
    ) -> web.Response:
        team_id, team_name = str(team["id"]), str(team.get("name") or team["id"])[:200]
        enterprise = answer.get("enterprise") or {}
        await self.tokens.save_installation(
            team_id=team_id,
            bot_token=token,
            now=self.clock(),
            team_name=team_name,
            enterprise_id=enterprise.get("id") or None,
            bot_user_id=str(answer.get("bot_user_id") or ""),
            bot_scopes=str(answer.get("scope") or ""),
            installed_by_user_id=str((answer.get("authed_user") or {}).get("id") or ""),
        )
        log.info("slack: installed in workspace %s", team_id)
        w = self.words
        if await self._link_workspace(team_id, team_name):
            body = page(
                w("slack_install.page_title"),
                w("slack_install.installed", team=team_name),
                w("slack_install.installed_next"),
            )
        else:
            body = page(
                w("slack_install.page_title"),
                w("slack_install.needs_roster", team=team_name),
                w("slack_install.needs_roster_fix", team_id=team_id),
            )
        response = self._html(body, 200)
        response.del_cookie(COOKIE, path="/slack/")
        return response

    async def _link_workspace(self, team_id: str, team_name: str) -> bool:
        """True when the workspace belongs to an organisation (now, or from org.yaml before)."""
        try:
            async with self.tokens.database.transaction() as db:
                found = await db.scalar(
                    select(SlackWorkspace.id).where(SlackWorkspace.team_id == team_id)
                )
                if found is not None:
                    return True
                orgs = list(await db.scalars(select(Organisation.id).limit(2)))
                if len(orgs) != 1:
                    return False
                db.add(SlackWorkspace(organisation_id=orgs[0], team_id=team_id, name=team_name))
        except IntegrityError:  # the same workspace installed twice at once: the other won
            return True
        return True

    def _problem(self, key: str, status: int, **values: object) -> web.Response:
        w = self.words
        body = page(
            w("slack_install.page_title"),
            w(key, **values),
            link=(INSTALL_PATH, w("slack_install.start_again")),
        )
        response = self._html(body, status)
        response.del_cookie(COOKIE, path="/slack/")
        return response

    @staticmethod
    def _html(body: str, status: int) -> web.Response:
        response = web.Response(text=body, status=status, content_type="text/html")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


@cache
def _quiet_sdk_log() -> logging.Logger:
    """slack_sdk's debug lines quote request bodies (the code): keep them out of the logs."""
    quiet = logging.getLogger("slack_sdk.coach.oauth")
    quiet.setLevel(logging.WARNING)
    return quiet


def add_oauth_routes(
    app: web.Application,
    settings: Settings,
    tokens: WorkspaceTokens,
    clock: Callable[[], datetime],
) -> None:
    """Serve /slack/install and /slack/oauth_redirect when SLACK_CLIENT_ID/SECRET are set."""
    if not settings.slack_oauth_enabled:
        return
    oauth = SlackOAuth(settings, tokens, clock)
    app.router.add_get(INSTALL_PATH, oauth.install)
    app.router.add_get(REDIRECT_PATH, oauth.redirect)
