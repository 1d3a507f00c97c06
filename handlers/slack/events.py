"""Slack Events API messages: recorded durably before the ack, handled after it, replayed once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.inbox import mark_failed, record_event
from handlers.slack.identity import SlackUnavailable
from handlers.slack.turns import Said, SlackEdge, run_turn
from prompts import copy_for
from storage.models import InboundEvent, Person

log = logging.getLogger(__name__)

PLATFORM = "slack"
REPLAY_AFTER = timedelta(minutes=1)
"""An event still 'received' this long after it arrived was lost with its process: replay it."""
MAX_TRIES = 5
"""Tries while Slack cannot say who sent a DM; then the event is marked failed."""


class AlreadyHandled(Exception):
    """Another handler processed this event first (its transaction is rolled back)."""


def is_leader_dm(event: dict[str, Any]) -> bool:
    """A person's own message in their DM with the bot (no edits, joins or bot messages)."""
    return (
        event.get("type") == "message"
        and event.get("channel_type") == "im"
        and not event.get("subtype")
        and not event.get("bot_id")
        and bool(event.get("user"))
    )


async def record_dm(edge: SlackEdge, body: dict[str, Any]) -> int | None:
    """Commit the DM event (payload encrypted) before the ack; None for a retry already recorded."""
    event_id = str(body.get("event_id") or "")
    if not event_id:
        return None
    async with edge.database.transaction() as db:
        return await record_event(
            db=db, platform=PLATFORM, event_id=event_id, payload=_kept(body), now=edge.clock()
        )


def _kept(body: dict[str, Any]) -> dict[str, Any]:
    """The fields needed to handle the DM later (not Slack's whole envelope)."""
    event = body.get("event") or {}
    return {
        "team_id": body.get("team_id") or event.get("team") or "",
        "event_id": body.get("event_id") or "",
        "user": event.get("user") or "",
        "channel": event.get("channel") or "",
        "text": event.get("text") or "",
    }


async def handle_dm(edge: SlackEdge, row_id: int, kept: dict[str, Any]) -> bool:
    """Run the DM through the core, marking it processed in the same transaction; False if not.

    When Slack cannot say who sent it (users.info down), the event stays 'received' for the
    replay, up to MAX_TRIES times.
    """

    async def settle(db: AsyncSession, person: Person | None) -> None:
        claimed = await db.scalar(  # one handler wins (after-ack task, replay, other replica)
            update(InboundEvent)
            .where(InboundEvent.id == row_id, InboundEvent.status == "received")
            .values(status="processed", processed_at=edge.clock())
            .returning(InboundEvent.id)
        )
        if claimed is None:
            raise AlreadyHandled
        if person is None:  # not enrolled: keep nothing about them
            await db.execute(delete(InboundEvent).where(InboundEvent.id == row_id))

    said = Said(
        team_id=str(kept["team_id"]),
        user_id=str(kept["user"]),
        kind="text",
        text=str(kept["text"]),
        event_id=str(kept["event_id"]),
    )
    try:
        outcome = await run_turn(edge, said, also=settle)
    except AlreadyHandled:
        return False
    except SlackUnavailable as error:
        await _try_later(edge, row_id, f"users.info: {error}")
        return False
    except Exception as error:
        async with edge.database.transaction() as db:
            await mark_failed(db=db, event_row_id=row_id, reason=type(error).__name__)
        raise
    if outcome.person is None:
        await tell_not_enrolled(edge, team_id=said.team_id, channel=str(kept["channel"]))
    return True


async def _try_later(edge: SlackEdge, row_id: int, reason: str) -> None:
    """Count a try of an event left 'received' for the replay; failed after MAX_TRIES."""
    async with edge.database.transaction() as db:
        tries = await db.scalar(
            update(InboundEvent)
            .where(InboundEvent.id == row_id, InboundEvent.status == "received")
            .values(attempts=InboundEvent.attempts + 1, error=reason[:500])
            .returning(InboundEvent.attempts)
        )
        if tries is not None and tries >= MAX_TRIES:
            await db.execute(
                update(InboundEvent).where(InboundEvent.id == row_id).values(status="failed")
            )


async def tell_not_enrolled(edge: SlackEdge, *, team_id: str, channel: str) -> None:
    """Answer someone on no roster directly (nothing about them goes in the outbox)."""
    client = await edge.client_for(team_id)
    if client is None or not channel:
        return
    text = copy_for("en")("slack.not_enrolled")
    await client.chat_postMessage(
        channel=channel, text=text, unfurl_links=False, unfurl_media=False
    )


async def replay_stale(edge: SlackEdge, now: datetime, limit: int = 100) -> int:
    """Handle DM events recorded but never processed (their process died after the ack)."""
    async with edge.database.reading() as db:
        rows = list(
            await db.execute(
                select(InboundEvent.id, InboundEvent.payload)
                .where(
                    InboundEvent.platform == PLATFORM,
                    InboundEvent.status == "received",
                    InboundEvent.received_at <= now - REPLAY_AFTER,
                )
                .order_by(InboundEvent.id)
                .limit(limit)
            )
        )
    done = 0
    for row_id, payload in rows:
        try:
            done += await handle_dm(edge, row_id, payload)
        except Exception as error:  # logged without its text; the row says failed
            log.error("slack: replaying event %d failed: %s", row_id, type(error).__name__)
    return done
