"""Upcoming sessions with their buttons: move, cancel (told first if it counts), join a group."""

from __future__ import annotations

from sqlalchemy import select

from bot.booking import service
from bot.booking.allowance import is_late
from bot.booking.errors import BookingError, TooLateToMove
from bot.booking.service import Upcoming
from bot.flows.basics import is_coach, menu
from bot.flows.booking import days_message, engagement_of, refusal
from bot.flows.picks import Pick
from bot.routes import COMMAND_ACTION, ROUTES, Turn
from bot.timefmt import show
from bot.ui import Button, Message, literal
from prompts import Copy
from storage.models import Booking, BookingSeat, Person, Programme

MAX_SESSIONS_SHOWN = 10


def describe(turn: Turn, booking: Booking, others: str) -> str:
    """E.g. '*Tue 1 Dec 2026, 09:00 EST* · Coaching session with Ana Ruiz (60 min)'."""
    return session_line(turn.copy, turn.interaction.who.timezone, booking, others)


def session_line(copy: Copy, zone: str, booking: Booking, others: str) -> str:
    """One session as a line in `zone`: when, kind (group title, places), with whom, join link."""
    minutes = int((booking.ends_at - booking.starts_at).total_seconds() // 60)
    kind = copy(f"sessions.kind_{booking.kind}")
    if booking.kind == "group" and booking.title:
        kind = f"{kind} “{literal(booking.title)}”"
    line = copy(
        "booking.session_line",
        when=show(booking.starts_at, zone),
        kind=kind,
        others=others,
        minutes=minutes,
    )
    if booking.kind == "group":
        line += " " + copy("booking.seats", taken=booking.seats_taken, capacity=booking.capacity)
    if booking.join_url:
        line += "\n" + copy("booking.join_link", url=booking.join_url)
    return line


@ROUTES.command("sessions")
async def sessions(turn: Turn) -> list[Message]:
    """List the person's upcoming sessions in their own zone, each with what they can do."""
    copy, who, now = turn.copy, turn.interaction.who, turn.interaction.now
    ups = await service.upcoming(db=turn.db, person=who, now=now, limit=MAX_SESSIONS_SHOWN)
    if not ups:
        key = "sessions.none_coach" if is_coach(turn) else "sessions.none"
        return [Message(text=copy(key), buttons=menu(turn))]
    header = Message(
        title=copy("sessions.title"), text=copy("common.time_in_zone", zone=who.timezone)
    )
    return [header, *(_row(turn, up) for up in ups)]


def _row(turn: Turn, up: Upcoming) -> Message:
    copy, booking = turn.copy, up.booking
    names = ", ".join(p.name for p in up.others) or copy("booking.nobody_yet")
    buttons = []
    if up.can_move:
        buttons.append(
            Button(label=copy("booking.move"), action_id="session.move", value=str(booking.id))
        )
    cancel_key = (
        "booking.leave" if booking.kind == "group" and not is_coach(turn) else "booking.cancel"
    )
    buttons.append(
        Button(
            label=copy(cancel_key),
            action_id="session.cancel",
            value=str(booking.id),
            style="danger",
        )
    )
    text = describe(turn, booking, copy("booking.with_names", names=names))
    return Message(text=text, buttons=tuple(buttons))


async def _takes_part(turn: Turn, booking: Booking) -> bool:
    """True when the person is the booking's coach or holds a live seat in it."""
    who = turn.interaction.who
    if booking.coach_id == who.id:
        return True
    seat = await turn.db.scalar(
        select(BookingSeat.id).where(
            BookingSeat.booking_id == booking.id,
            BookingSeat.leader_id == who.id,
            BookingSeat.status == "confirmed",
        )
    )
    return seat is not None


async def _booking(turn: Turn) -> Booking | None:
    value = turn.interaction.value
    return await turn.db.get(Booking, int(value)) if value.isdigit() else None


@ROUTES.action("session.cancel")
async def cancel(turn: Turn) -> list[Message]:
    """Ask before cancelling; say first when the cancel will count as a used session."""
    copy, who, now = turn.copy, turn.interaction.who, turn.interaction.now
    booking = await _booking(turn)
    if booking is None or not await _takes_part(turn, booking):
        return [Message(text=copy("booking_errors.not_yours"), buttons=menu(turn))]
    if booking.status != "confirmed" or booking.ends_at <= now:
        return [Message(text=copy("booking_errors.not_live"), buttons=menu(turn))]
    leaving = booking.kind == "group" and booking.coach_id != who.id
    key = "booking.leave_confirm" if leaving else "booking.cancel_confirm"
    text = copy(key, when=show(booking.starts_at, who.timezone))
    programme = await turn.db.get(Programme, booking.programme_id) if booking.programme_id else None
    leader_session = not is_coach(turn) and booking.kind == "session"
    if (
        leader_session
        and programme is not None
        and is_late(booking=booking, programme=programme, now=now)
    ):
        text += "\n\n" + copy("booking.cancel_late", hours=programme.late_cancel_hours)
    return [
        Message(
            text=text,
            buttons=(
                Button(
                    label=copy("booking.leave_yes" if leaving else "booking.cancel_yes"),
                    action_id="session.cancel_confirm",
                    value=str(booking.id),
                    style="danger",
                ),
                Button(label=copy("booking.keep"), action_id=COMMAND_ACTION, value="sessions"),
            ),
        )
    ]


@ROUTES.action("session.cancel_confirm")
async def cancel_confirmed(turn: Turn) -> list[Message]:
    """Cancel (or leave) the session; both sides are told, with a calendar cancellation."""
    booking = await _booking(turn)
    if booking is None:
        return [Message(text=turn.copy("common.expired_button"), buttons=menu(turn))]
    try:
        outcome = await service.cancel(
            db=turn.db, booking=booking, by=turn.interaction.who, now=turn.interaction.now
        )
    except BookingError as err:
        return [refusal(turn, err)]
    if outcome.notice is not None:
        return [outcome.notice]
    return [Message(text=turn.copy("booking.cancelled"), buttons=menu(turn))]


@ROUTES.action("session.move")
async def move(turn: Turn) -> list[Message]:
    """Offer new days for a session; inside the late window, explain it can only be cancelled."""
    copy, who, now = turn.copy, turn.interaction.who, turn.interaction.now
    booking = await _booking(turn)
    if booking is None or booking.status != "confirmed" or booking.starts_at <= now:
        return [Message(text=copy("booking_errors.not_live"), buttons=menu(turn))]
    if booking.leader_id != who.id or booking.kind not in ("session", "chemistry"):
        return [Message(text=copy("booking_errors.not_yours"), buttons=menu(turn))]
    try:
        engagement = await engagement_of(turn)
    except BookingError as err:
        return [refusal(turn, err)]
    programme = engagement.programme
    if is_late(booking=booking, programme=programme, now=now):
        too_late = TooLateToMove(hours=programme.late_cancel_hours)
        cancel_button = Button(
            label=copy("booking.cancel"), action_id="session.cancel", value=str(booking.id)
        )
        return [Message(text=copy(too_late.key, **too_late.values), buttons=(cancel_button,))]
    pick = Pick(booking.kind, booking.coach_id, move_id=booking.id)
    note = copy("booking.moving", when=show(booking.starts_at, who.timezone))
    return [await days_message(turn, engagement, pick, note=note)]


@ROUTES.action("book.groups")
async def groups(turn: Turn) -> list[Message]:
    """The group sessions open to the leader's cohort, each with a join button."""
    copy, now = turn.copy, turn.interaction.now
    try:
        engagement = await engagement_of(turn)
    except BookingError as err:
        return [refusal(turn, err)]
    open_groups = await service.open_groups(db=turn.db, engagement=engagement, now=now)
    if not open_groups:
        return [Message(text=copy("booking.no_groups"), buttons=menu(turn))]
    rows = []
    for booking in open_groups:
        coach = await turn.db.get(Person, booking.coach_id)
        names = coach.name if coach else ""
        text = describe(turn, booking, copy("booking.with_names", names=names))
        join = Button(
            label=copy("booking.join"),
            action_id="group.join",
            value=str(booking.id),
            style="primary",
        )
        rows.append(Message(text=text, buttons=(join,)))
    return rows


@ROUTES.action("group.join")
async def join(turn: Turn) -> list[Message]:
    """Take a seat in a group session."""
    booking = await _booking(turn)
    if booking is None or booking.kind != "group":
        return [Message(text=turn.copy("common.expired_button"), buttons=menu(turn))]
    try:
        engagement = await engagement_of(turn)
        outcome = await service.join_group(
            db=turn.db, booking=booking, engagement=engagement, now=turn.interaction.now
        )
    except BookingError as err:
        return [refusal(turn, err)]
    if outcome.notice is not None:
        return [outcome.notice]
    return [Message(text=turn.copy("booking.joined"), buttons=menu(turn))]
