"""Who is talking: a Slack user mapped to a roster person by Slack id, else by email."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.people import by_chat_id, by_email, has_chat_identity, only_organisation
from storage.db import Database
from storage.models import Person, PlatformIdentity, SlackWorkspace

log = logging.getLogger(__name__)

NOT_ENROLLED_FOR = 600.0
"""Seconds to remember that a Slack user is on no roster (users.info is not asked again)."""
EMAIL_FOR = 60.0
"""Seconds a users.info answer fetched before a transaction is kept for it."""
NO_SUCH_USER = frozenset({"user_not_found", "user_not_visible"})
"""users.info errors that are an answer (nobody we can know), not an outage."""
MEMORY = 10_000


class SlackUnavailable(Exception):
    """users.info gave no answer now (rate limited, Slack down, timeout): try again later."""


@dataclass
class Identities:
    """Resolves (team, user) to a person; remembers the misses for a while, stores nothing."""

    _misses: dict[tuple[str, str], float] = field(default_factory=dict)
    _emails: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)

    def _now(self) -> float:
        return time.monotonic()

    async def prefetch(
        self, *, database: Database, client: AsyncWebClient | None, team_id: str, user_id: str
    ) -> None:
        """Ask users.info for a user not linked yet before any write transaction is open.

        Slack may take seconds (or fail): no database lock is held meanwhile. Raises
        SlackUnavailable when Slack cannot answer now.
        """
        key, now = (team_id, user_id), self._now()
        fetched = self._emails.get(key)
        if client is None or self._misses.get(key, 0.0) > now or (fetched and fetched[0] > now):
            return
        async with database.reading() as db:
            if await _linked(db, team_id, user_id):
                return
        email = await email_of(client, user_id)
        if len(self._emails) > MEMORY:
            self._emails.clear()
        self._emails[key] = (self._now() + EMAIL_FOR, email)

    async def resolve(
        self,
        *,
        db: AsyncSession,
        client: AsyncWebClient | None,
        team_id: str,
        user_id: str,
        now: datetime,
    ) -> Person | None:
        """The roster person behind a Slack user, or None when they are on no roster."""
        found = await _by_slack_id(db, team_id, user_id)
        if found is not None:
            return found
        key = (team_id, user_id)
        if self._misses.get(key, 0.0) > self._now():
            return None
        fetched = self._emails.pop(key, None)
        email = fetched[1] if fetched and fetched[0] > self._now() else None
        person = await _by_email(db, client, team_id, user_id, now, email)
        if person is None:
            self._misses[key] = self._now() + NOT_ENROLLED_FOR
            if len(self._misses) > MEMORY:
                self._misses.clear()
        return person

    def forget(self, team_id: str, user_id: str) -> None:
        """Drop a remembered miss (e.g. after a roster import)."""
        self._misses.pop((team_id, user_id), None)


async def _linked(db: AsyncSession, team_id: str, user_id: str) -> bool:
    """True when this Slack user already has an identity (no users.info needed)."""
    return await has_chat_identity(db=db, platform="slack", tenant=team_id, external_id=user_id)


async def email_of(client: AsyncWebClient, user_id: str) -> str:
    """The user's email from users.info; "" when there is none to match (unknown, bot, deleted).

    Raises SlackUnavailable when Slack gives no answer now (429, 5xx, timeout, network).
    """
    try:
        info = await client.users_info(user=user_id)
    except SlackApiError as error:
        code = str(error.response.get("error") or f"http {error.response.status_code}")
        if code in NO_SUCH_USER:
            return ""
        log.warning("slack: users.info failed: %s", code)
        raise SlackUnavailable(code) from None
    except (TimeoutError, SlackClientError, aiohttp.ClientError, OSError, ValueError) as error:
        log.warning("slack: users.info failed: %s", type(error).__name__)
        raise SlackUnavailable(type(error).__name__) from None
    user = info.get("user") or {}
    email = str((user.get("profile") or {}).get("email") or "")
    return "" if user.get("deleted") or user.get("is_bot") else email


async def _by_slack_id(db: AsyncSession, team_id: str, user_id: str) -> Person | None:
    """The person whose Slack identity is this user."""
    return await by_chat_id(db=db, platform="slack", tenant=team_id, external_id=user_id)


async def organisation_of(db: AsyncSession, team_id: str) -> int | None:
    """The organisation that installed this workspace; the only one when there is just one."""
    found = await db.scalar(
        select(SlackWorkspace.organisation_id).where(SlackWorkspace.team_id == team_id)
    )
    if found is not None:
        return found
    return await only_organisation(db)


async def _by_email(
    db: AsyncSession,
    client: AsyncWebClient | None,
    team_id: str,
    user_id: str,
    now: datetime,
    email: str | None = None,
) -> Person | None:
    """users.info (unless prefetched) -> email -> the person with it in the organisation."""
    organisation_id = await organisation_of(db, team_id)
    if organisation_id is None:
        return None
    if email is None:
        if client is None:
            return None
        email = await email_of(client, user_id)
    if not email:
        return None
    person = await by_email(db=db, organisation_id=organisation_id, email=email)
    if person is None:
        return None
    existing = await db.scalar(
        select(PlatformIdentity).where(
            PlatformIdentity.person_id == person.id, PlatformIdentity.platform == "slack"
        )
    )
    if existing is None:
        db.add(
            PlatformIdentity(
                person_id=person.id,
                platform="slack",
                tenant_key=team_id,
                external_id=user_id,
                created_at=now,
            )
        )
    else:  # imported by email only, or the member id changed: this user is who we reach now
        existing.external_id, existing.tenant_key = user_id, team_id
        existing.dm_channel_id = None
        existing.unreachable_reason, existing.unreachable_since = None, None
    await db.flush()
    return person
