"""The demo: a week of the sample programme, with bookings, invites and reminders."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.demo import run_demo

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def test_a_demo_week_books_sessions_and_sends_their_reminders() -> None:
    lines: list[str] = []
    delivered = await run_demo(
        examples=EXAMPLES, weeks=1, start=datetime(2026, 11, 30, tzinfo=UTC), out=lines.append
    )
    booked = [line for line in lines if " books " in line]
    assert len(booked) == 3, booked
    assert any("chooses" in line and "from their three matches" in line for line in lines)
    assert delivered["booking"] == 2 * len(booked)  # the leader and the coach, each with an invite
    assert delivered["reminder"] >= 2 * len(booked)
    assert all("[+ coaching-session.ics]" in line for line in lines if "[booking]" in line)
