"""Help, greetings, upcoming sessions, privacy, and answers to unknown or expired input."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from bot.people import current_engagement
from bot.routes import COMMAND_ACTION, ROUTES, Turn
from bot.timefmt import show
from bot.ui import Button, Fact, Message
from storage.models import Booking, CheckIn, Goal, Person, Reflection

LEADER_MENU = ("book", "sessions", "goals", "checkin", "reflect", "privacy")
COACH_MENU = ("sessions", "privacy")
NOT_READY = ("book", "goals", "checkin", "reflect", "pause", "resume")
MAX_SESSIONS_SHOWN = 10


def menu(turn: Turn) -> tuple[Button, ...]:
    """The main buttons for the person's role; each runs a command."""
    words = COACH_MENU if turn.interaction.who.role == "coach" else LEADER_MENU
    return tuple(
        Button(label=turn.copy(f"buttons.{w}"), action_id=COMMAND_ACTION, value=w) for w in words
    )


@ROUTES.command("help")
async def help_(turn: Turn) -> list[Message]:
    """Explain what the bot does for this person, with their commands and main buttons."""
    who, copy = turn.interaction.who, turn.copy
    first = who.name.split()[0] if who.name else ""
    if who.role == "coach":
        title, intro = copy("help.coach_title"), copy("help.coach_intro", name=first)
        facts: tuple[Fact, ...] = (
            Fact(label="sessions", value=copy("help.coach_cmd_sessions")),
            Fact(label="help", value=copy("help.cmd_help")),
        )
    else:
        title = copy("help.leader_title")
        if who.role == "admin":
            intro = copy("help.admin_intro", name=first)
        else:
            engagement = await current_engagement(db=turn.db, leader=who)
            coach = engagement.coach if engagement else None
            intro = (
                copy("help.leader_intro", name=first, coach=coach.name)
                if coach
                else copy("help.leader_no_coach", name=first)
            )
        words = ("book", "sessions", "goals", "checkin", "reflect", "pause", "resume")
        facts = tuple(Fact(label=w, value=copy(f"help.cmd_{w}")) for w in words)
        facts += (
            Fact(label="privacy", value=copy("help.cmd_privacy")),
            Fact(label="help", value=copy("help.cmd_help")),
        )
    return [
        Message(
            title=title,
            text=f"{intro}\n\n*{copy('help.commands_heading')}*",
            facts=facts,
            buttons=menu(turn),
            footer=copy("help.footer"),
        )
    ]


@ROUTES.command("hello")
async def hello(turn: Turn) -> list[Message]:
    """Greet the person and offer the main buttons."""
    who = turn.interaction.who
    first = who.name.split()[0] if who.name else ""
    return [Message(text=turn.copy("greeting.hello", name=first), buttons=menu(turn))]


@ROUTES.command("sessions")
async def sessions(turn: Turn) -> list[Message]:
    """List the person's upcoming confirmed sessions in their own time zone."""
    who, copy, now = turn.interaction.who, turn.copy, turn.interaction.now
    other = aliased(Person)
    is_coach = who.role == "coach"
    other_id = Booking.leader_id if is_coach else Booking.coach_id
    rows = (
        await turn.db.execute(
            select(Booking, other.name)
            .join(other, other.id == other_id)
            .where(
                or_(Booking.leader_id == who.id, Booking.coach_id == who.id),
                Booking.status == "confirmed",
                Booking.ends_at > now,
            )
            .order_by(Booking.starts_at)
            .limit(MAX_SESSIONS_SHOWN)
        )
    ).all()
    if not rows:
        key = "sessions.none_coach" if is_coach else "sessions.none"
        return [Message(text=copy(key), buttons=menu(turn))]
    facts = tuple(
        Fact(
            label=show(booking.starts_at, who.timezone),
            value=f"{copy(f'sessions.kind_{booking.kind}')} "
            + copy(
                "sessions.with_leader" if is_coach else "sessions.with_coach",
                leader=name,
                coach=name,
            ),
        )
        for booking, name in rows
    )
    return [
        Message(
            title=copy("sessions.title"),
            text=copy("common.time_in_zone", zone=who.timezone),
            facts=facts,
        )
    ]


@ROUTES.command("privacy")
async def privacy(turn: Turn) -> list[Message]:
    """Say what is kept about the person and who can see it, with real counts."""
    who, copy, db = turn.interaction.who, turn.copy, turn.db
    reflections = await db.scalar(select(func.count()).where(Reflection.leader_id == who.id)) or 0
    shared = (
        await db.scalar(
            select(func.count()).where(
                Reflection.leader_id == who.id, Reflection.shared_with_coach.is_(True)
            )
        )
        or 0
    )
    goals = await db.scalar(select(func.count()).where(Goal.leader_id == who.id)) or 0
    checkins = await db.scalar(select(func.count()).where(CheckIn.leader_id == who.id)) or 0
    facts = [
        Fact(
            label=copy("privacy.kept"),
            value=copy(
                "privacy.kept_value",
                reflections=reflections,
                shared=shared,
                goals=goals,
                checkins=checkins,
            ),
        )
    ]
    engagement = await current_engagement(db=db, leader=who)
    if engagement and engagement.coach:
        facts.append(Fact(label=copy("privacy.coach"), value=engagement.coach.name))
    return [
        Message(
            title=copy("privacy.title"),
            text=copy("privacy.body"),
            facts=tuple(facts),
            footer=copy("privacy.export_erase"),
        )
    ]


def _not_ready(word: str) -> None:
    @ROUTES.command(word)
    async def answer(turn: Turn) -> list[Message]:
        copy = turn.copy
        lines = [copy("not_ready.text", feature=copy(f"not_ready.feature_{word}"))]
        engagement = await current_engagement(db=turn.db, leader=turn.interaction.who)
        if engagement and engagement.coach:
            coach = engagement.coach
            lines.append(copy("not_ready.coach_contact", coach=coach.name, email=coach.email))
        else:
            lines.append(copy("not_ready.no_coach"))
        return [Message(text="\n".join(lines), buttons=menu(turn))]


for _word in NOT_READY:
    _not_ready(_word)


async def unknown(turn: Turn) -> list[Message]:
    """Answer input we do not recognise with what we can do."""
    copy = turn.copy
    word = turn.interaction.text.strip().split()[0] if turn.interaction.text.strip() else ""
    text = f"{copy('unknown.text', word=word[:40])} {copy('unknown.hint')}"
    return [Message(text=text, buttons=menu(turn))]


async def free_text(turn: Turn) -> list[Message]:
    """Free text that is not a command: the bot never coaches, so it points to the coach."""
    if turn.interaction.who.role != "leader" or len(turn.interaction.text.split()) < 4:
        return await unknown(turn)
    return [Message(text=turn.copy("unknown.developmental"), buttons=menu(turn))]


ROUTES.free_text = free_text


async def expired(turn: Turn) -> list[Message]:
    """A button or form we no longer know: say so, change nothing, show the menu."""
    key = "common.expired_form" if turn.interaction.kind == "submit" else "common.expired_button"
    return [Message(text=turn.copy(key), buttons=menu(turn))]
