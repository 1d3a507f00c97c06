"""App-only tokens for Microsoft Graph: msal client credentials, cached, off the event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import Any

import msal  # type: ignore[import-untyped]
import requests

from bot.ports import CalendarError

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
DEFAULT_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
TOKEN_TIMEOUT = 20.0


class GraphAuthError(CalendarError):
    """No token: the authority refused (e.g. a wrong secret) or could not be reached."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


class _Session(requests.Session):
    """A requests session with a timeout, trusting `ca_bundle` when given (else the system's).

    The CA file goes on each request: a session-level `verify` loses to REQUESTS_CA_BUNDLE.
    """

    def __init__(self, ca_bundle: str | None) -> None:
        super().__init__()
        self.ca_bundle = ca_bundle

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", TOKEN_TIMEOUT)
        if self.ca_bundle:
            kwargs.setdefault("verify", self.ca_bundle)
        return super().request(method, url, *args, **kwargs)


class GraphAuth:
    """Client-credentials tokens for one app registration, from msal's in-memory cache first.

    msal is synchronous, so every call runs in a worker thread; the msal application (which
    fetches the authority's OpenID configuration when built) is built on first use.
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        authority: str | None = None,
        ca_bundle: Path | str | None = None,
        scope: str = GRAPH_SCOPE,
    ) -> None:
        self._client_id = client_id
        self._secret = client_secret
        self._authority = authority or DEFAULT_AUTHORITY.format(tenant=tenant_id)
        self._custom = authority is not None
        self._ca_bundle = str(ca_bundle) if ca_bundle else None
        self.scope = scope
        self._app: msal.ConfidentialClientApplication | None = None
        self._build_lock = threading.Lock()
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"GraphAuth(authority={self._authority!r}, client_id={self._client_id!r})"

    async def token(self) -> str:
        """A valid access token for Graph (cached by msal until shortly before it expires)."""
        async with self._lock:  # one token request at a time: concurrent callers share it
            return await asyncio.to_thread(self._acquire)

    def invalidate(self) -> None:
        """Forget cached tokens (after Graph said 401): the next call asks the authority."""
        with self._build_lock:
            self._app = None

    def _application(self) -> msal.ConfidentialClientApplication:
        with self._build_lock:
            if self._app is None:
                session = _Session(self._ca_bundle)
                extra: dict[str, Any] = {}
                if self._custom:
                    extra = {"validate_authority": False, "instance_discovery": False}
                self._app = msal.ConfidentialClientApplication(
                    self._client_id,
                    client_credential=self._secret,
                    authority=self._authority,
                    http_client=session,
                    **extra,
                )
            return self._app

    def _acquire(self) -> str:
        try:
            result = self._application().acquire_token_for_client(scopes=[self.scope])
        except requests.RequestException as exc:
            raise GraphAuthError(
                f"token authority unreachable ({type(exc).__name__})", retryable=True
            ) from None
        except ValueError as exc:  # msal: the authority's configuration could not be read
            log.warning("graph: token authority configuration unreadable: %s", exc)
            raise GraphAuthError(
                "token authority configuration unreadable", retryable=True
            ) from None
        token = result.get("access_token") if isinstance(result, dict) else None
        if isinstance(token, str) and token:
            return token
        error = str(result.get("error", "unknown")) if isinstance(result, dict) else "unknown"
        # Refusals are kept retryable: a fixed secret after a restart lets queued syncs go out.
        raise GraphAuthError(f"token refused ({error[:60]})", retryable=True)
