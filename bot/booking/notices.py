"""Telling both sides about a booking: booked, moved, cancelled, joined, left, the Teams link."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.booking.ics import Method, invite, safe_zone
from bot.booking.model import Slot
from bot.outbox import enqueue
from bot.timefmt import show
from bot.ui import Attachment, Message, literal
from prompts import Copy, copy_for
from storage.models import Booking, BookingSeat, CoachProfile, Person, Programme

Event = Literal["booked", "rescheduled", "cancelled", "joined", "left"]
GONE = ("cancelled", "late_cancelled")
DEFAULT_LATE_HOURS = 24


@dataclass(frozen=True)
class Party:
    """A leader in a booking with their (latest) seat, if the booking has seat rows."""

    person: Person
    seat: BookingSeat | None
    changes: int = 0
    """How often this leader left or rejoined the group session: their invites' SEQUENCE is the
    booking's plus this, since leaving and rejoining don't raise the booking's sequence."""


@dataclass(frozen=True)
class Parties:
    """Who a booking concerns: the coach, leaders with live seats, leaders who just left it."""

    coach: Person
    live: tuple[Party, ...]
    gone: tuple[Party, ...]
    late_hours: int
    coach_calendar: bool = False
    """The coach's calendar is connected: the event is made there, so they get no invite."""


def what(copy: Copy, booking: Booking) -> str:
    """The session inside a sentence: 'coaching session', 'group session “Title”'."""
    if booking.kind == "group":
        return copy("notices.what_group", title=literal(booking.title or ""))
    return copy(f"notices.what_{'chemistry' if booking.kind == 'chemistry' else 'session'}")


def seats_line(copy: Copy, booking: Booking) -> str:
    """'3 of 8 seats taken.' for a group session's coach."""
    return copy("notices.seats", taken=booking.seats_taken, capacity=booking.capacity)


def minutes(booking: Booking) -> int:
    """The session's length in whole minutes."""
    return int((booking.ends_at - booking.starts_at).total_seconds() // 60)


def _kind(copy: Copy, booking: Booking) -> str:
    kind = booking.kind if booking.kind in ("chemistry", "group") else "session"
    return copy(f"notices.kind_{kind}")


async def load_parties(*, db: AsyncSession, booking: Booking, now: datetime) -> Parties:
    """The coach, the leaders with confirmed seats and those whose seats were cancelled at `now`."""
    coach = await db.get(Person, booking.coach_id)
    if coach is None:
        raise LookupError(f"booking {booking.id} has no coach")
    rows = (
        await db.execute(
            select(BookingSeat, Person)
            .join(Person, Person.id == BookingSeat.leader_id)
            .where(BookingSeat.booking_id == booking.id)
            .order_by(BookingSeat.id)
        )
    ).all()
    latest: dict[int, Party] = {person.id: Party(person, seat) for seat, person in rows}
    if booking.kind == "group":
        changes = dict.fromkeys(latest, -1)  # the first join is no change
        for seat, person in rows:
            changes[person.id] += 1 + (seat.status in GONE)
        latest = {pid: replace(p, changes=changes[pid]) for pid, p in latest.items()}
    if not latest and booking.leader_id is not None:  # a one-to-one written without seat rows
        leader = await db.get(Person, booking.leader_id)
        if leader is not None:
            latest[leader.id] = Party(leader, None)
    live: list[Party] = []
    gone: list[Party] = []
    for party in latest.values():
        status = party.seat.status if party.seat else booking.status
        cancelled_at = party.seat.cancelled_at if party.seat else booking.cancelled_at
        if status == "confirmed" and booking.status == "confirmed":
            live.append(party)
        elif status == "confirmed" or (status in GONE and cancelled_at == now):
            gone.append(party)
    programme = await db.get(Programme, booking.programme_id) if booking.programme_id else None
    hours = programme.late_cancel_hours if programme else DEFAULT_LATE_HOURS
    profile = await db.get(CoachProfile, coach.id)
    connected = bool(profile and profile.calendar_user_id)
    return Parties(
        coach=coach, live=tuple(live), gone=tuple(gone), late_hours=hours, coach_calendar=connected
    )


def _is_late(booking: Booking, party: Party | None) -> bool:
    if party is None:
        return False
    return (party.seat.status if party.seat else booking.status) == "late_cancelled"


@dataclass(frozen=True)
class _Notice:
    """What one announcement is about, shared by every recipient's message."""

    booking: Booking
    event: Event
    parties: Parties
    now: datetime
    actor: Person | None
    seat_party: Party | None
    previous: Slot | None


def _lines(n: _Notice, person: Person, copy: Copy, zone: str) -> tuple[str, list[str]]:
    """The title and the lines of one recipient's message."""
    booking, parties = n.booking, n.parties
    is_coach = person.id == parties.coach.id
    mine = next((p for p in (*parties.live, *parties.gone) if p.person.id == person.id), None)
    group_coach = is_coach and booking.kind == "group"
    leaders = [p.person.name for p in (parties.live or parties.gone)]
    values: dict[str, object] = {
        "what": what(copy, booking),
        "time": show(booking.starts_at, zone),
        "minutes": minutes(booking),
        "other": (", ".join(leaders) or copy("notices.nobody")) if is_coach else parties.coach.name,
        "seats": seats_line(copy, booking),
        "hours": parties.late_hours,
    }
    kind = _kind(copy, booking)
    event = n.event
    if event in ("joined", "left") and is_coach:
        who = n.seat_party.person.name if n.seat_party else ""
        title = copy(f"notices.title_{event}_coach")
        return title, [copy(f"notices.{event}_coach", name=who, **values)]
    title = copy(f"notices.title_{event}", kind=kind)
    if event == "rescheduled":
        key = "rescheduled_group_coach" if group_coach else "rescheduled"
        if n.previous is None:
            key = "rescheduled_no_old"
        else:
            values["old"] = show(n.previous.starts_at, zone)
        lines = [copy(f"notices.{key}", **values)]
    elif event == "booked" and group_coach:
        lines = [copy("notices.booked_group_coach", **values)]
    elif event == "cancelled" and group_coach:
        lines = [copy("notices.cancelled_group_coach", **values)]
    else:
        lines = [copy(f"notices.{event}", **values)]
    if event == "cancelled" and n.actor is not None and n.actor.id != person.id:
        lines.append(copy("notices.cancelled_by", name=n.actor.name))
    one = "_one" if parties.late_hours == 1 else ""
    if event in ("cancelled", "left") and not is_coach and _is_late(booking, mine):
        lines.append(copy(f"notices.late_counted{one}", **values))
    if event == "cancelled" and is_coach and any(_is_late(booking, p) for p in parties.gone):
        lines.append(copy(f"notices.late_note_coach{one}", **values))
    if booking.join_url and event in ("booked", "rescheduled", "joined"):
        lines.append(copy("notices.join_link", url=booking.join_url))
    return title, lines


def _method(n: _Notice, person: Person) -> Method | None:
    """REQUEST or CANCEL for this recipient's invite, or None when they get no invite."""
    is_coach = person.id == n.parties.coach.id
    if is_coach and n.parties.coach_calendar:
        return None
    if n.event in ("joined", "left"):
        return None if is_coach else ("CANCEL" if n.event == "left" else "REQUEST")
    return "CANCEL" if n.event == "cancelled" else "REQUEST"


def _message(n: _Notice, person: Person) -> Message:
    """The announcement for one person, in their zone and locale, with their invite."""
    copy = copy_for(person.locale)
    zone = safe_zone(person.timezone)
    title, lines = _lines(n, person, copy, zone)
    method = _method(n, person)
    if method is None:
        return Message(title=title, text="\n".join(lines))
    sequence = n.booking.sequence
    if person.id == n.parties.coach.id:
        leaders = [p.person for p in (*n.parties.live, *n.parties.gone)]
    else:
        leaders = [person]
        sequence += _changes(n.parties, person)
    ics = invite(
        booking=n.booking,
        coach=n.parties.coach,
        leaders=leaders,
        zone=zone,
        method=method,
        now=n.now,
        locale=copy.locale,
        sequence=sequence,
    )
    note = copy("notices.cancel_note" if method == "CANCEL" else "notices.invite_note")
    return Message(title=title, text="\n".join(lines), footer=note, attachments=(ics,))


def _changes(parties: Parties, person: Person) -> int:
    """How far this leader's own invites are ahead of the booking's sequence."""
    return next((p.changes for p in (*parties.live, *parties.gone) if p.person.id == person.id), 0)


def _seat_of(parties: Parties, person: Person | None) -> Party | None:
    if person is None:
        return None
    found = [p for p in (*parties.live, *parties.gone) if p.person.id == person.id]
    return found[0] if found else Party(person, None)


def _dedupe(n: _Notice, person: Person) -> str:
    key = f"booking:{n.booking.id}:{n.booking.sequence}:{n.event}:{person.id}"
    if n.event in ("joined", "left") and n.seat_party is not None:
        # Joining and leaving do not move the sequence: tell each change of each seat apart.
        seat = n.seat_party.seat
        stamp = f"{seat.id}-{seat.updated_at:%Y%m%dT%H%M%S}" if seat else "0"
        key += f":{n.seat_party.person.id}:{stamp}"
    return key


async def announce(
    *,
    db: AsyncSession,
    booking: Booking,
    event: Event,
    now: datetime,
    actor: Person | None,
    seat_leader: Person | None = None,
    previous: Slot | None = None,
) -> Message | None:
    """Queue the news of `event` to every party but `actor`; return the actor's own message."""
    if event in ("joined", "left") and seat_leader is None:
        raise ValueError(f"announcing {event!r} needs the seat_leader")
    parties = await load_parties(db=db, booking=booking, now=now)
    if event == "cancelled" and booking.status == "confirmed":
        # Only seats were cancelled (a leader leaving a group session): the session goes on.
        event = "left"
        seat_leader = seat_leader or (parties.gone[0].person if parties.gone else actor)
        if seat_leader is None:
            return None
    notice = _Notice(booking, event, parties, now, actor, _seat_of(parties, seat_leader), previous)
    if event in ("joined", "left"):
        assert notice.seat_party is not None
        recipients: Sequence[Person] = (parties.coach, notice.seat_party.person)
    else:
        recipients = (parties.coach, *(p.person for p in (*parties.live, *parties.gone)))
    for person in recipients:
        if actor is not None and person.id == actor.id:
            continue
        await enqueue(
            db=db,
            person=person,
            message=_message(notice, person),
            now=now,
            kind="booking",
            dedupe_key=_dedupe(notice, person),
        )
    return _message(notice, actor) if actor is not None else None


async def join_link_ready(*, db: AsyncSession, booking: Booking, now: datetime) -> None:
    """Tell each party the Teams link the calendar sync just created, with the updated invite."""
    if not booking.join_url or booking.status != "confirmed":
        return
    parties = await load_parties(db=db, booking=booking, now=now)
    for person in (parties.coach, *(p.person for p in parties.live)):
        copy = copy_for(person.locale)
        zone = safe_zone(person.timezone)
        is_coach = person.id == parties.coach.id
        text = copy(
            "notices.join_link_ready", time=show(booking.starts_at, zone), url=booking.join_url
        )
        if is_coach and parties.coach_calendar:  # the link is in the event on their calendar
            message = Message(title=copy("notices.title_join_link"), text=text)
        else:
            message = Message(
                title=copy("notices.title_join_link"),
                text=text,
                attachments=(_join_invite(booking, parties, person, zone, now, copy.locale),),
            )
        await enqueue(
            db=db,
            person=person,
            message=message,
            now=now,
            kind="booking",
            dedupe_key=f"joinlink:{booking.id}:{booking.sequence}:{person.id}",
        )


def _join_invite(
    booking: Booking, parties: Parties, person: Person, zone: str, now: datetime, locale: str
) -> Attachment:
    is_coach = person.id == parties.coach.id
    return invite(
        booking=booking,
        coach=parties.coach,
        leaders=[p.person for p in parties.live] if is_coach else [person],
        zone=zone,
        method="REQUEST",
        now=now,
        locale=locale,
        sequence=booking.sequence + (0 if is_coach else _changes(parties, person)),
    )
