"""Booking in chat: `book`, then a day, then a time, then confirm (also for moving a session)."""

from __future__ import annotations

from typing import Literal

from bot.booking import service
from bot.booking.allowance import sessions_left
from bot.booking.availability import is_open, slots_for
from bot.booking.errors import (
    AlreadyYourCoach,
    BookingError,
    LeaderBusy,
    NoSessionsLeft,
    NotEnrolled,
    NotYourCoach,
    SlotInPast,
    SlotTaken,
    SlotUnavailable,
    ZoneMissing,
)
from bot.booking.model import Slot
from bot.booking.slots import by_day
from bot.flows.basics import menu
from bot.flows.picks import Pick, day_label, parse_day, parse_slot, slot_label
from bot.people import current_engagement
from bot.routes import ROUTES, Turn
from bot.timefmt import is_valid_zone, local, show
from bot.ui import Button, Choices, Fact, Message, Option
from storage.models import Booking, Engagement, Person

DAYS_PER_PAGE = 7
SLOTS_PER_PAGE = 4
FRESH_SLOT_ERRORS = (SlotTaken, SlotInPast, SlotUnavailable, LeaderBusy)


def refusal(turn: Turn, err: BookingError) -> Message:
    """A refused request as a message: what went wrong (nothing changed), and the menu."""
    return Message(text=turn.copy(err.key, **err.values), buttons=menu(turn))


async def engagement_of(turn: Turn) -> Engagement:
    """The leader's current engagement (coach and programme loaded), or NotEnrolled."""
    engagement = await current_engagement(db=turn.db, leader=turn.interaction.who)
    if engagement is None:
        raise NotEnrolled()
    return engagement


@ROUTES.command("book")
async def book(turn: Turn) -> list[Message]:
    """Start booking: choose a coach first if needed, else pick a day with the coach."""
    if turn.interaction.who.role != "leader":
        return [Message(text=turn.copy("booking.coach_book"), buttons=menu(turn))]
    try:
        engagement = await engagement_of(turn)
    except BookingError as err:
        return [refusal(turn, err)]
    if engagement.coach is None:
        from bot.flows.matching import offer  # the matching flow imports this module

        return await offer(turn, engagement, rematch=False)
    replies: list[Message] = []
    left = await sessions_left(db=turn.db, engagement=engagement)
    if left <= 0:
        used_up = NoSessionsLeft(allowed=engagement.programme.sessions_per_leader)
        replies.append(Message(text=turn.copy(used_up.key, **used_up.values)))
    else:
        replies.append(await days_message(turn, engagement, Pick("session", engagement.coach.id)))
    groups = await service.open_groups(db=turn.db, engagement=engagement, now=turn.interaction.now)
    if groups:
        replies.append(
            Message(
                text=turn.copy(
                    "booking.groups_open_one" if len(groups) == 1 else "booking.groups_open",
                    count=len(groups),
                ),
                buttons=(Button(label=turn.copy("booking.see_groups"), action_id="book.groups"),),
            )
        )
    return replies


async def _open_slots(turn: Turn, engagement: Engagement, pick: Pick, coach: Person) -> list[Slot]:
    """The coach's open times for this pick, as the leader may book them now."""
    return await slots_for(
        db=turn.db,
        coach=coach,
        leader=turn.interaction.who,
        programme=engagement.programme,
        now=turn.interaction.now,
        length=pick.length(engagement.programme),
        ignore_booking_id=pick.move_id,
    )


async def days_message(
    turn: Turn, engagement: Engagement, pick: Pick, *, page: int = 0, note: str = ""
) -> Message:
    """The days with open times (a page of them) to pick from, in the leader's zone."""
    copy, leader = turn.copy, turn.interaction.who
    coach = await turn.db.get(Person, pick.coach_id)
    if coach is None:
        return Message(text=copy("common.expired_button"), buttons=menu(turn))
    try:
        slots = await _open_slots(turn, engagement, pick, coach)
    except BookingError as err:
        return refusal(turn, err)
    days = by_day(slots, leader.timezone)
    lead = f"{note}\n\n" if note else ""
    if not days:
        text = copy("booking.no_days", coach=coach.name)
        return Message(text=lead + text, buttons=menu(turn))
    page = max(0, min(page, (len(days) - 1) // DAYS_PER_PAGE))
    shown = days[page * DAYS_PER_PAGE : (page + 1) * DAYS_PER_PAGE]
    options = tuple(
        Option(
            label=_day_option(turn, day_label(day), len(day_slots)),
            value=pick.encode(day.isoformat(), "0"),
        )
        for day, day_slots in shown
    )
    buttons = []
    if page > 0:
        buttons.append(_days_button(turn, pick, page - 1, "booking.earlier_days"))
    if (page + 1) * DAYS_PER_PAGE < len(days):
        buttons.append(_days_button(turn, pick, page + 1, "booking.more_days"))
    minutes = int(pick.length(engagement.programme).total_seconds() // 60)
    key = f"booking.pick_day_{pick.kind}" + ("_move" if pick.move_id else "")
    text = copy(key, coach=coach.name, minutes=minutes)
    return Message(
        title=copy(f"booking.title_{pick.kind}"),
        text=f"{lead}{text}\n{copy('common.time_in_zone', zone=leader.timezone)}",
        choices=Choices(
            action_id="book.day", placeholder=copy("booking.pick_day"), options=options
        ),
        buttons=tuple(buttons),
    )


def _day_option(turn: Turn, day: str, count: int) -> str:
    key = "booking.day_option_one" if count == 1 else "booking.day_option"
    return turn.copy(key, day=day, count=count)


def _days_button(turn: Turn, pick: Pick, page: int, key: str) -> Button:
    return Button(label=turn.copy(key), action_id="book.days", value=pick.encode(str(page)))


async def slots_message(
    turn: Turn, engagement: Engagement, pick: Pick, day_text: str, page: int, note: str = ""
) -> Message:
    """The open times of one day (a handful at a time), or the days again if none are left."""
    copy, leader = turn.copy, turn.interaction.who
    day = parse_day(day_text)
    coach = await turn.db.get(Person, pick.coach_id)
    if day is None or coach is None:
        return Message(text=copy("common.expired_button"), buttons=menu(turn))
    try:
        slots = await _open_slots(turn, engagement, pick, coach)
    except BookingError as err:
        return refusal(turn, err)
    today = dict(by_day(slots, leader.timezone)).get(day, [])
    if not today:
        note = note or copy("booking.day_gone", day=day_label(day))
        return await days_message(turn, engagement, pick, note=note)
    page = max(0, min(page, (len(today) - 1) // SLOTS_PER_PAGE))
    shown = today[page * SLOTS_PER_PAGE : (page + 1) * SLOTS_PER_PAGE]
    buttons = [
        Button(
            label=slot_label(slot, leader.timezone),
            action_id="book.slot",
            value=pick.encode(slot.key()),
        )
        for slot in shown
    ]
    if (page + 1) * SLOTS_PER_PAGE < len(today):
        buttons.append(
            Button(
                label=copy("booking.more_times"),
                action_id="book.day",
                value=pick.encode(day.isoformat(), str(page + 1)),
            )
        )
    buttons.append(_days_button(turn, pick, 0, "booking.other_days"))
    lead = f"{note}\n\n" if note else ""
    text = copy("booking.pick_time", day=day_label(day), coach=coach.name, count=len(today))
    return Message(text=lead + text, buttons=tuple(buttons))


async def _context(turn: Turn, extras: int) -> tuple[Engagement, Pick, list[str]] | BookingError:
    decoded = Pick.decode(turn.interaction.value, extras)
    engagement = await current_engagement(db=turn.db, leader=turn.interaction.who)
    if engagement is None:
        return NotEnrolled()
    if decoded is None:
        return BookingError()
    pick, rest = decoded
    if pick.move_id is None and pick.kind == "session" and pick.coach_id != engagement.coach_id:
        other = await turn.db.get(Person, pick.coach_id)
        return NotYourCoach(coach=other.name if other else "?")
    if pick.kind == "chemistry" and pick.coach_id == engagement.coach_id:
        own = engagement.coach
        return AlreadyYourCoach(coach=own.name if own else "?")
    return engagement, pick, rest


@ROUTES.action("book.days")
async def more_days(turn: Turn) -> list[Message]:
    """Another page of days."""
    found = await _context(turn, 1)
    if isinstance(found, BookingError):
        return [refusal(turn, found)]
    engagement, pick, (page,) = found
    return [await days_message(turn, engagement, pick, page=int(page) if page.isdigit() else 0)]


@ROUTES.action("book.day")
async def pick_day(turn: Turn) -> list[Message]:
    """The open times of the chosen day."""
    found = await _context(turn, 2)
    if isinstance(found, BookingError):
        return [refusal(turn, found)]
    engagement, pick, (day, page) = found
    return [await slots_message(turn, engagement, pick, day, int(page) if page.isdigit() else 0)]


@ROUTES.action("book.slot")
async def pick_slot(turn: Turn) -> list[Message]:
    """Ask the leader to confirm the chosen time (or the move), with what it will use."""
    found = await _context(turn, 1)
    if isinstance(found, BookingError):
        return [refusal(turn, found)]
    engagement, pick, (key,) = found
    copy, leader = turn.copy, turn.interaction.who
    slot = parse_slot(key, pick.length(engagement.programme))
    coach = await turn.db.get(Person, pick.coach_id)
    if slot is None or coach is None:
        return [Message(text=copy("common.expired_button"), buttons=menu(turn))]
    for person in (leader, coach):
        if not is_valid_zone(person.timezone):
            return [refusal(turn, ZoneMissing(name=person.name))]
    still_open = await is_open(
        db=turn.db,
        coach=coach,
        leader=leader,
        programme=engagement.programme,
        slot=slot,
        now=turn.interaction.now,
        ignore_booking_id=pick.move_id,
    )
    if not still_open:
        gone = SlotUnavailable()
        shown_day = local(slot.starts_at, leader.timezone).date().isoformat()
        note = copy(gone.key, **gone.values)
        return [await slots_message(turn, engagement, pick, shown_day, 0, note=note)]
    minutes = int(slot.length.total_seconds() // 60)
    facts = [
        Fact(label=copy("booking.when"), value=show(slot.starts_at, leader.timezone)),
        Fact(label=copy("booking.with"), value=coach.name),
        Fact(label=copy("booking.length"), value=copy("booking.minutes", minutes=minutes)),
    ]
    if coach.timezone != leader.timezone:
        facts.insert(
            1,
            Fact(
                label=copy("booking.their_time", name=coach.name.split()[0]),
                value=show(slot.starts_at, coach.timezone),
            ),
        )
    text = copy(f"booking.confirm_{pick.kind}", coach=coach.name)
    if pick.move_id is not None:
        moving = await turn.db.get(Booking, pick.move_id)
        if moving is not None:
            was = show(moving.starts_at, leader.timezone)
            text = copy("booking.confirm_move", was=was)
    elif pick.kind == "session":
        left = await sessions_left(db=turn.db, engagement=engagement)
        total = engagement.programme.sessions_per_leader
        after = copy("booking.left_value", left=left - 1, total=total)
        facts.append(Fact(label=copy("booking.left_after"), value=after))
    day = local(slot.starts_at, leader.timezone).date()
    return [
        Message(
            title=copy("booking.confirm_title"),
            text=text,
            facts=tuple(facts),
            buttons=(
                Button(
                    label=copy("booking.confirm_button"),
                    action_id="book.confirm",
                    value=pick.encode(key),
                    style="primary",
                ),
                Button(
                    label=copy("booking.other_times"),
                    action_id="book.day",
                    value=pick.encode(day.isoformat(), "0"),
                ),
            ),
        )
    ]


@ROUTES.action("book.confirm")
async def confirm(turn: Turn) -> list[Message]:
    """Book (or move) the chosen time; a lost race gets fresh times, never an error page."""
    found = await _context(turn, 1)
    if isinstance(found, BookingError):
        return [refusal(turn, found)]
    engagement, pick, (key,) = found
    copy, who, now = turn.copy, turn.interaction.who, turn.interaction.now
    slot = parse_slot(key, pick.length(engagement.programme))
    coach = await turn.db.get(Person, pick.coach_id)
    if slot is None or coach is None:
        return [Message(text=copy("common.expired_button"), buttons=menu(turn))]
    try:
        if pick.move_id is not None:
            moving = await turn.db.get(Booking, pick.move_id)
            if moving is None:
                return [Message(text=copy("common.expired_button"), buttons=menu(turn))]
            if moving.starts_at == slot.starts_at and moving.status == "confirmed":
                same = copy("booking.already_then", when=show(slot.starts_at, who.timezone))
                return [Message(text=same, buttons=menu(turn))]
            outcome = await service.reschedule(
                db=turn.db, booking=moving, by=who, slot=slot, now=now
            )
        else:
            kind: Literal["session", "chemistry"] = (
                "chemistry" if pick.kind == "chemistry" else "session"
            )
            outcome = await service.book(
                db=turn.db, engagement=engagement, slot=slot, now=now, kind=kind, coach=coach
            )
    except FRESH_SLOT_ERRORS as err:
        note = copy(err.key, **err.values)
        day = local(slot.starts_at, who.timezone).date()
        return [await slots_message(turn, engagement, pick, day.isoformat(), 0, note=note)]
    except BookingError as err:
        return [refusal(turn, err)]
    if outcome.notice is not None:
        return [outcome.notice]
    return [Message(text=copy("booking.done"), buttons=menu(turn))]
