"""`/coach book` end to end: a leader clicks through the days and times the bot posted."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import Booking
from tests.handlers.slack.slack_env import (
    COACH,
    LEADER,
    SlackEnv,
    block_actions,
    installed_world,
    last_with,
    posted_to,
    slack_env,
)

LEADER_DM, COACH_DM = f"D{LEADER}", f"D{COACH}"


async def click(env: SlackEnv, action_id: str, option: str | None = None) -> None:
    """Click `action_id` in the newest DM message offering it, as the leader's Slack client."""
    message = last_with(env.mock, LEADER_DM, action_id)
    response = await env.interactive(block_actions(LEADER, message, action_id, option=option))
    assert response.status == 200 and await response.text() == ""
    await env.settle()


async def test_book_through_to_a_confirmed_session(db: Database) -> None:
    async with slack_env(db) as env:
        await installed_world(env)
        response = await env.command(LEADER, "book")
        assert response.status == 200
        await env.settle()
        await click(env, "book.day")  # the first day offered
        await click(env, "book.slot")  # its first time
        await click(env, "book.confirm")
        assert not env.mock.called("views.open")  # no step of booking is a form

        async with env.rt.database.reading() as s:
            bookings = list(await s.scalars(select(Booking)))
        assert [b.status for b in bookings] == ["confirmed"]
        booking = bookings[0]
        assert booking.starts_at > env.rt.clock.now()

        for channel in (LEADER_DM, COACH_DM):
            texts = [str(c.args["text"]) for c in posted_to(env.mock, channel)]
            other = "Sam Lee" if channel == COACH_DM else "Ana Ruiz"
            assert any("booked" in t.lower() and other in t for t in texts), texts
        completed = env.mock.succeeded("files.completeUploadExternal")
        assert sorted(str(c.args.get("channel_id")) for c in completed) == [COACH_DM, LEADER_DM]
        assert all(content.startswith(b"BEGIN:VCALENDAR") for content in env.mock.uploads.values())
        assert len(env.mock.uploads) == 2
