"""Outbound Bot Framework tokens: msal client credentials for the app, cached, never logged.

Why not the SDK's MsalAuth: it builds msal's ConfidentialClientApplication with only the
client id, authority and secret, so for any authority that is not a well-known Microsoft host
msal first asks login.microsoftonline.com for instance discovery (it cannot be turned off
through AgentAuthConfiguration), no CA file can be given but the process-wide
REQUESTS_CA_BUNDLE, and a refused request is logged with the whole token response. The msal
application here is the same one (handlers/graph/auth.GraphAuth: validate_authority and
instance discovery off for a configured authority, a per-request CA file, a timeout, msal's
in-memory token cache, calls off the event loop), asked for the Bot Framework scope.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from bot.settings import Settings
from handlers.graph.auth import GraphAuth, GraphAuthError

BOT_SCOPE = "https://api.botframework.com/.default"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com/{tenant}"


class TeamsTokenError(Exception):
    """No token for the Bot Connector: the authority refused or could not be reached."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class BotTokens:
    """Client-credentials tokens of one single-tenant app registration for the Bot Connector."""

    def __init__(
        self,
        *,
        app_id: str,
        password: SecretStr | str,
        tenant_id: str,
        authority: str | None = None,
        ca_bundle: Path | str | None = None,
        scope: str = BOT_SCOPE,
    ) -> None:
        if not (app_id and tenant_id):
            raise ValueError("Teams tokens need TEAMS_APP_ID and TEAMS_TENANT_ID")
        secret = password.get_secret_value() if isinstance(password, SecretStr) else password
        self.app_id = app_id
        self.tenant_id = tenant_id
        self.scope = scope
        self.authority = (authority or DEFAULT_AUTHORITY).format(tenant=tenant_id)
        self._auth = GraphAuth(
            tenant_id=tenant_id,
            client_id=app_id,
            client_secret=secret,
            authority=self.authority if authority else None,
            ca_bundle=ca_bundle,
            scope=scope,
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, ca_bundle: Path | str | None = None) -> BotTokens:
        """Tokens from TEAMS_APP_ID, TEAMS_APP_PASSWORD, TEAMS_TENANT_ID and TEAMS_AUTHORITY."""
        if not settings.teams_app_id or settings.teams_app_password is None:
            raise ValueError("Teams tokens need TEAMS_APP_ID and TEAMS_APP_PASSWORD")
        return cls(
            app_id=settings.teams_app_id,
            password=settings.teams_app_password,
            tenant_id=settings.teams_tenant_id or "",
            authority=settings.teams_authority,
            ca_bundle=ca_bundle,
        )

    def __repr__(self) -> str:
        return f"BotTokens(authority={self.authority!r}, app_id={self.app_id!r})"

    async def token(self) -> str:
        """A valid access token for the Bot Connector (msal's cache first); TeamsTokenError."""
        try:
            return await self._auth.token()
        except GraphAuthError as exc:
            raise TeamsTokenError(str(exc), retryable=exc.retryable) from None

    def invalidate(self) -> None:
        """Forget the cached token (the connector said 401): the next call asks the authority."""
        self._auth.invalidate()
