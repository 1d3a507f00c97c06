"""A real `app.py serve` killed with SIGKILL right after its acks: nothing acked is lost."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import select

from bot.clock import system_now
from bot.settings import Settings
from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import upgrade_sync
from storage.models import InboundEvent, NudgeSettings, Reflection
from tests.handlers.slack.mock_slack import (
    DEFAULT_TEAM,
    DEFAULT_TOKEN,
    MockSlack,
    SlackUser,
    mock_slack,
)
from tests.handlers.slack.slack_env import (
    SIGNING_SECRET,
    posted_to,
    sign,
    view_of,
    view_submission,
)

ROOT = Path(__file__).resolve().parents[3]
SECRET = "restart-test-secret-" * 2
ANSWER = "What I keep from this week: ask before I decide."
ORG = f"""
organisation:
  slug: acme
  name: Acme
  slack_workspaces: [{{team_id: {DEFAULT_TEAM}, name: Acme}}]
programmes:
  - {{slug: lead, name: Leading at Acme, modality: leadership}}
coaches:
  - email: ana@coaches.example
    name: Ana Ruiz
    timezone: Europe/Madrid
    accreditation: ICF PCC
    modalities: [leadership]
leaders:
  - {{email: first@acme.example, name: Sam Lee, timezone: Europe/London, programme: lead,
     coach_email: ana@coaches.example}}
  - {{email: second@acme.example, name: Kim Park, timezone: Europe/London, programme: lead,
     coach_email: ana@coaches.example}}
"""
FIRST, SECOND = "UFIRST", "USECOND"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_env(url: str, mock: MockSlack, port: int) -> dict[str, str]:
    """The process environment: ours, without any setting the test does not choose."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in ours}
    return env | {
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": mock.api_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }


async def run_app(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Run `python app.py ARGS` to the end (exit status 0); its output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "app.py"),
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, out.decode()
    return out.decode()


@asynccontextmanager
async def serving(env: dict[str, str], cwd: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python app.py serve --no-scheduler`, yielded once it listens; SIGKILLed at the end."""
    log = (cwd / "serve.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "app.py"),
        "serve",
        "--no-scheduler",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=log,
    )
    try:
        assert process.stdout is not None
        first = await asyncio.wait_for(process.stdout.readline(), timeout=10)
        assert b"Slack workspace T0001" in first, (cwd / "serve.log").read_text()  # auth.test
        line = await asyncio.wait_for(process.stdout.readline(), timeout=10)
        assert b"serving on" in line, (cwd / "serve.log").read_text()
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        log.close()


async def post(port: int, body: str, content_type: str) -> aiohttp.ClientResponse:
    """POST a body signed as Slack does to the process's /slack/events; the response (read)."""
    headers = {"Content-Type": content_type, **sign(body)}
    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{port}/slack/events"
        async with http.post(url, data=body.encode(), headers=headers) as response:
            await response.read()
            return response


def command_body(user: str, text: str, trigger_id: str) -> str:
    """A `/coach TEXT` slash command from `user`, form-encoded as Slack posts it."""
    return urlencode(
        {
            "team_id": DEFAULT_TEAM,
            "channel_id": f"D{user}",
            "channel_name": "directmessage",
            "user_id": user,
            "command": "/coach",
            "text": text,
            "api_app_id": "A1",
            "response_url": "http://127.0.0.1:9/commands/1",
            "trigger_id": trigger_id,
        }
    )


def dm_body(user: str, text: str, event_id: str) -> str:
    """A DM message event (Events API JSON) from `user`."""
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
    }
    return json.dumps(
        {
            "team_id": DEFAULT_TEAM,
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
    )


async def until(check: Callable[[], bool], within: float = 5.0) -> None:
    """Poll `check()` every 20 ms until it is true (fails after `within` seconds)."""
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def read(url: str, model: type[Any]) -> list[Any]:
    """Every row of `model` in the app's database, decrypted with the app's keyring."""
    database = Database(url, Keyring([SECRET]))
    try:
        async with database.reading() as s:
            return list(await s.scalars(select(model)))
    finally:
        await database.dispose()


async def test_what_was_acked_survives_a_kill_9(tmp_path: Path) -> None:
    started = time.monotonic()
    url = f"sqlite:///{tmp_path}/coach.db"
    await asyncio.to_thread(upgrade_sync, url)
    (tmp_path / "org.yaml").write_text(ORG)
    async with mock_slack() as mock:
        mock.add_user(SlackUser(id=FIRST, email="first@acme.example"))
        mock.add_user(SlackUser(id=SECOND, email="second@acme.example"))
        env = app_env(url, mock, free_port())
        port = int(env["PORT"])
        assert "2 leaders" in await run_app(env, tmp_path, "import", "org.yaml")

        async with serving(env, tmp_path) as process:  # a reflection, killed after the ack
            reply = await post(
                port, command_body(FIRST, "reflect", "trig-1"), "application/x-www-form-urlencoded"
            )
            assert reply.status == 200
            [opened] = mock.succeeded("views.open")
            view = {**view_of(opened), "id": "V1"}
            payload = view_submission(FIRST, view, {"answer": ANSWER, "share": "coach"})
            body = urlencode({"payload": json.dumps(payload)})
            reply = await post(port, body, "application/x-www-form-urlencoded")
            process.send_signal(signal.SIGKILL)
            assert reply.status == 200
        [kept] = await read(url, Reflection)
        assert kept.answer == ANSWER and kept.shared_with_coach

        gate = mock.stall("users.info")  # the DM's handling will hang on finding its sender
        async with serving(env, tmp_path) as process:
            reply = await post(port, dm_body(SECOND, "pause", "EvLost"), "application/json")
            assert reply.status == 200
            await until(
                lambda: any(c.args.get("user") == SECOND for c in mock.called("users.info"))
            )
            process.send_signal(signal.SIGKILL)
        gate.set()
        [event] = await read(url, InboundEvent)
        assert (event.event_id, event.status) == ("EvLost", "received")
        assert await read(url, NudgeSettings) == []

        later = (system_now() + timedelta(minutes=2)).isoformat()
        out = await run_app(env, tmp_path, "run-due", "--now", later)
        assert "1 inbox events replayed" in out, out
        [event] = await read(url, InboundEvent)
        assert event.status == "processed"
        [paused] = await read(url, NudgeSettings)
        assert paused.paused_indefinitely
        replies = [c for c in posted_to(mock, f"D{SECOND}") if "paused" in str(c.args["text"])]
        assert len(replies) == 1
    assert time.monotonic() - started < 90  # a hang guard, not a timing (shared, noisy machines)
