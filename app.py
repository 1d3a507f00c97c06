"""Coach Companion: composition root and command line (`python app.py --help`)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import ValidationError
from sqlalchemy import select

from bot.clock import VirtualClock, system_now
from bot.delivery.report import unreachable_people
from bot.demo import next_monday, run_demo
from bot.dispatcher import Dispatcher
from bot.jobs import JobContext, run_due, run_due_through, sweep_step
from bot.llm import LLM
from bot.ports import CalendarPort, Sender
from bot.privacy import NotErased, UnknownPerson, erase, export, find, readmit
from bot.reporting.cli import add_report_options, cmd_report, default_min_group
from bot.reporting.sync import sync as reporting_sync
from bot.roster import RosterError, import_path
from bot.scheduler import build_scheduler, scheduler_state
from bot.settings import Settings, resolve_secret
from handlers.graph import graph_from_settings
from handlers.slack.app import Slack
from handlers.slack.events import replay_stale
from handlers.slack.oauth import add_oauth_routes
from handlers.slack.startup import SlackStartError, slack_ready, start_socket_mode
from handlers.slack.wiring import slack_edge_from_settings, slack_sender_from_settings
from handlers.teams.app import Teams
from handlers.teams.wiring import teams_edge_from_settings, teams_sender_from_settings
from handlers.web import WebDeps, WebSender, add_web_routes
from handlers.web.reports import ReportSource
from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import is_up_to_date, upgrade_sync
from storage.models import Organisation
from storage.rotate import rotate_keys

log = logging.getLogger("coach_companion")
EXAMPLES = Path(__file__).parent / "examples"


@dataclass
class Runtime:
    """Everything a command needs, built once from Settings."""

    settings: Settings
    database: Database
    clock: VirtualClock
    dispatcher: Dispatcher
    jobs: JobContext
    slack: Slack | None = None
    teams: Teams | None = None


def build_runtime(settings: Settings, clock: VirtualClock | None = None) -> Runtime:
    """Wire settings, database, senders, dispatcher and jobs together (connects nothing yet)."""
    keyring = Keyring.from_setting(resolve_secret(settings))
    database = Database(settings.operational_url, keyring)
    clock = clock or VirtualClock()
    # The playground's "web" channel exists in local mode only: elsewhere a message routed to it
    # waits (and is reported) instead of being marked sent with nobody to read it.
    senders: dict[str, Sender] = {"web": WebSender()} if settings.local_mode else {}
    calendar: CalendarPort | None = None
    graph = graph_from_settings(settings, database=database, clock=clock.now)
    if graph is not None:  # optional: without it, "calendar" rows wait and slots use rules only
        senders["calendar"], calendar = graph
    slack_parts = slack_sender_from_settings(settings, database=database, clock=clock.now)
    if slack_parts is not None:
        senders["slack"] = slack_parts.sender
    teams_parts = teams_sender_from_settings(settings, database=database, clock=clock.now)
    if teams_parts is not None:
        senders["teams"] = teams_parts.sender
    dispatcher = Dispatcher(database=database, senders=senders, clock=clock.now)
    llm = LLM.from_settings(settings)  # optional: typed words get its hint, briefs a synthesis
    slack = None
    if slack_parts is not None:
        slack = slack_edge_from_settings(
            settings,
            slack_parts,
            database=database,
            dispatcher=dispatcher,
            clock=clock.now,
            llm=llm,
        )
    teams = None
    if teams_parts is not None:
        teams = teams_edge_from_settings(
            settings,
            teams_parts,
            database=database,
            dispatcher=dispatcher,
            clock=clock.now,
            llm=llm,
        )
    replayers = (partial(replay_stale, slack.edge),) if slack else ()
    jobs = JobContext(
        database,
        dispatcher,
        calendar=calendar,
        replayers=replayers,
        llm=llm,
        reporting=Database(settings.reporting_url, keyring),
    )
    return Runtime(settings, database, clock, dispatcher, jobs, slack, teams)


async def prepare_database(rt: Runtime, *, load_sample: bool = False) -> None:
    """Local mode: migrate (and load the sample organisation); else insist on `db upgrade`."""
    url = rt.settings.operational_url
    if rt.settings.local_mode:
        await asyncio.to_thread(upgrade_sync, url)
        await asyncio.to_thread(upgrade_sync, rt.settings.reporting_url, store="reporting")
        if not load_sample:
            return
        async with rt.database.transaction() as db:
            if await db.scalar(select(Organisation.id).limit(1)) is None:
                now = rt.clock.now()
                await import_path(db=db, path=EXAMPLES / "org.yaml", now=now)
                await import_path(db=db, path=EXAMPLES / "leaders.csv", now=now)
                log.info("loaded the sample organisation from %s", EXAMPLES)
    elif not await asyncio.to_thread(is_up_to_date, url):
        raise SystemExit("The database is not migrated: run `python app.py db upgrade` first.")


def build_web_app(rt: Runtime, scheduler: AsyncIOScheduler | None) -> web.Application:
    """One aiohttp application hosting every route."""
    app = web.Application(client_max_size=1024**2)
    deps = WebDeps(
        database=rt.database,
        clock=rt.clock,
        dispatcher=rt.dispatcher,
        run_due=lambda start, end: run_due_through(
            rt.jobs, start=start, end=end, step=sweep_step(end - start)
        ),
        scheduler_state=lambda: scheduler_state(scheduler) if scheduler else {"running": False},
        local_mode=rt.settings.local_mode,
        llm=rt.jobs.llm,
    )
    reports = ReportSource(
        rt.settings.reporting_url,
        rt.settings.admin_token,
        rt.clock.now,
        default_min_group(rt.settings),
    )
    add_web_routes(app, deps=deps, reports=reports)
    if rt.slack is not None:
        rt.slack.add_routes(app)
        add_oauth_routes(app, rt.settings, rt.slack.clients.tokens, rt.clock.now)
    if rt.teams is not None:
        rt.teams.add_routes(app)
    return app


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def describe_mode(settings: Settings, dialect: str) -> str:
    """A line saying how this process runs, for the operator."""
    if settings.local_mode:
        return f"local mode ({dialect}, sample organisation, web playground)"
    platforms = [
        n for n, on in (("Slack", settings.slack_enabled), ("Teams", settings.teams_enabled)) if on
    ]
    return f"production mode ({dialect}; {' and '.join(platforms)} configured)"


async def serve(rt: Runtime, *, with_scheduler: bool, port: int) -> None:
    """Run the HTTP server (and the scheduler) until interrupted or terminated."""
    if rt.settings.local_mode and rt.settings.host not in LOOPBACK_HOSTS:
        raise CliError(
            f"HOST={rt.settings.host}: the local playground has no sign-in, so in local mode "
            "it only listens on 127.0.0.1 (or ::1). Configure Slack or Teams to serve publicly."
        )
    await prepare_database(rt, load_sample=True)
    if rt.slack is not None and rt.settings.slack_bot_token is not None:
        try:
            print(await slack_ready(rt.database, rt.settings), flush=True)
        except SlackStartError as error:
            raise CliError(str(error)) from None
    scheduler = (
        build_scheduler(rt.jobs, rt.clock.now, first_run=system_now()) if with_scheduler else None
    )
    runner = web.AppRunner(build_web_app(rt, scheduler), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, rt.settings.host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise CliError(
            f"cannot listen on {rt.settings.host}:{port} ({exc.strerror}); "
            "set PORT to a free port, e.g. PORT=3001 make run"
        ) from None
    if scheduler:
        scheduler.start()
    socket = await start_socket_mode(rt.slack, rt.settings) if rt.slack else None
    mode = describe_mode(rt.settings, rt.database.engine.dialect.name)
    print(f"Coach Companion is serving on http://{rt.settings.host}:{port}/ in {mode}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await stop.wait()
    finally:
        if socket is not None:
            await socket.close_async()
        if scheduler:
            scheduler.shutdown(wait=False)
        if rt.slack is not None:
            await rt.slack.edge.settle()
        if rt.teams is not None:
            await rt.teams.close()
        await runner.cleanup()


class CliError(Exception):
    """A mistake in what the operator asked for: printed plainly, exit status 2."""


EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def parse_instant(text: str, option: str = "--now") -> datetime:
    """An ISO 8601 instant with its offset (or Z), between 2000 and 2199; naive is refused."""
    try:
        value = datetime.fromisoformat(text.strip().upper().replace("Z", "+00:00"))
    except ValueError:
        raise CliError(
            f"{option} {text!r} is not an ISO 8601 time, e.g. 2026-11-24T09:00:00Z"
        ) from None
    if value.tzinfo is None:
        raise CliError(f"{option} {text!r} has no time zone: add Z or an offset like +01:00")
    value = value.astimezone(UTC)
    if not EARLIEST <= value < LATEST:
        raise CliError(f"{option} {text!r} is out of range: give a time between 2000 and 2199")
    return value


async def cmd_import(rt: Runtime, path: Path, org: str | None) -> int:
    """Import a roster file, all or nothing."""
    await prepare_database(rt)
    try:
        async with rt.database.transaction() as db:
            result = await import_path(db=db, path=path, now=rt.clock.now(), organisation=org)
    except RosterError as exc:
        print(f"{path}: nothing was imported, {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem.where}: {problem.message}", file=sys.stderr)
        return 2
    print(f"{path}: {result}")
    return 0


async def cmd_run_due(rt: Runtime, now: datetime) -> int:
    """Run every sweep once at `now`."""
    await prepare_database(rt)
    failed = 0
    for job_id, summary in await run_due(rt.jobs, now=now):
        print(f"{job_id}: {summary}")
        failed += summary.startswith("FAILED")
    return 1 if failed else 0


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a file only its owner can read, from the first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")


def confirm_erase(email: str) -> bool:
    """Ask the operator to confirm an erase on the terminal."""
    answer = input(f"Erase everything about {email}? This cannot be undone. [y/N] ")
    return answer.strip().lower() in ("y", "yes")


async def cmd_privacy(
    rt: Runtime, action: str, email: str, *, out: Path | None, confirmed: bool
) -> int:
    """Export, erase or readmit one person's data; an erase asks first unless `confirmed`."""
    await prepare_database(rt)
    now = rt.clock.now()
    try:
        if action == "export":
            async with rt.database.reading() as db:
                data = await export(db=db, email=email, now=now)
            text = json.dumps(data, indent=2, ensure_ascii=False)
            if out is None:
                print(text)
                return 0
            try:
                await asyncio.to_thread(_write_private, out, text)
            except OSError as exc:
                raise CliError(f"cannot write {out}: {exc.strerror}") from None
            print(f"wrote {out} (readable only by you)")
            return 0
        if action == "readmit":
            async with rt.database.transaction() as db:
                count = await readmit(db=db, email=email, now=now)
            print(f"readmitted {email} ({count} erasure(s) lifted): the next import may add them")
            return 0
        async with rt.database.reading() as db:
            await find(db=db, email=email)
        if not confirmed:
            if not sys.stdin.isatty():
                raise CliError("erase needs confirmation: add --yes when not at a terminal")
            if not await asyncio.to_thread(confirm_erase, email):
                print("nothing erased")
                return 1
        async with rt.database.transaction() as db:
            count = await erase(db=db, email=email, now=now, keyring=rt.database.keyring)
        print(f"erased {count} person record(s) for {email} and everything linked to them")
        return 0
    except (UnknownPerson, NotErased) as exc:
        raise CliError(str(exc)) from None


async def cmd_unreachable(rt: Runtime) -> int:
    """Print the people a chat platform cannot reach, oldest first."""
    async with rt.database.reading() as db:
        people = await unreachable_people(db)
    if not people:
        print("Everyone on the roster can be reached (or has not been tried yet).")
        return 0
    who = "1 person" if len(people) == 1 else f"{len(people)} people"
    print(f"{who} cannot be reached:")
    for p in people:
        since = p.since.strftime("%Y-%m-%d %H:%M UTC") if p.since else "unknown"
        print(f"- {p.name} <{p.email}> on {p.platform}: {p.reason} (since {since})")
    return 0


async def cmd_db(rt: Runtime, action: str) -> int:
    """Upgrade the schema, or re-encrypt confidential columns under the newest key."""
    if action == "upgrade":
        await asyncio.to_thread(upgrade_sync, rt.settings.operational_url)
        print("database upgraded to the newest schema")
        await asyncio.to_thread(upgrade_sync, rt.settings.reporting_url, store="reporting")
        print("reporting store upgraded to the newest schema")
        return 0
    count = await rotate_keys(rt.database)
    print(f"re-encrypted {count} value(s) under the newest secret key")
    return 0


async def cmd_report_sync(rt: Runtime, *, full: bool) -> int:
    """Copy what changed (everything with `full`) into the reporting store now."""
    await prepare_database(rt)
    url = rt.settings.reporting_url
    if not await asyncio.to_thread(is_up_to_date, url, store="reporting"):
        raise CliError("the reporting store is not migrated: run `python app.py db upgrade` first")
    assert rt.jobs.reporting is not None
    report = await reporting_sync(
        source=rt.database,
        target=rt.jobs.reporting,
        keyring=rt.database.keyring,
        now=rt.clock.now(),
        full=full,
    )
    for table, c in report.tables.items():
        print(f"{table}: {c.inserted} inserted, {c.updated} updated, {c.deleted} deleted")
    how = "re-keyed (the secret changed), full" if report.rekeyed else "full" if report.full else ""
    print(f"synced{' (' + how + ')' if how else ''}: {report.summary()} in {report.seconds:.1f} s")
    return 0


async def cmd_demo(weeks: int, start: datetime | None) -> int:
    """A simulated programme on a fresh local database."""
    if not 1 <= weeks <= 12:
        raise CliError(f"--weeks {weeks}: give a number of weeks from 1 to 12")
    logging.getLogger().setLevel(logging.WARNING)  # the demo prints its own transcript
    begin = start or next_monday(system_now())
    await run_demo(examples=EXAMPLES, weeks=weeks, start=begin, out=print)
    return 0


def cmd_teams_package(settings: Settings, out: Path | None) -> int:
    """Build the Teams app zip from teams/ and TEAMS_APP_ID (no database needed)."""
    from handlers.teams.package import ZIP_NAME, PackageError, build_package

    try:
        package = build_package(settings.teams_app_id, out or settings.data_dir / ZIP_NAME)
    except PackageError as exc:
        raise CliError(str(exc)) from None
    print(f"wrote {package.path}: upload it in the Teams admin center (Manage apps)")
    for note in package.notes:
        print(f"note: {note}")
    return 0


DESCRIPTION = """Coach Companion: a Slack and Teams bot that runs a coaching programme between
sessions. Settings come from the environment or .env (see README.md); with no Slack or Teams
credentials it runs in local mode on SQLite with the sample organisation."""


def parser() -> argparse.ArgumentParser:
    """The command line."""
    p = argparse.ArgumentParser(prog="python app.py", description=DESCRIPTION)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    s = sub.add_parser("serve", help="the HTTP server (playground in local mode, /healthz)")
    s.add_argument("--no-scheduler", action="store_true", help="do not run the sweep jobs here")
    s.add_argument("--port", type=int, default=None, help="port (default: PORT or 3000)")
    i = sub.add_parser("import", help="import an organisation YAML or a leaders CSV")
    i.add_argument("file", type=Path, help="org.yaml (or .yml) or leaders.csv; see examples/")
    i.add_argument("--org", help="organisation slug, for a CSV when there are several")
    r = sub.add_parser("run-due", help="run every scheduled sweep once")
    r.add_argument("--now", help="the instant, ISO 8601 with offset, e.g. 2026-11-30T09:00:00Z")
    pv = sub.add_parser("privacy", help="export, erase or readmit a person's data")
    pv.add_argument(
        "action",
        choices=["export", "erase", "readmit"],
        help="export as JSON, erase, or readmit (let roster imports add an erased person again)",
    )
    pv.add_argument("email", help="the person's email")
    pv.add_argument("--out", type=Path, help="export: write the JSON to this file (mode 600)")
    pv.add_argument("--yes", action="store_true", help="erase: do not ask for confirmation")
    d = sub.add_parser("demo", help="a simulated programme on a fresh temporary database")
    d.add_argument("--weeks", type=int, default=2, help="weeks to simulate, 1 to 12 (default 2)")
    d.add_argument("--start", help="virtual start, ISO 8601 with offset (default: next Monday)")
    pe = sub.add_parser("people", help="people the bot needs an admin to look at")
    pe.add_argument(
        "action",
        choices=["unreachable"],
        help="unreachable: people a chat platform cannot reach (e.g. no Slack member with "
        "their email), with the reason and since when",
    )
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument(
        "action",
        choices=["upgrade", "rotate-key"],
        help="upgrade: migrate to the newest schema; rotate-key: re-encrypt under the newest "
        "secret in SECRET_KEY",
    )
    rp = sub.add_parser("report", help="the HR report; `report sync` fills the reporting store")
    rp.add_argument(
        "action",
        nargs="?",
        choices=["sync"],
        help="sync: copy what changed into the reporting store now (also an hourly sweep)",
    )
    rp.add_argument("--full", action="store_true", help="sync: copy everything again")
    add_report_options(rp)
    tp = sub.add_parser("teams-package", help="the Teams app zip for the Teams admin center")
    tp.add_argument("--out", type=Path, help="where (default: DATA_DIR/coach-companion-teams.zip)")
    return p


def load_settings() -> Settings:
    """Settings from the environment and .env, or a plain message naming each bad one."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        ]
        raise CliError("bad settings:\n" + "\n".join(lines)) from None


def configure_logging(level: str) -> None:
    """One log format; library chatter (migrations, scheduler ticks) only when debugging."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if level != "DEBUG":
        for noisy in ("alembic", "apscheduler"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command; 2 for a mistake in what was asked."""
    args = parser().parse_args(argv)
    try:
        return _dispatch(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `python app.py demo | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_level)
    if args.command == "demo":
        start = parse_instant(args.start, "--start") if args.start else None
        return asyncio.run(cmd_demo(args.weeks, start))
    if args.command == "teams-package":
        return cmd_teams_package(settings, args.out)
    rt = build_runtime(settings)
    command: Any
    if args.command == "serve" and settings.teams_problem():
        raise CliError(str(settings.teams_problem()))  # never fall back to local mode silently
    if args.command == "serve":
        port = args.port or settings.port
        if not 1 <= port <= 65535:
            raise CliError(f"--port {port}: give a port from 1 to 65535")
        command = serve(rt, with_scheduler=not args.no_scheduler, port=port)
    elif args.command == "import":
        command = cmd_import(rt, args.file, args.org)
    elif args.command == "run-due":
        now = parse_instant(args.now) if args.now else rt.clock.now()
        command = cmd_run_due(rt, now)
    elif args.command == "privacy":
        command = cmd_privacy(rt, args.action, args.email, out=args.out, confirmed=args.yes)
    elif args.command == "people":
        command = cmd_unreachable(rt)
    elif args.command == "report" and args.action == "sync":
        command = cmd_report_sync(rt, full=args.full)
    elif args.command == "report":
        command = cmd_report(rt.settings, args, now=rt.clock.now())
    else:
        command = cmd_db(rt, args.action)
    return asyncio.run(_run(rt, command))


async def _run(rt: Runtime, command: Any) -> int:
    try:
        return int(await command or 0)
    finally:
        await close_senders(rt)
        if rt.jobs.llm is not None:
            await rt.jobs.llm.aclose()
        await rt.database.dispose()
        if rt.jobs.reporting is not None:
            await rt.jobs.reporting.dispose()


async def close_senders(rt: Runtime) -> None:
    """Close the senders' HTTP sessions (each sender that has any)."""
    for sender in rt.dispatcher.senders.values():
        close = getattr(sender, "close", None)
        if close is not None:
            await close()


if __name__ == "__main__":
    sys.exit(main())
