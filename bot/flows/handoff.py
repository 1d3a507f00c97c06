"""The developmental handoff: a leader's words go to their coach only as and when they choose."""

from __future__ import annotations

from bot import handoffs
from bot.flows import basics
from bot.handoffs import AGENDA, PRIVATE, SHARED, SOON, WITHDRAWN
from bot.outbox import enqueue
from bot.people import current_engagement
from bot.routes import ROUTES, Turn
from bot.timefmt import show
from bot.ui import Button, Message, literal
from prompts import copy_for
from storage.models import Booking, Handoff, Person

TEXT_MAX = 3000  # what one chat message can carry to the coach, in every channel


async def offer(turn: Turn) -> list[Message]:
    """Keep a leader's developmental words privately and offer their choices; never answer them.

    The offer carries `handoffs.offer_key` as its queue key, so that the answers (which say
    `replaces` with it) update it in place.
    """
    who, copy, now = turn.interaction.who, turn.copy, turn.interaction.now
    if who.role != "leader":
        return await basics.free_text(turn)
    text = turn.interaction.text.strip()
    if len(text) > TEXT_MAX:
        too_long = copy("handoff.too_long", length=len(text), limit=TEXT_MAX)
        return [Message(text=too_long, buttons=basics.menu(turn))]
    engagement = await current_engagement(db=turn.db, leader=who)
    coach = engagement.coach if engagement is not None else None
    coach_id = coach.id if coach is not None else None
    handoff = await handoffs.create(db=turn.db, leader=who, coach_id=coach_id, text=text, now=now)
    if coach is None:
        message = Message(text=copy("handoff.offer_no_coach"), buttons=basics.menu(turn))
    else:
        session = await _next(turn, handoff)
        buttons = _choices(turn, handoff, coach, session, keep_private=True)
        message = Message(text=copy("handoff.offer", coach=coach.name), buttons=buttons)
    return [message.model_copy(update={"key": handoffs.offer_key(handoff.id)})]


async def _next(turn: Turn, handoff: Handoff) -> Booking | None:
    if handoff.coach_id is None:
        return None
    return await handoffs.next_session(
        db=turn.db, leader_id=handoff.leader_id, coach_id=handoff.coach_id, now=turn.interaction.now
    )


def _when(turn: Turn, session: Booking) -> str:
    return show(session.starts_at, turn.interaction.who.timezone)


def _choices(
    turn: Turn, handoff: Handoff, coach: Person, session: Booking | None, *, keep_private: bool
) -> tuple[Button, ...]:
    """The leader's choices for a handoff; each button carries its id."""
    copy, value, now = turn.copy, str(handoff.id), turn.interaction.now
    buttons: list[Button] = []
    if session is not None:
        label = copy("handoff.agenda_button", when=_when(turn, session), coach=coach.name)
        agenda_value = f"{value}:{session.id}"
        buttons.append(Button(label=label, action_id="handoff.agenda", value=agenda_value))
    label = copy("handoff.share_button", coach=coach.name)
    buttons.append(Button(label=label, action_id="handoff.share", value=value))
    if session is None or session.starts_at > now + SOON:
        label = copy("handoff.book_button")
        buttons.append(Button(label=label, action_id="handoff.book", value=value))
    if keep_private:
        label = copy("handoff.private_button")
        buttons.append(Button(label=label, action_id="handoff.private", value=value))
    return tuple(buttons)


async def _mine(turn: Turn) -> tuple[Handoff | None, list[Message]]:
    """The clicked handoff if it is the clicker's; else the refusal to send instead."""
    raw = turn.interaction.value.split(":", 1)[0]
    handoff = await turn.db.get(Handoff, int(raw)) if raw.isdigit() else None
    if handoff is None or handoff.coach_id is None:
        return None, await basics.expired(turn)
    if handoff.leader_id != turn.interaction.who.id:  # never `replaces`: it is not their message
        return None, [Message(text=turn.copy("handoff.not_yours"), buttons=basics.menu(turn))]
    return handoff, []


async def _coach(turn: Turn, handoff: Handoff) -> Person | None:
    return await turn.db.get(Person, handoff.coach_id) if handoff.coach_id is not None else None


def _answer(handoff: Handoff, text: str, buttons: tuple[Button, ...] = ()) -> list[Message]:
    """The leader's answer, shown in place of the offer."""
    return [Message(text=text, buttons=buttons, replaces=handoffs.offer_key(handoff.id))]


def _settled(turn: Turn, handoff: Handoff, coach: Person) -> list[Message] | None:
    """The answer when the text already reached the coach (nothing can change), else None."""
    if handoff.status == SHARED:
        return _answer(handoff, turn.copy("handoff.already_shared", coach=coach.name))
    if handoff.status == AGENDA and handoff.delivered_at is not None:
        return _answer(handoff, turn.copy("handoff.already_sent", coach=coach.name))
    return None


async def _session(turn: Turn, handoff: Handoff) -> Booking | None:
    """The session the clicked button named, if still ahead and theirs; else their next one."""
    _, _, booking_raw = turn.interaction.value.partition(":")
    booking = await turn.db.get(Booking, int(booking_raw)) if booking_raw.isdigit() else None
    if (
        booking is not None
        and booking.status == "confirmed"
        and booking.kind == "session"
        and booking.coach_id == handoff.coach_id
        and booking.starts_at > turn.interaction.now
    ):
        await turn.db.refresh(booking, ["seats"])
        if any(s.leader_id == handoff.leader_id and s.status == "confirmed" for s in booking.seats):
            return booking
    return await _next(turn, handoff)


async def _acting(turn: Turn) -> tuple[Handoff, Person] | list[Message]:
    """The clicked handoff (the leader's own) and their coach; else the refusal to send."""
    handoff, refused = await _mine(turn)
    coach = await _coach(turn, handoff) if handoff is not None else None
    if handoff is None or coach is None:
        return refused or await basics.expired(turn)
    return handoff, coach


async def _open(turn: Turn) -> tuple[Handoff, Person] | list[Message]:
    """Like `_acting`, and the answer instead when the words already reached the coach."""
    found = await _acting(turn)
    if isinstance(found, list):
        return found
    return _settled(turn, *found) or found


@ROUTES.action("handoff.agenda")
async def agenda(turn: Turn) -> list[Message]:
    """Put the handoff on the agenda of the leader's next session with their coach."""
    found = await _open(turn)
    if isinstance(found, list):
        return found
    handoff, coach = found
    session = await _session(turn, handoff)
    if session is None:
        text = turn.copy("handoff.agenda_no_session", coach=coach.name)
        return _answer(handoff, text, _choices(turn, handoff, coach, None, keep_private=True))
    handoffs.set_status(handoff, AGENDA, now=turn.interaction.now, booking_id=session.id)
    if session.brief_sent_at is not None:  # the brief went already: the item follows it now
        return await _after_brief(turn, handoff, coach, session)
    text = turn.copy("handoff.agenda_done", when=_when(turn, session), coach=coach.name)
    withdraw = Button(
        label=turn.copy("handoff.withdraw_button"),
        action_id="handoff.withdraw",
        value=str(handoff.id),
    )
    return _answer(handoff, text, (withdraw,))


async def _after_brief(
    turn: Turn, handoff: Handoff, coach: Person, session: Booking
) -> list[Message]:
    """An agenda item for a session whose brief has gone: it goes to the coach at once."""
    now = turn.interaction.now
    handoff.delivered_at = now
    copy, leader = copy_for(coach.locale), turn.interaction.who
    when = show(session.starts_at, coach.timezone)
    intro = copy("handoff.coach_agenda_late", leader=leader.name, when=when)
    await enqueue(
        db=turn.db,
        person=coach,
        message=Message(text=f"{intro}\n\n{_words(handoff)}"),
        now=now,
        kind="handoff",
        dedupe_key=handoffs.coach_key(handoff.id),
    )
    text = turn.copy("handoff.agenda_late", when=_when(turn, session), coach=coach.name)
    return _answer(handoff, text)


def _words(handoff: Handoff) -> str:
    """The leader's words verbatim, one literal span per line."""
    return "\n".join(literal(line) if line else "" for line in (handoff.text or "").splitlines())


@ROUTES.action("handoff.share")
async def share(turn: Turn) -> list[Message]:
    """Hand the leader's words to their coach now, verbatim, with reply guidance."""
    found = await _acting(turn)
    if isinstance(found, list):
        return found
    handoff, coach = found
    done = turn.copy("handoff.shared_done", coach=coach.name)
    if handoff.status == SHARED:
        return _answer(handoff, done)
    settled = _settled(turn, handoff, coach)
    if settled is not None:
        return settled
    now = turn.interaction.now
    handoffs.set_status(handoff, SHARED, now=now)
    handoff.delivered_at = now
    message = await coach_message(turn, handoff, coach)
    await enqueue(
        db=turn.db,
        person=coach,
        message=message,
        now=now,
        kind="handoff",
        dedupe_key=handoffs.coach_key(handoff.id),
    )
    return _answer(handoff, done)


async def coach_message(turn: Turn, handoff: Handoff, coach: Person) -> Message:
    """The coach's copy: who shared it, their words verbatim, how to reply (coach's zone)."""
    copy, leader = copy_for(coach.locale), turn.interaction.who
    session = await _next(turn, handoff)
    if session is not None:
        when = show(session.starts_at, coach.timezone)
        guidance = copy("handoff.coach_reply_session", leader=leader.name, when=when)
    else:
        guidance = copy("handoff.coach_reply", leader=leader.name)
    intro = copy("handoff.coach_intro", leader=leader.name)
    return Message(text=f"{intro}\n\n{_words(handoff)}\n\n{guidance}")


@ROUTES.action("handoff.private")
async def keep_private(turn: Turn) -> list[Message]:
    """Keep the handoff to the leader alone; nothing is sent."""
    found = await _open(turn)
    if isinstance(found, list):
        return found
    handoff, coach = found
    handoffs.set_status(handoff, PRIVATE, now=turn.interaction.now)
    session = await _next(turn, handoff)
    buttons = _choices(turn, handoff, coach, session, keep_private=False)
    return _answer(handoff, turn.copy("handoff.private_done"), buttons)


@ROUTES.action("handoff.withdraw")
async def withdraw(turn: Turn) -> list[Message]:
    """Take an item off the agenda until the brief is sent; it stays private to the leader."""
    found = await _open(turn)
    if isinstance(found, list):
        return found
    handoff, coach = found
    if handoff.status == AGENDA:
        handoffs.set_status(handoff, WITHDRAWN, now=turn.interaction.now)
    session = await _next(turn, handoff)
    buttons = _choices(turn, handoff, coach, session, keep_private=False)
    key = "handoff.withdrawn_done" if handoff.status == WITHDRAWN else "handoff.private_done"
    return _answer(handoff, turn.copy(key), buttons)


@ROUTES.action("handoff.book")
async def book(turn: Turn) -> list[Message]:
    """Start the booking flow (the handoff stays as it is, to be placed on the new session)."""
    handoff, refused = await _mine(turn)
    if handoff is None:
        return refused
    start = ROUTES.commands.get("book")
    if start is None:
        return await basics.expired(turn)
    return await start(turn)
