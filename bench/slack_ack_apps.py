"""Processes for bench/slack_ack.py: the bare Bolt app, the stand-in Slack, a profiled `serve`.

Run as a script (the benchmark does this in subprocesses):

    python bench/slack_ack_apps.py bare --port P          # a Bolt AsyncApp that only acks
    python bench/slack_ack_apps.py serve-profiled --out F  # `app.py serve --no-scheduler`
                                                            # under cProfile, stats to F

The stand-in Slack Web API (tests/handlers/slack/mock_slack.py) runs in a forked child with a
directory of the benchmark's users (`mock_slack_server`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import os
import re
import signal
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from tests.handlers.slack.mock_slack import DEFAULT_TEAM, MockSlack, SlackUser

EVENTS_PATH = "/slack/events"


def bare_bolt(signing_secret: str) -> AsyncApp:
    """A Bolt AsyncApp, like serve's (process_before_response), whose listeners only ack."""

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token="xoxb-bare",  # a dummy, never sent anywhere
            bot_user_id="UBOT",
            bot_id="BBOT",
        )

    async def just_ack(ack: AsyncAck) -> None:
        await ack()

    app = AsyncApp(
        signing_secret=signing_secret,
        authorize=authorize,
        process_before_response=True,
    )
    app.command(re.compile(r"^/coach"))(just_ack)
    app.action(re.compile(".*"))(just_ack)
    app.event("message")(just_ack)
    return app


def bare_web_app(signing_secret: str) -> web.Application:
    """POST /slack/events fed to the bare Bolt app the way handlers/slack/app.py feeds serve's."""
    bolt = bare_bolt(signing_secret)

    async def events(request: web.Request) -> web.StreamResponse:
        bolt_request = AsyncBoltRequest(
            body=await request.text(),
            query=request.query_string,
            headers={k.lower(): v for k, v in request.headers.items()},
        )
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    app = web.Application(client_max_size=1024**2)
    app.router.add_post(EVENTS_PATH, events)
    return app


async def _serve_bare(port: int, signing_secret: str) -> None:
    runner = web.AppRunner(bare_web_app(signing_secret), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(f"bare Bolt app serving on http://127.0.0.1:{port}/", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


def _serve_profiled(out: str) -> int:
    """`app.py serve --no-scheduler` under cProfile; the stats are dumped on SIGTERM."""
    import app as coach_app

    profile = cProfile.Profile()
    try:
        return int(profile.runcall(coach_app.main, ["serve", "--no-scheduler"]))
    finally:
        profile.dump_stats(out)


def bench_users(count: int) -> list[SlackUser]:
    """The benchmark's Slack members: U0000.. with the roster's emails, in the default team."""
    return [SlackUser(id=user_id(i), email=email(i), team=DEFAULT_TEAM) for i in range(count)]


def user_id(i: int) -> str:
    """The Slack member id of leader `i`."""
    return f"UB{i:05d}"


def email(i: int) -> str:
    """The roster email of leader `i`."""
    return f"leader{i:05d}@bench.example"


def _run_mock(sock: socket.socket, users: list[SlackUser]) -> None:
    mock = MockSlack()
    for user in users:
        mock.add_user(user)

    async def run() -> None:
        runner = web.AppRunner(mock.app(), access_log=None)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        await asyncio.Event().wait()

    asyncio.run(run())


@contextmanager
def mock_slack_server(users: list[SlackUser]) -> Iterator[str]:
    """The stand-in Slack in a child process on an ephemeral port; yields its Web API URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=_run_mock, args=(sock, users), daemon=True)
    child.start()
    sock.close()
    try:
        yield f"http://127.0.0.1:{port}/api/"
    finally:
        child.terminate()
        child.join(5)


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    bare = sub.add_parser("bare")
    bare.add_argument("--port", type=int, required=True)
    prof = sub.add_parser("serve-profiled")
    prof.add_argument("--out", required=True)
    args: Any = parser.parse_args(argv)
    if args.command == "bare":
        asyncio.run(_serve_bare(args.port, os.environ["SLACK_SIGNING_SECRET"]))
        return 0
    return _serve_profiled(args.out)


if __name__ == "__main__":
    raise SystemExit(main())
