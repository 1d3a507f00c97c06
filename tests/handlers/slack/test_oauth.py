"""The OAuth install on the real app: signed state in a cookie, the code exchanged, token stored."""

from __future__ import annotations

import logging
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import func, select, text

from bot.settings import Settings
from handlers.slack.oauth import COOKIE, bot_scopes, make_state
from storage.crypto import Keyring
from storage.db import Database
from storage.models import Organisation, SlackInstallation, SlackWorkspace
from tests.factories import T0, make_world
from tests.handlers.slack.mock_slack import Grant, SlackUser
from tests.handlers.slack.slack_env import SlackEnv, slack_env

CLIENT_ID, CLIENT_SECRET = "111.222", "oauth-client-secret-value"
REDIRECT = "https://coach.example.com/slack/oauth_redirect"
CODE, TEAM = "code-from-slack-123", "T0NEW"
OAUTH = {
    "slack_client_id": CLIENT_ID,
    "slack_client_secret": SecretStr(CLIENT_SECRET),
    "slack_redirect_url": REDIRECT,
    "slack_bot_token": None,  # every token comes from an installation
}


async def start(env: SlackEnv) -> tuple[str, dict[str, list[str]], Any]:
    """GET /slack/install: the state cookie, the authorize link's query, and the cookie morsel."""
    env.mock.oauth_client = (CLIENT_ID, CLIENT_SECRET)
    response = await env.client.get("/slack/install")
    assert response.status == 200
    cookies: SimpleCookie = SimpleCookie()
    cookies.load(response.headers["Set-Cookie"])
    morsel = cookies[COOKIE]
    page = await response.text()
    href = page.split('class="button" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    return morsel.value, parse_qs(urlsplit(href).query), morsel


async def finish(env: SlackEnv, state: str | None, cookie: str | None, **query: str) -> Any:
    """Slack sends the browser back to /slack/oauth_redirect with the code and state."""
    params = {"code": CODE, **query} | ({"state": state} if state is not None else {})
    headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie is not None else {}
    return await env.client.get("/slack/oauth_redirect", params=params, headers=headers)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Everything logged, but the test server's access log (`serve` runs with access_log=None)."""
    return "\n".join(
        f"{r.getMessage()} {r.args}" for r in caplog.records if r.name != "aiohttp.access"
    )


async def stored(db: Database) -> tuple[int, int]:
    """Installations and workspace rows."""
    async with db.reading() as s:
        installs = await s.scalar(select(func.count()).select_from(SlackInstallation))
        workspaces = await s.scalar(select(func.count()).select_from(SlackWorkspace))
    return installs or 0, workspaces or 0


async def test_the_install_page_links_to_slack_with_state_and_the_manifest_scopes(
    db: Database,
) -> None:
    async with slack_env(db, **OAUTH) as env:
        state, query, morsel = await start(env)
        assert query["client_id"] == [CLIENT_ID] and query["state"] == [state]
        assert query["scope"] == [",".join(bot_scopes())] and "users:read.email" in bot_scopes()
        assert query["redirect_uri"] == [REDIRECT]
        assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Lax"
        assert morsel["max-age"] == "600" and morsel["path"] == "/slack/"
        assert CLIENT_SECRET not in str(query)


async def test_a_good_install_stores_the_token_encrypted_and_the_team_then_works(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with slack_env(db, **OAUTH) as env:
        async with db.transaction() as s:
            leader_email = (await make_world(s)).leader.email
        env.mock.grant(CODE, Grant(team=TEAM, team_name="Acme <Ops>", installer="UADMIN"))
        state, _, _ = await start(env)
        response = await finish(env, state, state)
        page = await response.text()
        assert response.status == 200 and "Acme &lt;Ops&gt;" in page and "/coach help" in page
        (exchange,) = env.mock.called("oauth.v2.access")
        assert exchange.args["code"] == CODE and exchange.args["redirect_uri"] == REDIRECT
        token = next(t for t, team in env.mock.tokens.items() if team == TEAM)
        async with env.rt.database.reading() as s:  # the app's own key decrypts
            install = await s.scalar(select(SlackInstallation))
            raw = await s.scalar(text("SELECT bot_token FROM slack_installations"))
            workspace = await s.scalar(select(SlackWorkspace))
        assert install is not None and install.bot_token == token and token not in str(raw)
        assert (install.team_id, install.team_name, install.installed_by_user_id) == (
            TEAM,
            "Acme <Ops>",
            "UADMIN",
        )
        assert install.bot_user_id == f"UBOT{TEAM}" and install.bot_scopes
        assert workspace is not None and workspace.team_id == TEAM
        text_logged = logged(caplog)
        assert CODE not in text_logged and token not in text_logged
        assert CLIENT_SECRET not in text_logged

        env.mock.add_user(SlackUser(id="UNEWLEADER", email=leader_email, team=TEAM))
        answered = await env.command("UNEWLEADER", "help", team_id=TEAM)
        assert answered.status == 200
        await env.settle()
        posts = env.mock.succeeded("chat.postMessage", team=TEAM)
        assert posts and all(c.token == token for c in posts)


@pytest.mark.parametrize(
    "case", ["no cookie", "no state", "other cookie", "tampered", "expired", "other secret"]
)
async def test_a_bad_state_is_refused_and_nothing_is_stored(db: Database, case: str) -> None:
    async with slack_env(db, **OAUTH) as env:
        env.mock.grant(CODE, Grant(team=TEAM))
        state, _, _ = await start(env)
        keyring = env.rt.database.keyring
        query_state: str | None = state
        cookie: str | None = state
        if case == "no cookie":
            cookie = None
        elif case == "no state":
            query_state = None
        elif case == "other cookie":
            cookie = make_state(keyring, env.rt.clock.now())
        elif case == "tampered":
            body, _, signature = state.rpartition(".")
            expires, _, nonce = body.partition(".")
            query_state = cookie = f"{int(expires) + 3600}.{nonce}.{signature}"
        elif case == "expired":
            old = env.rt.clock.now() - timedelta(minutes=10, seconds=1)
            query_state = cookie = make_state(keyring, old)
        else:
            query_state = cookie = make_state(Keyring(["another-secret-" * 3]), T0)
        response = await finish(env, query_state, cookie)
        assert response.status == 403
        assert "nothing was installed" in (await response.text())
        assert env.mock.called("oauth.v2.access") == [] and await stored(db) == (0, 0)


async def test_access_denied_is_a_clear_400_and_nothing_is_stored(db: Database) -> None:
    async with slack_env(db, **OAUTH) as env:
        state, _, _ = await start(env)
        response = await env.client.get(
            "/slack/oauth_redirect",
            params={"error": "access_denied", "state": state},
            headers={"Cookie": f"{COOKIE}={state}"},
        )
        assert response.status == 400 and "cancelled" in (await response.text())
        assert env.mock.called("oauth.v2.access") == [] and await stored(db) == (0, 0)


@pytest.mark.parametrize("secret", [CLIENT_SECRET, "a-wrong-secret"])
async def test_a_refused_exchange_is_a_clear_400_and_nothing_is_stored(
    db: Database, caplog: pytest.LogCaptureFixture, secret: str
) -> None:
    caplog.set_level(logging.DEBUG)
    async with slack_env(db, **(OAUTH | {"slack_client_secret": SecretStr(secret)})) as env:
        state, _, _ = await start(env)  # no grant for CODE, or the wrong client secret
        response = await finish(env, state, state)
        assert response.status == 400
        error = "invalid_code" if secret == CLIENT_SECRET else "bad_client_secret"
        assert error in (await response.text())
        assert len(env.mock.called("oauth.v2.access")) == 1 and await stored(db) == (0, 0)
        assert CODE not in logged(caplog) and secret not in logged(caplog)


async def test_with_several_organisations_the_operator_is_told_to_name_the_workspace(
    db: Database,
) -> None:
    async with slack_env(db, **OAUTH) as env:
        async with db.transaction() as s:
            await make_world(s)
            s.add(Organisation(slug="other", name="Other", created_at=T0))
        env.mock.grant(CODE, Grant(team=TEAM))
        state, _, _ = await start(env)
        response = await finish(env, state, state)
        page = await response.text()
        assert (
            response.status == 200 and "<code>slack_workspaces: [{team_id: T0NEW}]</code>" in page
        )
        assert await stored(db) == (1, 0)


async def test_without_oauth_settings_there_is_no_install_route(db: Database) -> None:
    async with slack_env(db) as env:
        assert (await env.client.get("/slack/install")).status == 404
        assert (await env.client.get("/slack/oauth_redirect")).status == 404


def test_client_id_and_secret_come_together_and_oauth_alone_enables_slack() -> None:
    with pytest.raises(ValidationError, match="SLACK_CLIENT_SECRET together"):
        Settings(_env_file=None, slack_client_id=CLIENT_ID)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="slack_client_id"):
        Settings(_env_file=None, slack_client_secret=CLIENT_SECRET)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="https://"):
        Settings(_env_file=None, slack_redirect_url="http://coach.example.com/slack/oauth_redirect")  # type: ignore[call-arg]
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret="signing-secret",
    )
    assert settings.slack_oauth_enabled and settings.slack_enabled and not settings.local_mode
    assert settings.slack_bot_token is None and settings.slack_redirect_url is None
