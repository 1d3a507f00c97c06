"""A stand-in for the Slack Web API: a real aiohttp server on 127.0.0.1, recording every call.

The real `slack_sdk` clients talk to it (`AsyncWebClient(base_url=mock.base + "/api/")`). It
answers the methods the bot uses with Slack-shaped JSON, knows a directory of users (for
`users.info` / `users.lookupByEmail`), maps bot tokens to workspaces, and can be scripted to
answer 429 with Retry-After, a 5xx, or an `ok: false` error for the next calls of a method.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import BasicAuth, web

DEFAULT_TOKEN = "xoxb-test-token"
DEFAULT_TEAM = "T0001"


@dataclass
class Call:
    """One request the bot made: the method, its arguments, and the workspace of its token."""

    method: str
    args: dict[str, Any]
    token: str
    team: str | None
    fault: Fault | None = None  # the scripted failure this call was answered with, if any


@dataclass
class Fault:
    """A scripted answer for the next `times` calls of a method (optionally of one workspace)."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    times: int = 1
    team: str | None = None


@dataclass
class SlackUser:
    """A member of a workspace, as users.info describes them."""

    id: str
    email: str
    team: str = DEFAULT_TEAM
    name: str = ""
    tz: str = "Europe/London"
    deleted: bool = False


@dataclass
class Grant:
    """What oauth.v2.access gives for one authorisation code (one use, as at Slack)."""

    team: str
    team_name: str = ""
    installer: str = "UINSTALLER"
    scope: str = "chat:write,commands"
    enterprise: str | None = None


@dataclass
class MockSlack:
    """The recorded calls, the user directory, token -> workspace map, and scripted faults."""

    base: str = ""
    calls: list[Call] = field(default_factory=list)
    users: dict[str, SlackUser] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=lambda: {DEFAULT_TOKEN: DEFAULT_TEAM})
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    oauth_client: tuple[str, str] | None = None  # (client id, secret) oauth.v2.access demands
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def api_url(self) -> str:
        """The Web API base URL to give `AsyncWebClient(base_url=...)` / SLACK_API_URL."""
        return f"{self.base}/api/"

    def add_user(self, user: SlackUser) -> SlackUser:
        """Put a member in the directory."""
        self.users[user.id] = user
        return user

    def fail(self, method: str, fault: Fault) -> None:
        """Script the next call(s) of `method` to fail as described."""
        self.faults.setdefault(method, []).append(fault)

    def grant(self, code: str, grant: Grant) -> None:
        """Let oauth.v2.access exchange `code` (once) for a new bot token of `grant.team`."""
        self.grants[code] = grant

    def stall(self, method: str) -> asyncio.Event:
        """Hold the answers to `method` (each call is recorded on arrival) until the event is set.

        Setting the event also lifts the stall for later calls.
        """
        gate = self.gates[method] = asyncio.Event()
        return gate

    def called(self, method: str, team: str | None = None) -> list[Call]:
        """The calls of one method (of one workspace), oldest first."""
        return [c for c in self.calls if c.method == method and (team is None or c.team == team)]

    def succeeded(self, method: str, team: str | None = None) -> list[Call]:
        """The calls of one method (of one workspace) that Slack carried out (no fault, known)."""
        return [c for c in self.called(method, team) if c.fault is None and c.team is not None]

    def reset(self) -> None:
        """Forget the recorded calls and scripted faults (the directory stays)."""
        self.calls.clear()
        self.faults.clear()

    def app(self) -> web.Application:
        """The aiohttp application serving `/api/{method}` and the file upload URLs."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        return app

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.can_read_body:
            return args
        body = await request.read()
        kind = request.content_type
        if kind == "application/json":
            args.update(json.loads(body or b"{}"))
        elif kind == "application/x-www-form-urlencoded":
            args.update(parse_qsl(body.decode()))
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        basic = auth.startswith("Basic ")
        token = "" if basic else auth.removeprefix("Bearer ").strip() or str(args.get("token", ""))
        team = self.tokens.get(token)
        call = Call(method=method, args=args, token=token, team=team)
        self.calls.append(call)
        gate = self.gates.get(method)
        if gate is not None:
            await gate.wait()
        fault = call.fault = self._fault(method, team)
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            if fault.status == 429:
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers=headers
                )
            if fault.status >= 500:
                return web.Response(status=fault.status, text="upstream trouble", headers=headers)
            return web.json_response({"ok": False, "error": fault.error or "internal_error"})
        if method == "oauth.v2.access":
            return web.json_response(self._oauth_access(args, auth if basic else ""))
        if team is None:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response(self._answer(method, args, team))

    def _fault(self, method: str, team: str | None) -> Fault | None:
        queue = self.faults.get(method, [])
        for fault in queue:
            if fault.team is None or fault.team == team:
                fault.times -= 1
                if fault.times <= 0:
                    queue.remove(fault)
                return fault
        return None

    def _answer(self, method: str, args: dict[str, Any], team: str) -> dict[str, Any]:
        ok: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            return {**ok, "team_id": team, "user_id": "UBOT", "bot_id": "BBOT", "team": team}
        if method == "conversations.open":
            user = str(args.get("users", "")).split(",")[0]
            return {**ok, "channel": {"id": f"D{user}"}}
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            ts = args.get("ts") or f"1700000000.{next(self._ts):06d}"
            return {**ok, "channel": args.get("channel", ""), "ts": ts}
        if method == "users.info":
            found = self.users.get(str(args.get("user", "")))
            if found is None or found.team != team:
                return {"ok": False, "error": "user_not_found"}
            return {**ok, "user": self._user(found)}
        if method == "users.lookupByEmail":
            email = str(args.get("email", "")).lower()
            match = [u for u in self.users.values() if u.email.lower() == email and u.team == team]
            if not match:
                return {"ok": False, "error": "users_not_found"}
            return {**ok, "user": self._user(match[0])}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            view = args.get("view")
            if isinstance(view, str):
                view = json.loads(view)
            return {**ok, "view": {"id": f"V{next(self._ts)}", **(view or {})}}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts)}"
            return {**ok, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = args.get("files")
            if isinstance(files, str):
                files = json.loads(files)
            return {**ok, "files": files or []}
        return ok

    def _oauth_access(self, args: dict[str, Any], basic: str) -> dict[str, Any]:
        """Exchange a granted code for a new bot token, mapped to its workspace from now on."""
        if basic:
            found = BasicAuth.decode(basic)
            args = {**args, "client_id": found.login, "client_secret": found.password}
        client = (str(args.get("client_id", "")), str(args.get("client_secret", "")))
        if self.oauth_client is not None and client != self.oauth_client:
            error = (
                "invalid_client_id" if client[0] != self.oauth_client[0] else "bad_client_secret"
            )
            return {"ok": False, "error": error}
        grant = self.grants.pop(str(args.get("code", "")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        token = f"xoxb-new-{grant.team}-{next(self._ts)}"
        self.tokens[token] = grant.team
        enterprise = (
            {"id": grant.enterprise, "name": grant.enterprise} if grant.enterprise else None
        )
        return {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": grant.scope,
            "bot_user_id": f"UBOT{grant.team}",
            "app_id": "A1",
            "team": {"id": grant.team, "name": grant.team_name or grant.team},
            "enterprise": enterprise,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.installer},
        }

    def _user(self, user: SlackUser) -> dict[str, Any]:
        return {
            "id": user.id,
            "team_id": user.team,
            "name": user.name or user.id.lower(),
            "deleted": user.deleted,
            "tz": user.tz,
            "profile": {"email": user.email, "real_name": user.name},
        }

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text="OK - uploaded")


@asynccontextmanager
async def mock_slack() -> AsyncIterator[MockSlack]:
    """Serve a MockSlack on 127.0.0.1:<ephemeral> for the duration of the block."""
    mock = MockSlack()
    runner = web.AppRunner(mock.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    mock.base = f"http://{host}:{port}"
    try:
        yield mock
    finally:
        await runner.cleanup()
