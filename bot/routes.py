"""Handler tables: command words, button actions and forms, filled in by bot/flows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.interaction import Interaction
from bot.ui import Message
from prompts import Copy

COMMAND_ACTION = "command"
COMMAND_WORDS = (
    "book",
    "sessions",
    "rematch",
    "away",
    "group",
    "goals",
    "checkin",
    "reflect",
    "nudges",
    "pause",
    "resume",
    "privacy",
    "help",
)
GREETINGS = frozenset({"hi", "hello", "hey", "start", "hiya", "morning", "good morning"})


def command_word(text: str) -> str:
    """The first word of a message, lower-cased, without a leading slash or the /coach prefix."""
    words = text.strip().lower().split()
    if words and words[0] in ("/coach", "coach") and len(words) > 1:
        words = words[1:]
    return words[0].lstrip("/") if words else ""


def is_greeting(text: str) -> bool:
    """True for "hi", "hello there" and the like (a greeting, short)."""
    words = [w.strip("!,.?") for w in text.lower().split()]
    return bool(words) and (
        " ".join(words) in GREETINGS or (len(words) <= 3 and words[0] in GREETINGS)
    )


@dataclass(frozen=True)
class Turn:
    """What a handler gets: the session, the interaction and the person's copy catalogue."""

    db: AsyncSession
    interaction: Interaction
    copy: Copy

    @property
    def args(self) -> str:
        """The words after the command word, if any."""
        parts = self.interaction.text.strip().split(maxsplit=1)
        return parts[1] if len(parts) > 1 else ""


Handler = Callable[[Turn], Awaitable[list[Message]]]


class Routes:
    """Tables of handlers: command words, button action ids, form ids and a free-text fallback."""

    def __init__(self) -> None:
        self.commands: dict[str, Handler] = {}
        self.actions: dict[str, Handler] = {}
        self.forms: dict[str, Handler] = {}
        self.free_text: Handler | None = None

    def command(self, word: str) -> Callable[[Handler], Handler]:
        """Register a handler for a command word (Slack `/coach word`, Teams or web text)."""

        def register(fn: Handler) -> Handler:
            self.commands[word] = fn
            return fn

        return register

    def action(self, action_id: str) -> Callable[[Handler], Handler]:
        """Register a handler for a button or choice action id."""

        def register(fn: Handler) -> Handler:
            self.actions[action_id] = fn
            return fn

        return register

    def form(self, form_id: str) -> Callable[[Handler], Handler]:
        """Register a handler for a form submission."""

        def register(fn: Handler) -> Handler:
            self.forms[form_id] = fn
            return fn

        return register


ROUTES = Routes()
