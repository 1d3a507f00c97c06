"""The real `serve` app in Slack mode for tests: signed requests in, a Slack stand-in out."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import make_url

from app import Runtime, build_runtime, build_web_app
from bot.settings import Settings
from storage.db import Database
from storage.models import SlackWorkspace
from tests.factories import World, make_world
from tests.handlers.slack.mock_slack import (
    DEFAULT_TEAM,
    DEFAULT_TOKEN,
    Call,
    MockSlack,
    SlackUser,
    mock_slack,
)

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
RUNTIME_SECRET = "slack-tests-secret-" * 3
"""The app's own encryption secret (rows it encrypts are read back through the app)."""

Client = TestClient[web.Request, web.Application]


def sign(body: str, *, secret: str = SIGNING_SECRET, at: int | None = None) -> dict[str, str]:
    """Slack's request signature headers for `body` (v0, HMAC-SHA256) at `at` (default now)."""
    stamp = str(int(time.time()) if at is None else at)
    base = f"v0:{stamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class SlackEnv:
    """The app under test, its runtime, the stand-in Slack and an HTTP client to the app."""

    mock: MockSlack
    rt: Runtime
    client: Client

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> Any:
        """POST a body to /slack/events, signed unless `headers` are given."""
        sent = {"Content-Type": content_type, **(headers if headers is not None else sign(body))}
        return await self.client.post("/slack/events", data=body.encode(), headers=sent)

    async def command(self, user: str, text: str, **extra: str) -> Any:
        """A `/coach TEXT` slash command from `user`, as Slack posts it (form-encoded)."""
        fields = {
            "token": "legacy",
            "team_id": DEFAULT_TEAM,
            "team_domain": "acme",
            "channel_id": f"D{user}",
            "channel_name": "directmessage",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/coach",
            "text": text,
            "api_app_id": "A1",
            "response_url": "http://127.0.0.1:9/commands/1",
            "trigger_id": f"trigger-{time.monotonic_ns()}",
            **extra,
        }
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded")

    async def interactive(
        self, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> Any:
        """A block_actions / view_submission payload, as Slack posts it (form field `payload`)."""
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", headers)

    async def event(self, event: dict[str, Any], *, event_id: str, retry: int = 0) -> Any:
        """An Events API callback (JSON), optionally marked as Slack's retry number `retry`."""
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": DEFAULT_TEAM,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = sign(body)
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, "application/json", headers)

    async def settle(self) -> None:
        """Let the work after acks finish, then deliver everything due."""
        assert self.rt.slack is not None
        await self.rt.slack.edge.settle()
        await self.rt.dispatcher.dispatch_due(now=self.rt.clock.now())


def settings_for(db: Database, mock: MockSlack, **extra: Any) -> Settings:
    """Production-mode settings on the test database, pointed at the Slack stand-in."""
    url = make_url(db.url).set(drivername=make_url(db.url).get_backend_name())
    values: dict[str, Any] = {
        "database_url": url.render_as_string(hide_password=False),
        "secret_key": SecretStr(RUNTIME_SECRET),
        "slack_bot_token": SecretStr(DEFAULT_TOKEN),
        "slack_signing_secret": SecretStr(SIGNING_SECRET),
        "slack_api_url": mock.api_url,
    }
    return Settings(_env_file=None, **(values | extra))


@asynccontextmanager
async def slack_env(db: Database, **extra: Any) -> AsyncIterator[SlackEnv]:
    """Serve the app on an ephemeral 127.0.0.1 port in Slack mode over the test database."""
    async with mock_slack() as mock:
        rt = build_runtime(settings_for(db, mock, **extra))
        client: Client = TestClient(TestServer(build_web_app(rt, None), host="127.0.0.1", port=0))
        await client.start_server()
        try:
            yield SlackEnv(mock=mock, rt=rt, client=client)
        finally:
            if rt.slack is not None:
                await rt.slack.edge.settle()
            await client.close()
            await rt.database.dispose()


# --- Slack clients' clicks and submissions, built from what the bot actually sent ---

Json = dict[str, Any]


def blocks_of(call: Call) -> list[Json]:
    """The blocks a chat.postMessage / chat.update call carried (JSON string or list)."""
    raw = call.args.get("blocks") or []
    return list(json.loads(raw) if isinstance(raw, str) else raw)


def view_of(call: Call) -> Json:
    """The view a views.open / views.update / views.publish call carried."""
    raw = call.args.get("view") or {}
    return dict(json.loads(raw) if isinstance(raw, str) else raw)


def find_element(blocks: list[Json], action_id: str) -> tuple[Json, Json] | None:
    """(block, element) of the first button/select whose core action id is `action_id`."""
    for number, block in enumerate(blocks):
        for element in block.get("elements") or []:
            found = str(element.get("action_id", ""))
            if found == action_id or found.rpartition("|")[0] == action_id:
                return {"block_id": f"b{number}", **block}, element
    return None


def option_of(element: Json, value: str | None = None) -> Json:
    """A select's option with `value` (the first one when None), groups included."""
    options = list(element.get("options") or [])
    options += [o for g in element.get("option_groups") or [] for o in g["options"]]
    for option in options:
        if value is None or option["value"] == value:
            return dict(option)
    raise LookupError(f"no option {value!r} in {element.get('action_id')}")


def acted(element: Json, block_id: str, option: Json | None = None) -> Json:
    """The `actions[0]` Slack sends for a click on a button or a choice in a select."""
    action: Json = {
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if element["type"] == "button":
        action |= {"text": element["text"], "value": element.get("value", "")}
        if "style" in element:
            action["style"] = element["style"]
    else:
        action |= {"selected_option": option or option_of(element)}
        if "placeholder" in element:
            action["placeholder"] = element["placeholder"]
    return action


def _user(user: str, team: str) -> Json:
    return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team}


def block_actions(
    user: str, call: Call, action_id: str, *, option: str | None = None, team: str = DEFAULT_TEAM
) -> Json:
    """Slack's block_actions payload for clicking `action_id` in the posted message `call`."""
    blocks = blocks_of(call)
    found = find_element(blocks, action_id)
    assert found is not None, f"{action_id} is not in the message"
    block, element = found
    chosen = option_of(element, option) if element["type"] != "button" else None
    channel, ts = str(call.args.get("channel", "")), f"{time.time():.6f}"
    return {
        "type": "block_actions",
        "user": _user(user, team),
        "api_app_id": "A1",
        "token": "legacy",
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"trigger-{time.monotonic_ns()}",
        "team": {"id": team, "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage"},
        "message": {
            "type": "message",
            "user": "UBOT",
            "bot_id": "BBOT",
            "ts": ts,
            "text": call.args.get("text", ""),
            "blocks": blocks,
        },
        "state": {"values": {}},
        "response_url": "http://127.0.0.1:9/actions/1",
        "actions": [acted(element, str(block["block_id"]), chosen)],
    }


def state_values(view: Json, answers: dict[str, str]) -> Json:
    """view.state.values as Slack sends them: every input block, answered or left empty."""
    values: Json = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block["element"]
        kind, given = element["type"], answers.get(block["block_id"])
        state: Json = {"type": kind}
        if kind in ("static_select", "radio_buttons"):
            state["selected_option"] = None if given is None else option_of(element, given)
        elif kind == "datepicker":
            state["selected_date"] = given
        elif kind == "timepicker":
            state["selected_time"] = given
        else:
            state["value"] = given
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def view_submission(
    user: str, opened: Json, answers: dict[str, str], team: str = DEFAULT_TEAM
) -> Json:
    """Slack's view_submission payload for the view the bot opened, filled with `answers`."""
    view_id = str(opened.get("id") or "V1")
    return {
        "type": "view_submission",
        "team": {"id": team, "domain": "acme"},
        "user": _user(user, team),
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": f"trigger-{time.monotonic_ns()}",
        "view": {
            **opened,
            "id": view_id,
            "team_id": team,
            "state": {"values": state_values(opened, answers)},
            "hash": "1700000000.abcdef",
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": "A1",
            "external_id": "",
            "app_installed_team_id": team,
            "bot_id": "BBOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def posted_to(mock: MockSlack, channel: str) -> list[Call]:
    """The chat.postMessage calls that Slack carried out into `channel`, oldest first."""
    return [c for c in mock.succeeded("chat.postMessage") if c.args.get("channel") == channel]


def last_with(mock: MockSlack, channel: str, action_id: str) -> Call:
    """The newest message posted into `channel` that has a `action_id` button or select."""
    for call in reversed(posted_to(mock, channel)):
        if find_element(blocks_of(call), action_id) is not None:
            return call
    raise AssertionError(f"no message in {channel} offers {action_id}")


LEADER, COACH = "ULEADER", "UCOACH"


async def installed_world(env: SlackEnv) -> World:
    """The factories' world installed in T0001, its leader and coach in the Slack directory.

    Written through the app's own database (its keyring encrypts what the app reads back).
    """
    async with env.rt.database.transaction() as s:
        w = await make_world(s)
        s.add(SlackWorkspace(organisation_id=w.org.id, team_id=DEFAULT_TEAM, name="Acme"))
    env.mock.add_user(SlackUser(id=LEADER, email=w.leader.email, tz=w.leader.timezone))
    env.mock.add_user(SlackUser(id=COACH, email=w.coach.email, tz=w.coach.timezone))
    return w
