"""The outbox dispatcher on both databases: delivery, holds, retries, dead letters, crashes."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.delivery import store
from bot.dispatcher import Dispatcher
from bot.outbox import enqueue
from bot.ports import Delivery, Failed, RateLimited, SendResult, Sent
from bot.ratelimit import UNLIMITED
from bot.ui import Message
from storage.db import Database
from storage.models import DeliveryHold, OutboxMessage, Person, PlatformIdentity
from tests.factories import T0, make_world

Script = Callable[[Delivery], SendResult]


class FakeSender:
    """A port-level fake: records every delivery and answers from a script (default: Sent)."""

    def __init__(self, channel: str = "slack", script: Script | None = None) -> None:
        self.channel = channel
        self.script = script
        self.deliveries: list[Delivery] = []

    async def send(self, delivery: Delivery) -> SendResult:
        self.deliveries.append(delivery)
        if self.script is not None:
            return self.script(delivery)
        return Sent(ref=f"ref-{delivery.outbox_id}")

    @property
    def ids(self) -> list[int]:
        return [d.outbox_id for d in self.deliveries]


def make_dispatcher(
    db: Database, *senders: FakeSender, clock: Callable[[], datetime] = lambda: T0, **kw: object
) -> Dispatcher:
    """A dispatcher with no pacing on any channel, a fixed clock and seeded jitter."""
    return Dispatcher(
        database=db,
        senders={s.channel: s for s in senders},
        clock=clock,
        rates={"slack": UNLIMITED, "teams": UNLIMITED, "web": UNLIMITED},
        rng=random.Random(7),
        **kw,  # type: ignore[arg-type]
    )


async def queue(
    db: Database, n: int, *, bucket: str = "slack:A", channel: str = "slack", at: datetime = T0
) -> list[int]:
    """Queue `n` messages to the world's leader on one bucket; returns their row ids."""
    async with db.transaction() as s:
        leader = await s.scalar(select(Person).where(Person.email == "leader@example.com"))
        if leader is None:
            leader = (await make_world(s)).leader
        ids = []
        for i in range(n):
            row_id = await enqueue(
                db=s,
                person=leader,
                message=Message(text=f"secret words {bucket} {i}"),
                now=at,
                channel=channel,
                bucket=bucket,
            )
            assert row_id is not None
            ids.append(row_id)
    return ids


async def rows(db: Database) -> dict[int, OutboxMessage]:
    async with db.reading() as s:
        return {r.id: r for r in (await s.scalars(select(OutboxMessage))).all()}


async def test_enqueued_rows_are_delivered_once_and_marked_sent(db: Database) -> None:
    ids = await queue(db, 3)
    sender = FakeSender()
    dispatcher = make_dispatcher(db, sender)
    report = await dispatcher.dispatch_due(now=T0)
    assert sorted(sender.ids) == ids
    assert (report.claimed, report.sent, report.outcomes) == (3, 3, 3)
    delivery = sender.deliveries[0]
    assert delivery.recipient.name == "Sam Lee" and delivery.recipient.timezone == (
        "America/New_York"
    )
    assert delivery.message.text.startswith("secret words") and delivery.attempt == 1
    for row in (await rows(db)).values():
        assert row.status == "sent" and row.sent_at == T0 and row.claimed_until is None
        assert row.platform_ref == f"ref-{row.id}" and row.attempts == 1
    again = await dispatcher.dispatch_due(now=T0 + timedelta(hours=1))
    assert again.claimed == 0 and len(sender.deliveries) == 3


async def test_not_due_rows_wait(db: Database) -> None:
    await queue(db, 1, at=T0 + timedelta(minutes=5))
    sender = FakeSender()
    dispatcher = make_dispatcher(db, sender)
    assert (await dispatcher.dispatch_due(now=T0)).claimed == 0
    assert (await dispatcher.dispatch_due(now=T0 + timedelta(minutes=5))).sent == 1


async def test_rate_limit_holds_only_that_workspace(db: Database) -> None:
    a_ids = await queue(db, 3, bucket="slack:A")
    b_ids = await queue(db, 3, bucket="slack:B")
    limited = {"on": True}

    def script(d: Delivery) -> SendResult:
        if d.bucket == "slack:A" and limited["on"]:
            return RateLimited(retry_after=30)
        return Sent(ref="ok")

    sender = FakeSender(script=script)
    dispatcher = make_dispatcher(db, sender)
    report = await dispatcher.dispatch_due(now=T0)
    assert (report.sent, report.held, report.outcomes) == (3, 3, 6)
    assert [d.outbox_id for d in sender.deliveries if d.bucket == "slack:A"] == a_ids[:1]
    table = await rows(db)
    assert all(table[i].status == "sent" for i in b_ids)
    for i in a_ids:
        assert table[i].status == "pending" and table[i].attempts == 0
        assert table[i].next_attempt_at == T0 + timedelta(seconds=30)
    async with db.reading() as s:
        hold = await s.get(DeliveryHold, "slack:A")
    assert hold is not None and hold.until == T0 + timedelta(seconds=30)

    # New rows on A queued during the hold are not attempted either; B keeps flowing.
    late_a = await queue(db, 1, bucket="slack:A", at=T0 + timedelta(seconds=10))
    late_b = await queue(db, 1, bucket="slack:B", at=T0 + timedelta(seconds=10))
    limited["on"] = False
    before = len(sender.deliveries)
    report = await dispatcher.dispatch_due(now=T0 + timedelta(seconds=29))
    assert sender.ids[before:] == late_b and report.sent == 1

    report = await dispatcher.dispatch_due(now=T0 + timedelta(seconds=30))
    assert report.sent == 4
    assert sorted(sender.ids[before + 1 :]) == a_ids + late_a
    assert all(r.status == "sent" for r in (await rows(db)).values())


async def test_retryable_failures_back_off_then_dead_letter(db: Database) -> None:
    [row_id] = await queue(db, 1)
    sender = FakeSender(script=lambda d: Failed(reason="slack 503", retryable=True))
    dispatcher = make_dispatcher(db, sender, max_attempts=4)
    now, delays = T0, []
    for attempt in range(1, 4):
        report = await dispatcher.dispatch_due(now=now)
        assert report.retrying == 1 and report.outcomes == 1
        row = (await rows(db))[row_id]
        assert row.status == "pending" and row.attempts == attempt
        assert row.last_error == "slack 503"
        delays.append(row.next_attempt_at - now)
        assert (
            await dispatcher.dispatch_due(now=row.next_attempt_at - timedelta(0, 1))
        ).claimed == 0
        now = row.next_attempt_at
    assert delays == sorted(delays) and delays[0] >= timedelta(seconds=5)
    assert delays[-1] > delays[0]
    report = await dispatcher.dispatch_due(now=now)
    assert report.dead == 1 and report.outcomes == 1
    row = (await rows(db))[row_id]
    assert row.status == "dead" and row.attempts == 4
    assert row.last_error == "slack 503 (gave up after 4 attempts)"
    assert len(sender.deliveries) == 4
    assert (await dispatcher.dispatch_due(now=now + timedelta(days=1))).claimed == 0


async def test_non_retryable_failure_is_dead_at_once(db: Database) -> None:
    [row_id] = await queue(db, 1)
    sender = FakeSender(script=lambda d: Failed(reason="slack channel_not_found", retryable=False))
    report = await make_dispatcher(db, sender).dispatch_due(now=T0)
    assert (report.dead, report.sent, report.retrying) == (1, 0, 0)
    row = (await rows(db))[row_id]
    assert row.status == "dead" and row.last_error == "slack channel_not_found"


async def test_raising_sender_is_retried_and_its_message_not_kept(db: Database) -> None:
    ids = await queue(db, 2)

    def script(d: Delivery) -> SendResult:
        raise ValueError(f"boom {d.message.text}")

    report = await make_dispatcher(db, FakeSender(script=script)).dispatch_due(now=T0)
    assert report.retrying == 2 and report.outcomes == report.claimed == 2
    for i in ids:
        row = (await rows(db))[i]
        assert row.status == "pending" and row.last_error == "sender raised ValueError"
        assert "secret" not in (row.last_error or "")


async def test_every_row_is_accounted_for(db: Database) -> None:
    await queue(db, 4, bucket="slack:A")
    await queue(db, 4, bucket="slack:B")
    outcomes = iter(
        [
            Sent(),
            Failed(reason="x", retryable=True),
            Failed(reason="y", retryable=False),
            Sent(),
            RateLimited(retry_after=5),
        ]
        * 2
    )
    report = await make_dispatcher(db, FakeSender(script=lambda d: next(outcomes))).dispatch_due(
        now=T0
    )
    table = await rows(db)
    assert report.claimed == len(table) == 8 == report.outcomes
    by_status = {s: sum(1 for r in table.values() if r.status == s) for s in ("sent", "dead")}
    assert report.sent == by_status["sent"] and report.dead == by_status["dead"]
    pending = [r for r in table.values() if r.status == "pending"]
    assert len(pending) == report.retrying + report.held and all(r.last_error for r in pending)


async def test_crash_between_send_and_mark_resends_only_in_flight_rows(db: Database) -> None:
    done = await queue(db, 2)
    sender = FakeSender()
    dispatcher = make_dispatcher(db, sender)
    await dispatcher.dispatch_due(now=T0)
    in_flight = await queue(db, 2, at=T0 + timedelta(minutes=1))
    # A process claims (and commits the claim), sends, then dies before marking anything.
    async with db.transaction() as s:
        batch = await store.claim_due(
            db=s,
            now=T0 + timedelta(minutes=1),
            until=T0 + timedelta(minutes=3),
            channels=["slack"],
            limit=10,
            max_attempts=8,
        )
    assert sorted(c.id for c in batch.claims) == in_flight
    assert (await dispatcher.dispatch_due(now=T0 + timedelta(minutes=2))).claimed == 0
    report = await dispatcher.dispatch_due(now=T0 + timedelta(minutes=3, seconds=1))
    assert report.sent == 2
    assert sender.ids.count(done[0]) == 1 and sorted(sender.ids[2:]) == in_flight
    table = await rows(db)
    assert all(r.status == "sent" for r in table.values())
    assert [table[i].attempts for i in in_flight] == [2, 2]


class Crash(BaseException):
    """Stands for the process dying mid-send (not an error the dispatcher may catch)."""


async def test_crash_inside_a_pass_leaves_the_claim_for_the_lease(db: Database) -> None:
    [row_id] = await queue(db, 1)

    def die(d: Delivery) -> SendResult:
        raise Crash

    with pytest.raises(BaseExceptionGroup):
        await make_dispatcher(db, FakeSender(script=die)).dispatch_due(now=T0)
    row = (await rows(db))[row_id]
    assert row.status == "sending" and row.claimed_until == T0 + timedelta(minutes=2)
    sender = FakeSender()
    fresh = make_dispatcher(db, sender)
    assert (await fresh.dispatch_due(now=T0 + timedelta(minutes=1))).claimed == 0
    assert (await fresh.dispatch_due(now=T0 + timedelta(minutes=2, seconds=1))).sent == 1
    assert sender.ids == [row_id]


async def test_expired_claim_after_last_attempt_is_dead_not_resent(db: Database) -> None:
    [row_id] = await queue(db, 1)
    async with db.transaction() as s:
        await store.claim_due(
            db=s,
            now=T0,
            until=T0 + timedelta(minutes=2),
            channels=["slack"],
            limit=5,
            max_attempts=1,
        )
    sender = FakeSender()
    report = await make_dispatcher(db, sender, max_attempts=1).dispatch_due(
        now=T0 + timedelta(minutes=5)
    )
    assert report.dead == 1 and sender.deliveries == []
    row = (await rows(db))[row_id]
    assert row.status == "dead" and "lease expired" in (row.last_error or "")


async def test_a_late_mark_after_losing_the_lease_changes_nothing(db: Database) -> None:
    [row_id] = await queue(db, 1)
    other_sender = FakeSender()
    other = make_dispatcher(db, other_sender)

    async def slow_send(d: Delivery) -> SendResult:
        # While this send hangs past the lease, another replica re-claims and delivers the row.
        await other.dispatch_due(now=T0 + timedelta(minutes=3))
        return Failed(reason="timeout", retryable=True)

    sender = FakeSender()
    sender.send = slow_send  # type: ignore[method-assign]
    report = await make_dispatcher(db, sender).dispatch_due(now=T0)
    assert report.superseded == 1 and report.retrying == 0
    row = (await rows(db))[row_id]
    assert row.status == "sent" and row.last_error is None and other_sender.ids == [row_id]


async def test_channel_without_sender_waits_with_a_reason(db: Database) -> None:
    [teams_id] = await queue(db, 1, channel="teams", bucket="teams:T1")
    [slack_id] = await queue(db, 1)
    report = await make_dispatcher(db, FakeSender()).dispatch_due(now=T0)
    assert (report.sent, report.no_sender) == (1, 1)
    row = (await rows(db))[teams_id]
    assert row.status == "pending" and row.attempts == 0
    assert row.last_error == "no sender for channel teams in this process"
    teams = FakeSender("teams")
    report = await make_dispatcher(db, teams).dispatch_due(now=T0 + timedelta(seconds=1))
    assert teams.ids == [teams_id] and (await rows(db))[teams_id].last_error is None
    assert (await rows(db))[slack_id].status == "sent"


async def test_learned_dm_channel_and_replaced_message_ref(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        s.add(
            PlatformIdentity(
                person_id=w.leader.id,
                platform="slack",
                tenant_key="T1",
                external_id="U1",
                created_at=T0,
            )
        )
        await s.flush()
        await enqueue(
            db=s, person=w.leader, message=Message(text="first"), now=T0, dedupe_key="card:1"
        )
    sender = FakeSender(script=lambda d: Sent(ref="ts-1", learned={"dm_channel_id": "D42"}))
    dispatcher = make_dispatcher(db, sender)
    await dispatcher.dispatch_due(now=T0)
    first = sender.deliveries[0]
    assert first.bucket == "slack:T1" and first.recipient.external_id == "U1"
    assert first.recipient.dm_channel_id is None and first.platform_ref is None
    async with db.transaction() as s:
        leader = await s.get(Person, w.leader.id)
        assert leader is not None
        await enqueue(
            db=s, person=leader, message=Message(text="updated", replaces="card:1"), now=T0
        )
    await dispatcher.dispatch_due(now=T0 + timedelta(seconds=1))
    second = sender.deliveries[1]
    assert second.recipient.dm_channel_id == "D42" and second.platform_ref == "ts-1"


@pytest.mark.parametrize(
    ("retry_after", "held_for"),
    [(0.0, timedelta(seconds=1)), (float("inf"), timedelta(days=1)), (1e30, timedelta(days=1))],
)
async def test_odd_retry_after_values_are_clamped(
    db: Database, retry_after: float, held_for: timedelta
) -> None:
    [row_id] = await queue(db, 1)
    sender = FakeSender(script=lambda d: RateLimited(retry_after=retry_after))
    report = await make_dispatcher(db, sender).dispatch_due(now=T0)
    assert report.held == 1 and len(sender.deliveries) == 1
    assert (await rows(db))[row_id].next_attempt_at == T0 + held_for


async def test_a_hold_is_never_shortened(db: Database) -> None:
    async with db.transaction() as s:
        await store.hold_bucket(
            db=s, bucket="slack:A", until=T0 + timedelta(seconds=60), reason="a"
        )
    async with db.transaction() as s:
        await store.hold_bucket(db=s, bucket="slack:A", until=T0 + timedelta(seconds=5), reason="b")
    async with db.transaction() as s:
        await store.hold_bucket(db=s, bucket="slack:B", until=T0 + timedelta(seconds=5), reason="c")
    async with db.reading() as s:
        holds = {h.bucket: h.until for h in (await s.scalars(select(DeliveryHold))).all()}
    assert holds == {"slack:A": T0 + timedelta(seconds=60), "slack:B": T0 + timedelta(seconds=5)}
