"""Choosing a coach in chat: the top matches with reasons, a chemistry call, and re-matching."""

from __future__ import annotations

from bot.booking.errors import AlreadyYourCoach, BookingError, NotEnrolled
from bot.booking.matching import Match, choose_coach, top_matches
from bot.booking.service import upcoming
from bot.flows.basics import menu
from bot.flows.booking import days_message, engagement_of, refusal
from bot.flows.picks import Pick
from bot.outbox import enqueue
from bot.routes import ROUTES, Turn
from bot.ui import Button, Message
from prompts import copy_for
from storage.models import Engagement, Person


async def offer(turn: Turn, engagement: Engagement, *, rematch: bool) -> list[Message]:
    """The top three coaches for the leader's programme, each with why, to choose or meet."""
    copy, now = turn.copy, turn.interaction.now
    exclude = {engagement.coach_id} if rematch and engagement.coach_id else set()
    try:
        matches = await top_matches(db=turn.db, engagement=engagement, now=now, exclude=exclude)
    except BookingError as err:
        return [refusal(turn, err)]
    if not matches:
        return [Message(text=copy("booking.match_none"), buttons=menu(turn))]
    if rematch and engagement.coach is not None:
        count = await _sessions_with(turn, engagement.coach.id)
        key = "booking.rematch_intro" + {0: "_none", 1: "_one"}.get(count, "")
        intro = copy(key, coach=engagement.coach.name, count=count)
    else:
        intro = copy("booking.match_intro", programme=engagement.programme.name)
    return [Message(text=intro), *(_card(turn, match) for match in matches)]


def _card(turn: Turn, match: Match) -> Message:
    copy, coach = turn.copy, match.coach
    first = coach.name.split()[0] if coach.name.strip() else coach.name
    reasons = "\n".join(f"• {copy(r.key, **r.values)}" for r in match.reasons)
    bio = f"{match.profile.bio}\n\n" if match.profile.bio else ""
    return Message(
        title=coach.name,
        text=f"{bio}{reasons}",
        buttons=(
            Button(
                label=copy("booking.choose_coach", name=first),
                action_id="match.choose",
                value=str(coach.id),
                style="primary",
            ),
            Button(
                label=copy("booking.chemistry_button"),
                action_id="match.chemistry",
                value=str(coach.id),
            ),
        ),
    )


async def _sessions_with(turn: Turn, coach_id: int) -> int:
    """How many upcoming sessions the leader has with this coach."""
    ups = await upcoming(db=turn.db, person=turn.interaction.who, now=turn.interaction.now)
    return sum(1 for u in ups if u.booking.coach_id == coach_id)


@ROUTES.command("rematch")
async def rematch(turn: Turn) -> list[Message]:
    """Offer other coaches to a leader who wants a change."""
    if turn.interaction.who.role != "leader":
        return [Message(text=turn.copy("booking.coach_book"), buttons=menu(turn))]
    try:
        engagement = await engagement_of(turn)
    except BookingError as err:
        return [refusal(turn, err)]
    return await offer(turn, engagement, rematch=engagement.coach is not None)


async def _chosen(turn: Turn) -> tuple[Engagement, Person] | Message:
    try:
        engagement = await engagement_of(turn)
    except NotEnrolled as err:
        return refusal(turn, err)
    value = turn.interaction.value
    coach = await turn.db.get(Person, int(value)) if value.isdigit() else None
    if coach is None or coach.role != "coach":
        return Message(text=turn.copy("common.expired_button"), buttons=menu(turn))
    return engagement, coach


@ROUTES.action("match.choose")
async def choose(turn: Turn) -> list[Message]:
    """Ask the leader to confirm their choice of coach (and what a change cancels)."""
    found = await _chosen(turn)
    if isinstance(found, Message):
        return [found]
    engagement, coach = found
    copy = turn.copy
    if engagement.coach_id == coach.id:
        return [Message(text=copy("booking.already_your_coach", coach=coach.name))]
    text = copy("booking.choose_confirm", coach=coach.name)
    if engagement.coach is not None:
        count = await _sessions_with(turn, engagement.coach.id)
        if count:
            key = "booking.choose_cancels_one" if count == 1 else "booking.choose_cancels"
            text += "\n" + copy(key, count=count, old=engagement.coach.name)
    return [
        Message(
            text=text,
            buttons=(
                Button(
                    label=copy("booking.choose_yes", name=coach.name),
                    action_id="match.confirm",
                    value=str(coach.id),
                    style="primary",
                ),
                Button(label=copy("booking.choose_back"), action_id="command", value="rematch"),
            ),
        )
    ]


@ROUTES.action("match.confirm")
async def confirm(turn: Turn) -> list[Message]:
    """Make the chosen coach the leader's coach, tell the coach, and offer days to book."""
    found = await _chosen(turn)
    if isinstance(found, Message):
        return [found]
    engagement, coach = found
    copy, who, now = turn.copy, turn.interaction.who, turn.interaction.now
    old = engagement.coach
    try:
        engagement = await choose_coach(
            db=turn.db, engagement=engagement, coach_id=coach.id, now=now
        )
    except BookingError as err:
        return [refusal(turn, err)]
    await turn.db.refresh(engagement, ["coach", "programme"])
    if old is None or old.id != coach.id:
        note = copy_for(coach.locale)(
            "booking.new_client", leader=who.name, programme=engagement.programme.name
        )
        await enqueue(db=turn.db, person=coach, message=Message(text=note), now=now, kind="booking")
        if old is not None:
            gone = copy_for(old.locale)("booking.client_moved", leader=who.name)
            await enqueue(
                db=turn.db, person=old, message=Message(text=gone), now=now, kind="booking"
            )
    done = copy("booking.coach_chosen", coach=coach.name)
    days = await days_message(turn, engagement, Pick("session", coach.id), note=done)
    return [days]


@ROUTES.action("match.chemistry")
async def chemistry(turn: Turn) -> list[Message]:
    """Offer days for a 20-minute chemistry call with a candidate coach."""
    found = await _chosen(turn)
    if isinstance(found, Message):
        return [found]
    engagement, coach = found
    if engagement.coach_id == coach.id:
        return [refusal(turn, AlreadyYourCoach(coach=coach.name))]
    return [await days_message(turn, engagement, Pick("chemistry", coach.id))]
