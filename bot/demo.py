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

from bot.booking.availability import slots_for
from bot.booking.errors import BookingError
from bot.booking.matching import choose_coach, top_matches
from bot.booking.service import book
from bot.clock import VirtualClock
from bot.conversation import respond
from bot.dispatcher import Dispatcher
from bot.interaction import Interaction
from bot.jobs import JobContext, run_due
from bot.outbox import enqueue
from bot.people import current_engagement
from bot.ports import Delivery, SendResult, Sent
from bot.roster import import_path
from bot.timefmt import show
from storage.crypto import Keyring
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Engagement, Person

STEP = timedelta(hours=1)
PREVIEW = 88
BOOK = "<book the first open time>"


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
        message = delivery.message
        text = message.text
        if message.title and not text.startswith(message.title):
            text = f"{message.title}: {text}"
        text = text.replace("\n", " ")
        if len(text) > PREVIEW:
            text = text[: PREVIEW - 1] + "…"
        if message.attachments:
            text += f" [+ {', '.join(a.filename for a in message.attachments)}]"
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


async def _book_first_open(
    db: Database, clock: VirtualClock, email: str, out: Callable[[str], None]
) -> None:
    """A leader (choosing their best match first if they have no coach) books the first time."""
    now = clock.now()
    async with db.transaction() as s:
        who = await s.scalar(select(Person).where(Person.email == email))
        engagement = await current_engagement(db=s, leader=who) if who else None
        if who is None or engagement is None:
            return
        try:
            if engagement.coach is None:
                matches = await top_matches(db=s, engagement=engagement, now=now)
                if not matches:
                    return
                engagement = await choose_coach(
                    db=s, engagement=engagement, coach_id=matches[0].coach.id, now=now
                )
                await s.refresh(engagement, ["coach", "programme"])
                out(f"  <- {who.name} chooses {matches[0].coach.name} from their three matches")
            coach = engagement.coach
            assert coach is not None
            slots = await slots_for(
                db=s, coach=coach, leader=who, programme=engagement.programme, now=now
            )
            if not slots:
                return
            outcome = await book(db=s, engagement=engagement, slot=slots[0], now=now)
        except BookingError as err:
            out(f"  <- {who.name} could not book: {type(err).__name__}")
            return
        when = show(slots[0].starts_at, who.timezone)
        out(f"  <- {who.name} books {when} with {coach.name}")
        if outcome.notice is not None:  # in chat this is the reply to their confirm
            await enqueue(db=s, person=who, message=outcome.notice, now=now, kind="booking")


async def _matched(db: Database) -> set[str]:
    async with db.reading() as s:
        rows = await s.scalars(
            select(Person.email)
            .join(Engagement, Engagement.leader_id == Person.id)
            .where(Engagement.coach_id.is_not(None))
        )
        return set(rows.all())


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
            unmatched = [p for p in leaders if p.email not in await _matched(database)]
            script = {
                timedelta(days=1, hours=14): (leaders[0].email, "hello"),
                timedelta(days=1, hours=15): (leaders[0].email, "help"),
                timedelta(days=1, hours=16): (leaders[0].email, BOOK),
                timedelta(days=2, hours=13): (
                    leaders[1].email,
                    "I keep taking over my team's work",
                ),
                timedelta(days=2, hours=15): (leaders[2].email, BOOK),
                timedelta(days=3, hours=9): (coaches[0].email, "sessions"),
            }
            if unmatched:
                script[timedelta(days=1, hours=20)] = (unmatched[0].email, BOOK)
            end = begin + timedelta(weeks=weeks)
            while clock.now() < end:
                now = clock.now()
                sender.now = now
                if now - begin in script:
                    email, text = script[now - begin]
                    if text == BOOK:
                        await _book_first_open(database, clock, email, out)
                    else:
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
