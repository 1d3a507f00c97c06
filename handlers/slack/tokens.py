"""Bot tokens per Slack workspace: a stored OAuth installation's, else SLACK_BOT_TOKEN.

A workspace is stopped when Slack says its token is dead (revoked, uninstalled, inactive):
`stop` records why on slack_workspaces (when the workspace row exists) and clears the stored
token, so nothing more is sent there until the app is installed again (`save_installation`,
or `resume`). Answers are cached in memory for a short time; `stop`/`resume` invalidate them.
A stop is also remembered in memory, so a dead default token is not used again by this
process even for a workspace that has no row. Tokens are never logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import Database
from storage.models import SlackInstallation, SlackWorkspace

DEFAULT_TTL = 60.0
MAX_REASON = 200


@dataclass(frozen=True)
class WorkspaceToken:
    """The token to use for one workspace, or why there is none (`stopped`)."""

    token: str | None
    stopped: str | None = None


class WorkspaceTokens:
    """Finds the bot token of a workspace (team id); remembers stopped workspaces."""

    def __init__(
        self,
        database: Database,
        *,
        default_token: SecretStr | None,
        ttl: float = DEFAULT_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self._default = default_token.get_secret_value() if default_token else None
        self._ttl = ttl
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, WorkspaceToken]] = {}
        self._stopped: dict[str, str] = {}

    async def token_for(self, team_id: str) -> str | None:
        """The bot token for `team_id`; None when the workspace is stopped or has no token."""
        return (await self.lookup(team_id)).token

    async def lookup(self, team_id: str) -> WorkspaceToken:
        """The token for `team_id` with the reason when it is stopped (cached briefly)."""
        cached = self._cache.get(team_id)
        now = self._monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await self._load(team_id)
        self._cache[team_id] = (now + self._ttl, found)
        return found

    async def _load(self, team_id: str) -> WorkspaceToken:
        if team_id in self._stopped:
            return WorkspaceToken(token=None, stopped=self._stopped[team_id])
        async with self.database.reading() as db:
            workspace = await db.scalar(
                select(SlackWorkspace).where(SlackWorkspace.team_id == team_id)
            )
            install = await db.scalar(
                select(SlackInstallation).where(SlackInstallation.team_id == team_id)
            )
        if workspace is not None and workspace.stopped_at is not None:
            return WorkspaceToken(token=None, stopped=workspace.stopped_reason or "stopped")
        if install is not None:  # installed by OAuth: never fall back to another app's token
            if install.bot_token:
                return WorkspaceToken(token=install.bot_token)
            return WorkspaceToken(token=None, stopped="no bot token: install the app again")
        if self._default:
            return WorkspaceToken(token=self._default)
        return WorkspaceToken(token=None, stopped="no bot token for this workspace")

    async def stop(self, team_id: str, reason: str, now: datetime) -> None:
        """Stop sending to a workspace: note why on its row (if any) and drop its stored token."""
        reason = reason[:MAX_REASON]
        self._stopped[team_id] = reason
        self._cache.pop(team_id, None)
        async with self.database.transaction() as db:
            await db.execute(
                update(SlackWorkspace)
                .where(SlackWorkspace.team_id == team_id)
                .values(stopped_at=now, stopped_reason=reason)
            )
            await db.execute(
                update(SlackInstallation)
                .where(SlackInstallation.team_id == team_id)
                .values(bot_token=None, updated_at=now)
            )

    async def resume(self, team_id: str) -> None:
        """Send to a workspace again (after a reinstall): clear its stop."""
        self._stopped.pop(team_id, None)
        self._cache.pop(team_id, None)
        async with self.database.transaction() as db:
            await db.execute(
                update(SlackWorkspace)
                .where(SlackWorkspace.team_id == team_id)
                .values(stopped_at=None, stopped_reason=None)
            )

    async def save_installation(
        self,
        *,
        team_id: str,
        bot_token: str,
        now: datetime,
        team_name: str = "",
        enterprise_id: str | None = None,
        bot_user_id: str = "",
        bot_scopes: str = "",
        installed_by_user_id: str = "",
    ) -> None:
        """Store (or replace) a workspace's OAuth installation and clear any stop."""
        values = {
            "team_name": team_name,
            "enterprise_id": enterprise_id,
            "bot_user_id": bot_user_id,
            "bot_token": bot_token,
            "bot_scopes": bot_scopes,
            "installed_by_user_id": installed_by_user_id,
            "installed_at": now,
            "updated_at": now,
        }
        is_pg = self.database.is_postgres
        insert = postgresql.insert if is_pg else sqlite.insert
        stmt = insert(SlackInstallation).values(team_id=team_id, **values)
        stmt = stmt.on_conflict_do_update(index_elements=["team_id"], set_=values)
        async with self.database.transaction() as db:
            await db.execute(stmt)
        await self.resume(team_id)
