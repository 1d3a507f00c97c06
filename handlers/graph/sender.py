"""The outbox sender of channel "calendar": makes a coach's Graph calendar match a booking.

A row names only a booking; the sender reads the booking as it is now and reconciles:
confirmed without an event -> create it (Teams meeting, `transactionId` = the booking's ICS
UID, so a retry after a lost answer gets the same event back, never a second one) and store
its id and join link; confirmed with an event -> update times and subject; cancelled with an
event -> delete it. Before a create the booking is marked "creating", so a booking cancelled
while a create's answer was lost still has its event found (by transactionId) and deleted.

The event lives in the coach's calendar only: leaders are not attendees (they get the bot's
ICS invite), and the subject and body carry names and times, never confidential text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from bot.booking import notices
from bot.ports import CalendarError, Delivery, Failed, RateLimited, SendResult, Sent
from handlers.graph.auth import GraphAuthError
from handlers.graph.client import GraphClient, GraphError
from prompts import copy_for
from storage.db import Database
from storage.models import Booking, CoachProfile, Person

log = logging.getLogger(__name__)

CREATING = "(creating)"  # calendar_event_id while a create may have reached Graph
GONE = ("cancelled", "late_cancelled")
DEFAULT_HOLD = 60.0


@dataclass(frozen=True)
class _State:
    booking_id: int
    status: str
    uid: str
    mailbox: str | None
    event_id: str | None
    event: dict[str, Any]


class GraphCalendarSender:
    """Delivers "calendar" outbox rows by creating, moving or deleting the coach's event."""

    channel = "calendar"

    def __init__(
        self, *, database: Database, client: GraphClient, clock: Callable[[], datetime]
    ) -> None:
        self.database = database
        self.client = client
        self.clock = clock

    async def send(self, delivery: Delivery) -> SendResult:
        """Reconcile the row's booking with its calendar event; never raises for Graph errors."""
        booking_id = delivery.data.get("booking_id")
        if not isinstance(booking_id, int):
            return Failed(reason="calendar task without a booking id", retryable=False)
        try:
            return await self._reconcile(booking_id)
        except GraphAuthError as exc:
            return Failed(reason=str(exc), retryable=exc.retryable)
        except GraphError as exc:
            return _result(exc)
        except CalendarError as exc:
            return Failed(reason=str(exc) or "calendar error", retryable=True)

    async def _reconcile(self, booking_id: int) -> SendResult:
        state = await self._load(booking_id)
        if state is None or not state.mailbox:
            return Sent()  # the booking is gone, or the coach's calendar is no longer connected
        mailbox = state.mailbox
        if state.status == "confirmed":
            if state.event_id is None or state.event_id == CREATING:
                await self._set_event_id(booking_id, CREATING, only_if_empty=True)
                event = await self.client.create_event(
                    mailbox, state.event, transaction_id=state.uid
                )
            else:
                # Only what moves: PATCHing `body` would wipe the Teams details Graph wrote there.
                change = {k: state.event[k] for k in ("subject", "start", "end")}
                event = await self.client.update_event(mailbox, state.event_id, change)
            if await self._store(booking_id, event):
                return Sent()
            event_id = str(event.get("id", ""))
        elif state.status in GONE and state.event_id == CREATING:
            # A create may have reached Graph unanswered: the same transactionId finds it.
            found = await self.client.create_event(mailbox, state.event, transaction_id=state.uid)
            event_id = str(found.get("id", ""))
        elif state.status in GONE and state.event_id:
            event_id = state.event_id
        else:
            return Sent()  # nothing to do: cancelled before any event, or held / no-show
        if event_id:
            await self.client.delete_event(mailbox, event_id)
        await self._set_event_id(booking_id, None, only_if_empty=False)
        return Sent()

    async def _load(self, booking_id: int) -> _State | None:
        async with self.database.reading() as db:
            booking = await db.get(Booking, booking_id)
            if booking is None:
                return None
            mailbox = await db.scalar(
                select(CoachProfile.calendar_user_id).where(
                    CoachProfile.person_id == booking.coach_id
                )
            )
            coach = await db.get(Person, booking.coach_id)
            leader = await db.get(Person, booking.leader_id) if booking.leader_id else None
            return _State(
                booking_id=booking.id,
                status=booking.status,
                uid=booking.ics_uid,
                mailbox=mailbox,
                event_id=booking.calendar_event_id,
                event=event_body(booking, locale=coach.locale if coach else None, leader=leader),
            )

    async def _set_event_id(
        self, booking_id: int, value: str | None, *, only_if_empty: bool
    ) -> None:
        stmt = update(Booking).where(Booking.id == booking_id).values(calendar_event_id=value)
        if only_if_empty:
            stmt = stmt.where(Booking.calendar_event_id.is_(None))
        async with self.database.transaction() as db:
            await db.execute(stmt)

    async def _store(self, booking_id: int, event: dict[str, Any]) -> bool:
        """Keep the event's id and join link; False when the booking was cancelled meanwhile."""
        event_id = event.get("id")
        meeting = event.get("onlineMeeting")
        join_url = meeting.get("joinUrl") if isinstance(meeting, dict) else None
        async with self.database.transaction() as db:
            booking = await db.get(Booking, booking_id)
            if booking is None:
                return True
            if isinstance(event_id, str) and event_id:
                booking.calendar_event_id = event_id
            if booking.status in GONE:
                return False
            if isinstance(join_url, str) and join_url and booking.join_url != join_url:
                booking.join_url = join_url
                if booking.status == "confirmed":
                    await db.flush()
                    await notices.join_link_ready(db=db, booking=booking, now=self.clock())
        return True


def event_body(booking: Booking, *, locale: str | None, leader: Person | None) -> dict[str, Any]:
    """The event's subject, body and times (UTC); no attendees: leaders get the bot's invite."""
    copy = copy_for(locale)
    if booking.kind == "group":
        title = booking.title or copy("calendar.subject_fallback")
        subject = copy("calendar.subject_group", title=title)
    elif leader is not None:
        key = (
            "calendar.subject_chemistry"
            if booking.kind == "chemistry"
            else "calendar.subject_session"
        )
        subject = copy(key, leader=leader.name)
    else:
        subject = copy("calendar.subject_fallback")
    return {
        "subject": subject[:255],
        "body": {"contentType": "text", "content": copy("calendar.body")},
        "start": _utc(booking.starts_at),
        "end": _utc(booking.ends_at),
        "showAs": "busy",
        "allowNewTimeProposals": False,
    }


def _utc(at: datetime) -> dict[str, str]:
    return {"dateTime": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


def _result(exc: GraphError) -> SendResult:
    """The outbox outcome of a Graph failure (after the client's own retries)."""
    if exc.status == 429:
        return RateLimited(retry_after=exc.retry_after or DEFAULT_HOLD)
    if exc.status is None or exc.status >= 500 or exc.status in (401, 408):
        return Failed(reason=str(exc), retryable=True)
    return Failed(reason=str(exc), retryable=False)
