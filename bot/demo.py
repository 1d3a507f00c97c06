"""A simulated programme: the sample organisation on a fresh database and a virtual clock."""

from __future__ import annotations

import secrets
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.clock import VirtualClock
from bot.conversation import respond
from bot.dispatcher import Dispatcher
from bot.interaction import Interaction
from bot.jobs import JobContext, run_due
from bot.ports import Delivery, SendResult, Sent
from bot.roster import import_path
from bot.timefmt import show
from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Person

STEP = timedelta(hours=1)
PREVIEW = 88


@dataclass
class DemoSender:
    """Delivers to the demo's transcript instead of a chat platform."""

    out: Callable[[str], None]
    channel: str = "web"
    delivered: Counter[str] = field(default_factory=Counter)
    people: set[int] = field(default_factory=set)
    now: datetime = datetime(2000, 1, 1, tzinfo=UTC)

    async def send(self, delivery: Delivery) -> SendResult:
        """Print one delivery: who got what, in their own time zone."""
        r = delivery.recipient
        text = delivery.message.text.replace("\n", " ")
        if len(text) > PREVIEW:
            text = text[: PREVIEW - 1] + "…"
        self.out(f"  -> {r.name} ({show(self.now, r.timezone)}) [{delivery.kind}] {text}")
        self.delivered[delivery.kind] += 1
        self.people.add(r.person_id)
        return Sent(ref=f"demo:{delivery.outbox_id}")


def next_monday(now: datetime) -> datetime:
    """Midnight UTC of the Monday after `now`."""
    day = (now + timedelta(days=7 - now.weekday())).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def _say(
    db: Database, clock: VirtualClock, email: str, text: str, out: Callable[[str], None]
) -> None:
    async with db.transaction() as s:
        who = await s.scalar(select(Person).where(Person.email == email))
        if who is None:
            return
        out(f"  <- {who.name} ({show(clock.now(), who.timezone)}) types {text!r}")
        await respond(
            db=s,
            interaction=Interaction(
                who=who, channel="web", kind="text", now=clock.now(), text=text
            ),
        )


async def run_demo(
    *, examples: Path, weeks: int, start: datetime, out: Callable[[str], None]
) -> Counter[str]:
    """Import the sample organisation, then run every sweep hourly for `weeks` virtual weeks."""
    begin = start
    clock = VirtualClock(source=lambda: begin)
    with tempfile.TemporaryDirectory(prefix="coach-demo-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        await upgrade(url)
        database = Database(url, Keyring([secrets.token_urlsafe(32)]))
        sender = DemoSender(out=out)
        dispatcher = Dispatcher(database=database, senders={"web": sender}, clock=clock.now)
        ctx = JobContext(database, dispatcher)
        try:
            async with database.transaction() as s:
                await import_path(db=s, path=examples / "org.yaml", now=clock.now())
                await import_path(db=s, path=examples / "leaders.csv", now=clock.now())
                leaders = (await s.scalars(select(Person).where(Person.role == "leader"))).all()
                coaches = (await s.scalars(select(Person).where(Person.role == "coach"))).all()
            out(f"Demo: {len(leaders)} leaders, {len(coaches)} coaches, from {show(begin, 'UTC')}")
            script = {
                timedelta(days=1, hours=14): (leaders[0].email, "hello"),
                timedelta(days=1, hours=15): (leaders[0].email, "help"),
                timedelta(days=2, hours=13): (
                    leaders[1].email,
                    "I keep taking over my team's work",
                ),
                timedelta(days=3, hours=9): (coaches[0].email, "sessions"),
            }
            end = begin + timedelta(weeks=weeks)
            while clock.now() < end:
                now = clock.now()
                sender.now = now
                if now - begin in script:
                    email, text = script[now - begin]
                    await _say(database, clock, email, text, out)
                    await dispatcher.wake()
                if now.hour == 0:
                    out(f"-- {now:%A %d %B %Y} (UTC) --")
                await run_due(ctx, now=now)
                clock.advance(STEP)
        finally:
            await database.dispose()
    total, reached = sum(sender.delivered.values()), len(sender.people)
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(sender.delivered.items()))
    out(f"Done: {total} messages to {reached} people over {weeks} week(s): {kinds}")
    return sender.delivered
