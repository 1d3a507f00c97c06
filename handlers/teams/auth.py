"""Inbound Bot Framework auth: the JWT on POST /api/messages, checked before anything else.

Token (else Unauthorized, 401): Bearer; alg RS256 only, checked before any key is used; key by
kid from the metadata's jwks_uri; issuer https://api.botframework.com or the metadata's own
issuer (same trust as its keys; lets sovereign clouds work by the metadata URL alone); aud = app
id; exp/nbf, 5 min skew; serviceurl claim = activity serviceUrl; key endorsed for the channel.
Policy (else Forbidden, 403): our tenant when set; serviceUrl under an allowed prefix. Keys: a
day's cache, one refresh per unknown kid; any fetch at most once a minute, under a lock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import aiohttp
import jwt

log = logging.getLogger(__name__)

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
ALGORITHM = "RS256"
LEEWAY = 300.0
MAX_KEY_AGE = 24 * 3600.0
MIN_REFRESH_INTERVAL = 60.0
FETCH_TIMEOUT = aiohttp.ClientTimeout(total=10.0)
MAX_DOCUMENT_BYTES = 1 << 20
MAX_TOKEN_CHARS = 16 * 1024
_OPTIONS: Any = {"require": ["exp", "iss", "aud"]} | dict.fromkeys(
    ("verify_exp", "verify_nbf", "verify_iat"), False
)
_DECODE_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.InvalidSignatureError, "bad signature"),
    (jwt.InvalidAudienceError, "bad audience"),
    (jwt.InvalidIssuerError, "bad issuer"),
    (jwt.MissingRequiredClaimError, "missing claim"),
)


class AuthError(Exception):
    """A rejected request: `reason` is a short code, `status` the HTTP answer."""

    status = 401

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unauthorized(AuthError):
    """The token is missing, malformed, forged, expired or not for this activity (401)."""


class Forbidden(AuthError):
    """An authentic request we do not serve: another tenant or serviceUrl (403)."""

    status = 403


@dataclass(frozen=True)
class Claims:
    """What a verified request proves: its issuer, channel, service URL, tenant and expiry."""

    issuer: str
    service_url: str
    channel_id: str
    key_id: str
    expires_at: float
    tenant_id: str | None
    raw: Mapping[str, Any] = field(repr=False)


class _Key(NamedTuple):  # a published signing key and the channels it is endorsed for
    jwk: jwt.PyJWK
    endorsements: frozenset[str]


def service_url_allowed(service_url: str, prefixes: Sequence[str]) -> bool:
    """True when `service_url` has a prefix's scheme, host and port and lies under its path."""
    try:
        url = urlsplit(service_url)
        where, path = (url.scheme, url.hostname, url.port), url.path.rstrip("/") + "/"
    except ValueError:
        return False
    return (
        url.username is None
        and bool(url.hostname)
        and any(
            where == (want.scheme, want.hostname, want.port)
            and path.startswith(want.path.rstrip("/") + "/")
            for want in map(urlsplit, prefixes)
        )
    )


def _secure_url(url: str) -> bool:
    """https anywhere; plain http only on loopback (a local issuer in tests)."""
    parts = urlsplit(url)
    loopback = parts.hostname in {"127.0.0.1", "::1", "localhost"}
    return bool(parts.hostname) and parts.scheme in ({"https", "http"} if loopback else {"https"})


def _bearer(header: str | None) -> str:
    """The token of a `Bearer <token>` header."""
    if not header:
        raise Unauthorized("missing token")
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer" or len(parts[1]) > MAX_TOKEN_CHARS:
        raise Unauthorized("malformed token")
    return parts[1]


def _tenants(activity: Mapping[str, Any]) -> set[str]:
    """Tenant ids the activity names (conversation.tenantId, channelData.tenant.id), lowered."""
    conversation, data = activity.get("conversation"), activity.get("channelData")
    tenant = data.get("tenant") if isinstance(data, Mapping) else None
    found = [
        conversation.get("tenantId") if isinstance(conversation, Mapping) else None,
        tenant.get("id") if isinstance(tenant, Mapping) else None,
    ]
    return {t.lower() for t in found if isinstance(t, str)}


def _check_lifetime(claims: Mapping[str, Any], now: float) -> None:
    """exp and nbf (numbers, bools excluded) against `now` with LEEWAY seconds of skew."""
    exp: Any = claims.get("exp")
    nbf: Any = claims.get("nbf", now)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, nbf)):
        raise Unauthorized("bad lifetime")
    if now > float(exp) + LEEWAY:
        raise Unauthorized("expired")
    if now + LEEWAY < float(nbf):
        raise Unauthorized("not yet valid")


class BotFrameworkAuth:
    """Verifies Bot Framework requests against one OpenID metadata document and our app id."""

    def __init__(
        self,
        metadata_url: str,
        *,
        app_id: str,
        tenant_id: str | None,
        allowed_service_urls: Sequence[str],
        http: Callable[[], aiohttp.ClientSession] = aiohttp.ClientSession,
        clock: Callable[[], float] = time.time,
        max_key_age: float = MAX_KEY_AGE,
        min_refresh_interval: float = MIN_REFRESH_INTERVAL,
    ) -> None:
        if not _secure_url(metadata_url) or not app_id:
            raise ValueError("metadata_url must be https (http only on loopback); app_id set")
        self.metadata_url, self.app_id = metadata_url, app_id
        self.tenant_id = tenant_id.lower() if tenant_id else None
        self.allowed_service_urls = tuple(u for u in allowed_service_urls if u)
        self._http, self._clock = http, clock
        self._max_key_age, self._min_interval = max_key_age, min_refresh_interval
        self._keys: dict[str, _Key] = {}
        self._issuers = frozenset({BOT_FRAMEWORK_ISSUER})
        self._fetched_at = self._attempted_at = -math.inf
        self._lock = asyncio.Lock()

    async def verify(self, authorization_header: str | None, activity: Mapping[str, Any]) -> Claims:
        """The verified claims of a request, or Unauthorized / Forbidden with a short reason."""
        try:
            return await self._verify(authorization_header, activity)
        except AuthError as exc:
            log.info("teams auth rejected: %s (%d)", exc.reason, exc.status)
            raise

    async def _verify(self, header: str | None, activity: Mapping[str, Any]) -> Claims:
        """All the rules: the token, its binding to the activity, then policy."""
        token = _bearer(header)
        try:
            head = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("malformed token") from None
        if head.get("alg") != ALGORITHM:
            raise Unauthorized("bad algorithm")
        kid = head.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("missing kid")
        key = await self._key(kid)
        claims = self._decode(token, key)
        channel_id = activity.get("channelId")
        if not isinstance(channel_id, str) or channel_id not in key.endorsements:
            raise Unauthorized("no endorsement")
        service_url, claimed = activity.get("serviceUrl"), claims.get("serviceurl")
        if not isinstance(service_url, str) or not isinstance(claimed, str):
            raise Unauthorized("bad serviceurl")
        if claimed.rstrip("/") != service_url.rstrip("/"):
            raise Unauthorized("bad serviceurl")
        tenants = _tenants(activity)
        if self.tenant_id is not None and tenants != {self.tenant_id}:
            raise Forbidden("tenant not allowed")
        if not service_url_allowed(service_url, self.allowed_service_urls):
            raise Forbidden("serviceurl not allowed")
        tenant = next(iter(tenants)) if len(tenants) == 1 else None
        iss, exp = str(claims["iss"]), float(claims["exp"])
        return Claims(iss, service_url, channel_id, kid, exp, tenant, claims)

    def _decode(self, token: str, key: _Key) -> dict[str, Any]:
        """Signature, issuer and audience by PyJWT (RS256 only); lifetime by our clock."""
        try:
            claims = jwt.decode(
                token,
                key.jwk.key,
                algorithms=[ALGORITHM],
                audience=self.app_id,
                issuer=self._issuers,
                options=_OPTIONS,
            )
        except jwt.PyJWTError as exc:
            reason = next((r for t, r in _DECODE_ERRORS if isinstance(exc, t)), "invalid token")
            raise Unauthorized(reason) from None
        _check_lifetime(claims, self._clock())
        return claims

    async def _key(self, kid: str) -> _Key:
        """The key for `kid`: from the cache, after a due refresh, or after one forced refresh."""
        if self._due():
            await self._refresh(self._due)
            if self._due():
                raise Unauthorized("keys unavailable")
        if kid not in self._keys:
            await self._refresh(lambda: kid not in self._keys)
        if (key := self._keys.get(kid)) is None:
            raise Unauthorized("unknown key")
        return key

    def _due(self) -> bool:
        """True when the keys were never fetched or are `max_key_age` old."""
        return self._clock() - self._fetched_at >= self._max_key_age

    async def _refresh(self, still_needed: Callable[[], bool]) -> None:
        """One fetch shared by concurrent callers, at most once per `min_refresh_interval`."""
        async with self._lock:
            now = self._clock()
            if now - self._attempted_at < self._min_interval or not still_needed():
                return
            self._attempted_at = now
            try:
                issuer, self._keys = await self._fetch()
            except Exception as exc:
                log.warning("teams auth: key fetch failed (%s)", type(exc).__name__)
                return
            self._issuers = frozenset({BOT_FRAMEWORK_ISSUER, *([issuer] if issuer else [])})
            self._fetched_at = now
            log.info("teams auth: %d signing keys loaded", len(self._keys))

    async def _fetch(self) -> tuple[str | None, dict[str, _Key]]:
        """The metadata's issuer and the RSA signing keys of its JWKS."""
        async with self._http() as session:
            metadata = await _get_json(session, self.metadata_url)
            jwks_uri = metadata.get("jwks_uri")
            if not isinstance(jwks_uri, str) or not _secure_url(jwks_uri):
                raise ValueError("metadata has no usable jwks_uri")
            jwks = await _get_json(session, jwks_uri)
        issuer, keys = metadata.get("issuer"), jwks.get("keys")
        items = [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []
        parsed = dict(kv for kv in map(_parse_key, items) if kv)
        if not parsed:
            raise ValueError("jwks has no usable keys")
        return (issuer if isinstance(issuer, str) and _secure_url(issuer) else None), parsed


def _parse_key(item: dict[str, Any]) -> tuple[str, _Key] | None:
    """(kid, key) for an RS256 signing JWK, None for anything else."""
    kid, endorsements = item.get("kid"), item.get("endorsements", [])
    kind = (item.get("kty"), item.get("use", "sig"), item.get("alg", ALGORITHM), type(kid))
    if kind != ("RSA", "sig", ALGORITHM, str) or not kid or not isinstance(endorsements, list):
        return None
    try:
        jwk = jwt.PyJWK(item, algorithm=ALGORITHM)
    except jwt.PyJWTError:
        return None
    return kid, _Key(jwk, frozenset(e for e in endorsements if isinstance(e, str)))


async def _get_json(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    """A JSON object from `url`: 200 only, no redirects, at most MAX_DOCUMENT_BYTES."""
    async with session.get(url, timeout=FETCH_TIMEOUT, allow_redirects=False) as resp:
        if resp.status != 200:
            raise ValueError(f"HTTP {resp.status}")
        body = b""
        while chunk := await resp.content.read(65536):
            body += chunk
            if len(body) > MAX_DOCUMENT_BYTES:
                raise ValueError("document too large")
    if not isinstance(data := json.loads(body), dict):
        raise ValueError("not a JSON object")
    return data
