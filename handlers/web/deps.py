"""What the web edge is built from: the database, clock, dispatcher, sweeps, optional model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from bot.clock import VirtualClock
from bot.llm import LLM
from storage.db import Database

STATIC_DIR = Path(__file__).parent / "static"
NO_STORE = {"Cache-Control": "no-store"}


class Waker(Protocol):
    """The dispatcher as the web edge sees it: wake it after a commit to deliver at once."""

    async def wake(self) -> object:
        """Deliver what is due now."""
        ...


# Run every sweep through a clock move from `start` to `end` (bot.jobs.run_due_through).
RunDue = Callable[[datetime, datetime], Awaitable[list[tuple[str, str]]]]


@dataclass(frozen=True)
class WebDeps:
    """What the web edge needs, built once by app.py."""

    database: Database
    clock: VirtualClock
    dispatcher: Waker
    run_due: RunDue
    scheduler_state: Callable[[], dict[str, object]]
    local_mode: bool
    llm: LLM | None = None
