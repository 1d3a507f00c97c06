"""Help, greetings, the main menu, and answers to unknown, expired or not-yet-built input."""

from __future__ import annotations

import re

from bot.people import current_engagement
from bot.routes import COMMAND_ACTION, ROUTES, Turn
from bot.ui import Button, Fact, Message

LEADER_COMMANDS = (
    "book",
    "sessions",
    "rematch",
    "goals",
    "checkin",
    "reflect",
    "nudges",
    "pause",
    "resume",
)
COACH_COMMANDS = ("sessions", "away", "group")
# Words whose flows arrive in later issues; each issue removes its words when it registers them.
NOT_READY: frozenset[str] = frozenset()
LEADER_MENU = ("book", "sessions", "goals", "checkin", "reflect", "privacy", "help")
COACH_MENU = ("sessions", "away", "group", "privacy", "help")
DEVELOPMENTAL_MIN_WORDS = 4
ECHO_LIMIT = 40
_UNSAFE_ECHO = re.compile(r"[\x00-\x1f\x7f*_~`<>|\[\]]")


def is_coach(turn: Turn) -> bool:
    """True when the person talking is a coach."""
    return turn.interaction.who.role == "coach"


def menu(turn: Turn) -> tuple[Button, ...]:
    """The main buttons for the person's role (only what works today); each runs a command."""
    words = COACH_MENU if is_coach(turn) else LEADER_MENU
    return tuple(
        Button(label=turn.copy(f"buttons.{w}"), action_id=COMMAND_ACTION, value=w)
        for w in words
        if w not in NOT_READY
    )


def with_menu(turn: Turn, *first: Button) -> tuple[Button, ...]:
    """`first`, then the main buttons that do not repeat one of them."""
    taken = {(b.action_id, b.value) for b in first}
    return first + tuple(b for b in menu(turn) if (b.action_id, b.value) not in taken)


def first_name(turn: Turn) -> str:
    """The person's first name, for a friendly greeting."""
    name = turn.interaction.who.name.strip()
    return name.split()[0] if name else ""


@ROUTES.command("help")
async def help_(turn: Turn) -> list[Message]:
    """Explain what the bot does for this person, with their commands and main buttons."""
    who, copy = turn.interaction.who, turn.copy
    if is_coach(turn):
        title, intro, footer = (
            copy("help.coach_title"),
            copy("help.coach_intro", name=first_name(turn)),
            copy("help.coach_footer"),
        )
        words: tuple[str, ...] = tuple(f"coach_{w}" for w in COACH_COMMANDS)
    else:
        title, footer, words = copy("help.leader_title"), copy("help.footer"), LEADER_COMMANDS
        engagement = await current_engagement(db=turn.db, leader=who)
        coach = engagement.coach if engagement else None
        if who.role == "admin":
            intro = copy("help.admin_intro", name=first_name(turn))
        elif coach:
            intro = copy("help.leader_intro", name=first_name(turn), coach=coach.name)
        else:
            intro = copy("help.leader_no_coach", name=first_name(turn))
    facts = []
    for key in (*words, "privacy", "help"):
        word = key.removeprefix("coach_")
        value = copy(f"help.cmd_{key}")
        if word in NOT_READY:
            value = f"{value} {copy('help.not_yet')}"
        facts.append(Fact(label=word, value=value))
    return [
        Message(
            title=title,
            text=f"{intro}\n\n*{copy('help.commands_heading')}*",
            facts=tuple(facts),
            buttons=menu(turn),
            footer=footer,
        )
    ]


@ROUTES.command("hello")
async def hello(turn: Turn) -> list[Message]:
    """Greet the person and offer the main buttons."""
    return [Message(text=turn.copy("greeting.hello", name=first_name(turn)), buttons=menu(turn))]


def _leader_command(word: str) -> None:
    @ROUTES.command(word)
    async def answer(turn: Turn) -> list[Message]:
        copy = turn.copy
        if turn.interaction.who.role != "leader":
            text = copy("not_ready.leaders_only", word=word)
            return [Message(text=text, buttons=menu(turn))]
        lines = [copy("not_ready.text", feature=copy(f"not_ready.feature_{word}"))]
        engagement = await current_engagement(db=turn.db, leader=turn.interaction.who)
        if engagement and engagement.coach:
            coach = engagement.coach
            lines.append(copy("not_ready.coach_contact", coach=coach.name, email=coach.email))
        else:
            lines.append(copy("not_ready.no_coach"))
        return [Message(text="\n".join(lines), buttons=menu(turn))]


for _word in sorted(NOT_READY):
    _leader_command(_word)


def echo(text: str) -> str:
    """What the person typed, made safe to quote back: no markup, no control characters."""
    cleaned = " ".join(_UNSAFE_ECHO.sub(" ", text).split())
    return cleaned if len(cleaned) <= ECHO_LIMIT else cleaned[: ECHO_LIMIT - 1] + "…"


async def unknown(turn: Turn) -> list[Message]:
    """Answer input we do not recognise with what we can do."""
    copy = turn.copy
    said = echo(turn.interaction.text)
    text = copy("unknown.text", word=said) if said else copy("unknown.empty")
    return [Message(text=f"{text} {copy('unknown.hint')}", buttons=menu(turn))]


async def free_text(turn: Turn) -> list[Message]:
    """Free text that is not a command and not a leader's own words: what we can do.

    A leader's own words are routed before this (bot/flows/routing.py): risk, logistics, their
    coach.
    """
    return await unknown(turn)


ROUTES.free_text = free_text


async def expired(turn: Turn) -> list[Message]:
    """A button or form we no longer know: say so, change nothing, show the menu."""
    key = "common.expired_form" if turn.interaction.kind == "submit" else "common.expired_button"
    return [Message(text=turn.copy(key), buttons=menu(turn))]
