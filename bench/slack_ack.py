"""Benchmark: time to Slack's HTTP response from `serve` vs a bare Bolt app, steady and burst.

Run:  .venv/bin/python bench/slack_ack.py [--db sqlite|postgresql] [--rate 50] [--seconds 20]
                                          [--burst 200] [--leaders 200] [--profile FILE]

Seeds a roster (`app.py db upgrade`, then `app.py import` of an org.yaml and a leaders.csv
written to a temp dir: one Slack workspace T0001, 10 coaches, N leaders with emails and no
Slack ids), starts the stand-in Slack Web API (tests/handlers/slack/mock_slack.py, its own
process, whose directory maps UB00000.. to the leaders' emails), then two servers on loopback:

- serve: `python app.py serve --no-scheduler` (DATABASE_URL, SECRET_KEY, SLACK_BOT_TOKEN,
  SLACK_SIGNING_SECRET, SLACK_API_URL, HOST, PORT), the real edge: signature pre-check, Bolt
  with process_before_response, the core's turn committed before the ack;
- bare: bench/slack_ack_apps.py, a Bolt AsyncApp with the same secret whose listeners only ack.

Every leader sends one `/coach help` first (first contact: users.info, identity stored); that
warm-up is reported on its own. Then, per app, in the same run: (a) steady, open loop, `--rate`
requests/s for `--seconds` s; (b) `--burst` requests released at once. The mix cycles
`/coach help`, `/coach sessions`, a DM (`message.im`, unique event_id; every 10th DM is sent
again as Slack's retry) and a block_actions click. Time = POST to the whole response read.
At the end every DM event sent to serve must be in inbox_events exactly once, processed.

--profile FILE runs serve under cProfile (bench/slack_ack_apps.py serve-profiled) and prints
its 30 costliest functions by cumulative time (stderr); figures from such a run are slower.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import pstats
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy
import yaml
from sqlalchemy import make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the slack_ack_* helpers

from scratch_db import probe_pg, scratch_databases
from slack_ack_apps import bench_users, email, free_port, mock_slack_server, user_id
from slack_ack_load import Mix, Timings, burst, command, pct, sequential, steady

from tests.handlers.slack.mock_slack import DEFAULT_TOKEN

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECRET = "bench-signing-secret-0123456789abcdef"
APP_SECRET = "bench-secret-key-" * 3
PYTHON = sys.executable
COACHES = 10
GOAL_P99_MS = 100.0
GOAL_RATIO = 1.5


@dataclass
class Server:
    """A server subprocess and the URL of its /slack/events."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path


@dataclass
class Run:
    """Every measured scenario, the DM checks, and the load averages seen."""

    results: dict[tuple[str, str], Timings] = field(default_factory=dict)
    dm_sent: int = 0
    dm_retries: int = 0
    inbox: dict[str, int] = field(default_factory=dict)
    load: list[str] = field(default_factory=list)


def write_roster(folder: Path, leaders: int) -> tuple[Path, Path]:
    """An org.yaml (workspace T0001, one programme, 10 coaches) and a leaders.csv."""
    week = [{"day": d, "from": "09:00", "to": "17:00"} for d in ("mon", "tue", "wed", "thu")]
    coaches = [
        {
            "email": f"coach{c:02d}@coaches.bench.example",
            "name": f"Coach {c:02d}",
            "timezone": "Europe/London",
            "accreditation": "ICF PCC",
            "modalities": ["leadership"],
            "capacity": leaders // COACHES + 5,
            "availability": week,
        }
        for c in range(COACHES)
    ]
    org = {
        "organisation": {
            "slug": "bench",
            "name": "Bench Org",
            "slack_workspaces": [{"team_id": "T0001", "name": "Bench"}],
        },
        "programmes": [{"slug": "lead", "name": "Leading", "modality": "leadership"}],
        "coaches": coaches,
    }
    org_path, csv_path = folder / "org.yaml", folder / "leaders.csv"
    org_path.write_text(yaml.safe_dump(org, sort_keys=False))
    rows = ["email,name,timezone,programme,coach_email"]
    rows += [
        f"{email(i)},Leader {i:05d},Europe/London,lead,coach{i % COACHES:02d}@coaches.bench.example"
        for i in range(leaders)
    ]
    csv_path.write_text("\n".join(rows) + "\n")
    return org_path, csv_path


def app_env(database_url: str, api_url: str, port: int) -> dict[str, str]:
    """The environment of `app.py` in production mode against the stand-in Slack."""
    return os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": APP_SECRET,
        "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }


def seed(env: dict[str, str], org: Path, leaders: Path) -> None:
    """Migrate and import the roster with the CLI, as an operator would."""
    for args in (["db", "upgrade"], ["import", str(org)], ["import", str(leaders)]):
        subprocess.run([PYTHON, "app.py", *args], cwd=ROOT, env=env, check=True)


def start(name: str, argv: list[str], env: dict[str, str], port: int, folder: Path) -> Server:
    """Start a server subprocess (output to a log file) and wait until its port answers."""
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return Server(name, process, f"http://127.0.0.1:{port}/slack/events", log)
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{name} did not listen on {port}:\n{log.read_text()}")


def stop(server: Server) -> None:
    """SIGTERM (serve settles its after-ack work and exits), then wait."""
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(60)
    except subprocess.TimeoutExpired:
        server.process.kill()


@contextlib.contextmanager
def servers(env: dict[str, str], folder: Path, profile: str | None) -> Iterator[dict[str, Server]]:
    """serve (optionally under cProfile) and the bare app, both on free loopback ports."""
    serve_port, bare_port = free_port(), free_port()
    serve_argv = [PYTHON, "app.py", "serve", "--no-scheduler"]
    if profile:
        serve_argv = [PYTHON, str(HERE / "slack_ack_apps.py"), "serve-profiled", "--out", profile]
    up = {"serve": start("serve", serve_argv, env | {"PORT": str(serve_port)}, serve_port, folder)}
    try:
        bare_argv = [PYTHON, str(HERE / "slack_ack_apps.py"), "bare", "--port", str(bare_port)]
        up["bare"] = start("bare", bare_argv, env, bare_port, folder)
        yield up
    finally:
        for server in up.values():
            stop(server)


def load_average() -> str:
    """The 1/5/15-minute load averages, as `uptime` shows them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def inbox_counts(database_url: str) -> dict[str, int]:
    """inbox_events rows by status, and the number of distinct event ids."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT status, count(*) FROM inbox_events GROUP BY status"))
            found = {str(status): int(count) for status, count in rows}
            distinct = conn.execute(text("SELECT count(DISTINCT event_id) FROM inbox_events"))
            found["distinct event ids"] = int(distinct.scalar_one())
    finally:
        engine.dispose()
    return found


async def settle(database_url: str, expected: int, limit_s: float = 120.0) -> dict[str, int]:
    """Wait until every DM recorded so far is processed (or `limit_s` passes)."""
    deadline = time.monotonic() + limit_s
    while True:
        found = await asyncio.to_thread(inbox_counts, database_url)
        done = found.get("processed", 0) + found.get("failed", 0)
        if (done >= expected and not found.get("received")) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.5)


async def measure(
    up: dict[str, Server], args: argparse.Namespace, database_url: str, run: Run
) -> None:
    """Warm-up, then steady and burst on each app in turn (bare first), settling serve."""
    users = [user_id(i) for i in range(args.leaders)]
    for name in ("bare", "serve"):
        first = [command(u, "help", SECRET) for u in users]
        run.results[("first contact", name)] = await sequential(up[name].url, first, 10)
    serve_dms = 0
    for scenario in ("steady", "burst"):
        for name in ("bare", "serve"):
            mix = Mix(users, SECRET, prefix=f"{name[0]}{scenario[0]}", retry_every=10)
            run.load.append(f"{scenario} {name}: {load_average()}")
            if scenario == "steady":
                timings = await steady(up[name].url, mix.next, args.rate, args.seconds)
            else:
                timings = await burst(up[name].url, mix.next, args.burst)
            run.results[(scenario, name)] = timings
            if name == "serve":
                serve_dms += len(mix.dm_ids)
                run.dm_retries += mix.retries
                await settle(database_url, serve_dms)
    run.dm_sent = serve_dms
    run.inbox = await asyncio.to_thread(inbox_counts, database_url)


def bench(args: argparse.Namespace, database_url: str) -> Run:
    """Seed, serve both apps, measure, check the inbox."""
    run = Run()
    with tempfile.TemporaryDirectory() as tmp, mock_slack_server(bench_users(args.leaders)) as api:
        folder = Path(tmp)
        env = app_env(database_url, api, free_port())
        seed(env, *write_roster(folder, args.leaders))
        run.load.append(f"before: {load_average()}")
        with servers(env, folder, args.profile) as up:
            asyncio.run(measure(up, args, database_url, run))
        run.load.append(f"after: {load_average()}")
        for name in ("serve", "bare"):
            errors = [
                line
                for line in (folder / f"{name}.log").read_text().splitlines()
                if "ERROR" in line or "Traceback" in line
            ]
            if errors:
                print(f"{name} logged {len(errors)} error line(s): {errors[0]}", file=sys.stderr)
    return run


def _row(label: str, t: Timings) -> str:
    return (
        f"| {label} | {len(t.seconds) + t.errors:,} | {pct(t.seconds, 50):.1f} "
        f"| {pct(t.seconds, 99):.1f} | {pct(t.seconds, 100):.1f} | {t.non_2xx} |"
    )


def report(run: Run, args: argparse.Namespace, db_label: str) -> None:
    """Markdown tables: per scenario and app, the p99 ratio and the goal, per-kind p99, DMs."""
    print(
        f"\n{args.leaders} leaders, {db_label}; {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; {datetime.now(UTC):%Y-%m-%d}; steady {args.rate:g}/s "
        f"for {args.seconds:g} s, burst {args.burst}\n"
    )
    print("| scenario | app | requests | p50 ms | p99 ms | max ms | non-2xx |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (scenario, name), t in run.results.items():
        print(_row(f"{scenario} | {name}", t))
    print("\n| scenario | serve p99 ÷ bare p99 | serve p99 < 100 ms | within 1.5x |")
    print("|---|---:|:-:|:-:|")
    for scenario in ("first contact", "steady", "burst"):
        s99 = pct(run.results[(scenario, "serve")].seconds, 99)
        b99 = pct(run.results[(scenario, "bare")].seconds, 99)
        ratio = s99 / b99 if b99 else float("inf")
        ok_abs, ok_ratio = s99 < GOAL_P99_MS, ratio <= GOAL_RATIO
        yes = {True: "yes", False: "no"}
        print(f"| {scenario} | {ratio:.2f} | {yes[ok_abs]} | {yes[ok_ratio]} |")
    kinds = " | ".join(f"{k} p50 / p99" for k in ("help", "sessions", "dm", "click"))
    print(f"\n| scenario | app | {kinds} |")
    print("|---|---|---:|---:|---:|---:|")
    for (scenario, name), t in run.results.items():
        cells = [
            f"{pct(t.by_kind.get(k, []), 50):.1f} / {pct(t.by_kind.get(k, []), 99):.1f}"
            for k in ("help", "sessions", "dm", "click")
        ]
        print(f"| {scenario} | {name} | {' | '.join(cells)} |")
    print(
        f"\nDMs sent to serve: {run.dm_sent} unique event ids (+{run.dm_retries} Slack retries); "
        f"inbox_events: {run.inbox}"
    )
    print("load average (1, 5, 15 min): " + "; ".join(run.load))


def check(run: Run) -> None:
    """Fail loudly on a non-2xx answer or a DM not recorded exactly once and processed."""
    bad = {k: t.non_2xx for k, t in run.results.items() if t.non_2xx}
    if bad:
        raise SystemExit(f"non-2xx responses: {bad}")
    rows = sum(v for k, v in run.inbox.items() if k != "distinct event ids")
    if rows != run.dm_sent or run.inbox.get("processed", 0) != run.dm_sent:
        raise SystemExit(f"DM events: sent {run.dm_sent}, inbox_events {run.inbox}")


def print_profile(path: str) -> None:
    """The serve process's 30 costliest functions by cumulative and by own time (stderr)."""
    stats = pstats.Stats(path, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--leaders", type=int, default=200)
    parser.add_argument("--profile", help="cProfile serve, stats to this file (stderr report)")
    args = parser.parse_args()
    if args.db == "postgresql":
        version = probe_pg()
        if version is None:
            raise SystemExit("PostgreSQL is not reachable (TEST_POSTGRES_URL)")
        with scratch_databases() as new_url:
            run = bench(args, new_url())
        label = f"PostgreSQL {version}"
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run = bench(args, f"sqlite:///{tmp}/slack_ack.db")
        label = "SQLite (file, WAL)"
    report(run, args, label)
    if args.profile:
        print_profile(args.profile)
    check(run)


if __name__ == "__main__":
    main()
