"""The Graph client and msal auth against the local fakes: tokens, busy time, retries, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handlers.graph.auth import GraphAuth, GraphAuthError
from handlers.graph.calendar import GraphCalendar
from handlers.graph.client import GraphError, parse_graph_time
from tests.handlers.graph.fakes import CLIENT_ID, TENANT, Scripted, busy_item, graph_env

START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
END = START + timedelta(days=28)
ANA = "ana@acme.example"
BEN = "ben@acme.example"


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


async def test_token_is_cached_across_graph_calls(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        await env.client.get_schedule([ANA], START, END)
        await env.client.create_event(ANA, {"subject": "x"}, transaction_id="uid-1")
        await env.client.get_schedule([ANA], START, END)
        assert env.graph.calls("getSchedule") == 2 and env.graph.calls("create") == 1
        assert env.authority.token_requests == 1
        assert env.authority.scopes == ["https://graph.microsoft.com/.default"]


async def test_a_401_drops_the_cached_token_and_retries_once(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        await env.client.get_schedule([ANA], START, END)
        env.authority.issued.clear()  # Graph no longer accepts the cached token
        await env.client.get_schedule([ANA], START, END)
        assert env.authority.token_requests == 2
        assert env.graph.calls("getSchedule") == 3


async def test_a_refused_secret_is_an_auth_error_without_the_secret(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        env.authority.refuse = True
        with pytest.raises(GraphAuthError) as caught:
            await env.client.get_schedule([ANA], START, END)
        assert "invalid_client" in str(caught.value)
        assert "s3cret" not in str(caught.value) and "s3cret" not in repr(env.auth)
        assert env.graph.calls("getSchedule") == 0


async def test_an_unreachable_authority_is_a_retryable_auth_error(tmp_path: Path) -> None:
    auth = GraphAuth(
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        client_secret="x",
        authority="https://127.0.0.1:9/tenant-1",  # discard port: nothing listens
    )
    with pytest.raises(GraphAuthError) as caught:
        await auth.token()
    assert caught.value.retryable


async def test_busy_spans_come_from_busy_tentative_and_oof_items(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        env.graph.schedules[ANA] = [
            busy_item("2026-12-01T09:00:00", "2026-12-01T10:00:00", "busy"),
            busy_item("2026-12-01T11:00:00", "2026-12-01T11:30:00", "tentative"),
            busy_item("2026-12-02T00:00:00", "2026-12-03T00:00:00", "oof"),
            busy_item("2026-12-01T13:00:00", "2026-12-01T14:00:00", "free"),
            busy_item("2026-12-01T15:00:00", "2026-12-01T16:00:00", "workingElsewhere"),
        ]
        env.graph.schedules[BEN] = [busy_item("2026-12-04T08:00:00", "2026-12-04T09:00:00")]
        busy = await GraphCalendar(env.client).busy(mailboxes=[ANA, BEN], start=START, end=END)
        assert busy[ANA] == [
            (at(9), at(10)),
            (at(11), at(11, 30)),
            (at(0, day=2), at(0, day=3)),
        ]
        assert busy[BEN] == [(at(8, day=4), at(9, day=4))]
        (body,) = env.graph.bodies
        assert body["schedules"] == [ANA, BEN] and body["availabilityViewInterval"] == 30
        assert body["startTime"] == {"dateTime": "2026-12-01T00:00:00", "timeZone": "UTC"}
        assert body["endTime"] == {"dateTime": "2026-12-29T00:00:00", "timeZone": "UTC"}


async def test_an_unreadable_mailbox_is_left_out_the_others_kept(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        env.graph.unreadable.add(BEN)
        busy = await env.client.get_schedule([ANA, BEN], START, END)
        assert busy == {ANA: []}


async def test_a_long_horizon_is_read_in_windows_and_merged(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        env.graph.schedules[ANA] = [busy_item("2026-12-10T09:00:00", "2026-12-10T10:00:00")]
        busy = await env.client.get_schedule([ANA], START, START + timedelta(days=90))
        assert env.graph.calls("getSchedule") == 3  # 31 + 31 + 28 days
        assert busy[ANA] == [(at(9, day=10), at(10, day=10))]  # the same item, once


async def test_429_and_503_are_retried_honouring_retry_after(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        env.graph.script(
            "getSchedule",
            Scripted(429, retry_after="2"),
            Scripted(503, retry_after="1"),
            Scripted(503),
        )
        assert await env.client.get_schedule([ANA], START, END) == {ANA: []}
        assert env.graph.calls("getSchedule") == 4
        assert env.sleeps == [2.0, 1.0, 4.0]  # Retry-After, else exponential backoff (1, 2, 4)


async def test_retry_after_is_capped(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        env.graph.script("getSchedule", Scripted(429, retry_after="3600"))
        await env.client.get_schedule([ANA], START, END)
        assert env.sleeps == [5.0]  # the test client's cap


async def test_retries_give_up_after_max_attempts_with_the_status(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        env.graph.script("getSchedule", *[Scripted(429, retry_after="7")] * 4)
        with pytest.raises(GraphError) as caught:
            await env.client.get_schedule([ANA], START, END)
        assert caught.value.status == 429 and caught.value.retry_after == 7.0
        assert env.graph.calls("getSchedule") == 4


async def test_other_errors_are_not_retried(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        env.graph.script("getSchedule", Scripted(403))
        with pytest.raises(GraphError) as caught:
            await env.client.get_schedule([ANA], START, END)
        assert caught.value.status == 403 and env.graph.calls("getSchedule") == 1
        assert "tok-" not in str(caught.value)


async def test_create_uses_the_transaction_id_and_asks_for_teams(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        first = await env.client.create_event(ANA, {"subject": "s"}, transaction_id="uid-9")
        again = await env.client.create_event(ANA, {"subject": "s"}, transaction_id="uid-9")
        assert first["id"] == again["id"] and len(env.graph.all_events()) == 1
        body = env.graph.bodies[0]
        assert body["transactionId"] == "uid-9" and body["isOnlineMeeting"] is True
        assert body["onlineMeetingProvider"] == "teamsForBusiness"


async def test_a_dropped_connection_after_create_is_retried_to_the_same_event(
    tmp_path: Path,
) -> None:
    async with graph_env(tmp_path) as env:
        env.graph.script("create", Scripted(drop_after_work=True))
        event = await env.client.create_event(ANA, {"subject": "s"}, transaction_id="uid-3")
        assert env.graph.calls("create") == 2
        assert [e["id"] for e in env.graph.all_events()] == [event["id"]]


async def test_delete_of_a_missing_event_counts_as_done(tmp_path: Path) -> None:
    async with graph_env(tmp_path) as env:
        await env.client.delete_event(ANA, "no-such-event")
        with pytest.raises(GraphError) as caught:
            await env.client.update_event(ANA, "no-such-event", {"subject": "x"})
        assert caught.value.status == 404


def test_graph_times_parse_to_aware_utc() -> None:
    assert parse_graph_time(
        {"dateTime": "2026-12-01T09:30:00.1234567", "timeZone": "UTC"}
    ) == datetime(2026, 12, 1, 9, 30, 0, 123456, tzinfo=UTC)
    assert parse_graph_time(
        {"dateTime": "2026-07-01T09:30:00", "timeZone": "Europe/London"}
    ) == datetime(2026, 7, 1, 8, 30, tzinfo=UTC)
    assert parse_graph_time({"dateTime": "garbage", "timeZone": "UTC"}) is None
    assert parse_graph_time(None) is None
