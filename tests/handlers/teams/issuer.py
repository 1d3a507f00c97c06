"""A local Bot Framework OpenID issuer: RSA keys, metadata and JWKS over HTTP, token minting.

    async with running_issuer(clock=clock) as issuer:
        auth = BotFrameworkAuth(issuer.metadata_url, app_id=APP_ID, ...)
        activity = make_activity()
        await auth.verify(f"Bearer {issuer.token(activity)}", activity)
        issuer.forged("expired", activity)    # every variant in FORGERIES

A real aiohttp server on 127.0.0.1 (ephemeral port) serves /.well-known/openidconfiguration
(also under /v1/, as login.botframework.com does) and /v1/.well-known/keys; it counts the
requests and can be told to fail. Keys can be rotated in and out while it runs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
APP_ID = "00000000-0000-0000-0000-00000000a99d"
TENANT_ID = "11111111-2222-3333-4444-555555555555"
SERVICE_URL = "https://smba.trafficmanager.net/amer/"
METADATA_PATH = "/.well-known/openidconfiguration"
JWKS_PATH = "/v1/.well-known/keys"
WEBCHAT = "key-webchat-only"

Forgery = Literal[
    "wrong_issuer",
    "wrong_audience",
    "expired",
    "not_yet_valid",
    "alg_none",
    "hs256_public_key",
    "unknown_kid",
    "serviceurl_mismatch",
    "no_endorsement",
    "garbage",
]
FORGERIES: tuple[Forgery, ...] = get_args(Forgery)


class Clock:
    """A settable clock (seconds since the epoch) to share between the issuer and the verifier."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        """The current fake time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


@dataclass
class SigningKey:
    """One RSA key pair with its kid and the channels it is endorsed for."""

    kid: str
    private: rsa.RSAPrivateKey
    endorsements: list[str] = field(default_factory=lambda: ["msteams"])

    @classmethod
    def generate(cls, kid: str | None = None, endorsements: list[str] | None = None) -> SigningKey:
        """A fresh 2048-bit key."""
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(
            kid or uuid.uuid4().hex, private, ["msteams"] if endorsements is None else endorsements
        )

    def jwk(self) -> dict[str, Any]:
        """The public JWK as Bot Framework publishes it (with `endorsements`)."""
        data = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**data, "kid": self.kid, "use": "sig", "endorsements": list(self.endorsements)}

    def public_pem(self) -> bytes:
        """The public key in PEM (what an HS256 key-confusion attack uses as the secret)."""
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def _b64(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """The JWS signing input `header.payload`."""
    return ".".join(_b64(json.dumps(part).encode()) for part in (header, claims))


def make_activity(
    *,
    service_url: str = SERVICE_URL,
    tenant_id: str | None = TENANT_ID,
    channel_id: str = "msteams",
    text: str = "help",
) -> dict[str, Any]:
    """A minimal Teams personal-chat message activity (raw JSON, as posted to /api/messages)."""
    activity: dict[str, Any] = {
        "type": "message",
        "id": uuid.uuid4().hex,
        "channelId": channel_id,
        "serviceUrl": service_url,
        "from": {"id": "29:user-1", "aadObjectId": "aad-user-1", "name": "Ada"},
        "recipient": {"id": f"28:{APP_ID}", "name": "Coach Companion"},
        "conversation": {"id": "a:conv-1", "conversationType": "personal"},
        "text": text,
    }
    if tenant_id is not None:
        activity["conversation"]["tenantId"] = tenant_id
        activity["channelData"] = {"tenant": {"id": tenant_id}}
    return activity


@dataclass
class LocalIssuer:
    """The issuer's state: keys, counters, failure switches, and token minting."""

    clock: Callable[[], float] = time.time
    app_id: str = APP_ID
    issuer: str = BOT_FRAMEWORK_ISSUER
    metadata_issuer: str | None = None  # what the metadata declares; default: `issuer`
    keys: list[SigningKey] = field(default_factory=list)
    base_url: str = ""
    metadata_requests: int = 0
    jwks_requests: int = 0
    fail_metadata: bool = False
    fail_jwks: bool = False

    def __post_init__(self) -> None:
        if not self.keys:  # like login.botframework.com: keys for several channels
            self.keys += [SigningKey.generate("key-1"), SigningKey.generate(WEBCHAT, ["webchat"])]

    @property
    def metadata_url(self) -> str:
        """The TEAMS_OPENID_METADATA_URL to configure."""
        return self.base_url + METADATA_PATH

    @property
    def requests(self) -> int:
        """Metadata plus JWKS requests served so far."""
        return self.metadata_requests + self.jwks_requests

    @property
    def key(self) -> SigningKey:
        """The current signing key: the first published one endorsed for msteams."""
        return next(k for k in self.keys if "msteams" in k.endorsements)

    def add_key(self, kid: str | None = None, endorsements: list[str] | None = None) -> SigningKey:
        """Rotate a new key in (published from the next JWKS request on)."""
        key = SigningKey.generate(kid, endorsements)
        self.keys.append(key)
        return key

    def remove_key(self, kid: str) -> None:
        """Rotate a key out of the JWKS."""
        self.keys = [k for k in self.keys if k.kid != kid]

    def claims(self, service_url: str = SERVICE_URL, **overrides: Any) -> dict[str, Any]:
        """Good Bot Framework claims (valid for an hour from the clock); None overrides delete."""
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.app_id,
            "serviceurl": service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + 3600,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(self, claims: dict[str, Any], key: SigningKey | None = None) -> str:
        """An RS256 JWT over `claims` by `key` (default: the current key)."""
        key = key or self.key
        return jwt.encode(claims, key.private, algorithm="RS256", headers={"kid": key.kid})

    def token(
        self,
        activity: dict[str, Any] | None = None,
        *,
        key: SigningKey | None = None,
        **claims: Any,
    ) -> str:
        """A valid token for `activity` (its serviceUrl); claim keywords override or delete."""
        service_url = (activity or {}).get("serviceUrl", SERVICE_URL)
        return self.sign(self.claims(service_url, **claims), key)

    def header(self, activity: dict[str, Any] | None = None, **claims: Any) -> str:
        """`Bearer <valid token>` for the Authorization header."""
        return f"Bearer {self.token(activity, **claims)}"

    def forged(self, kind: Forgery, activity: dict[str, Any] | None = None) -> str:
        """A token for `activity` forged in one way (see FORGERIES)."""
        now = int(self.clock())
        if kind == "wrong_issuer":
            return self.token(activity, iss="https://evil.example.com")
        if kind == "wrong_audience":
            return self.token(activity, aud="someone-elses-app")
        if kind == "expired":
            return self.token(activity, nbf=now - 7200, iat=now - 7200, exp=now - 301 - 60)
        if kind == "not_yet_valid":
            return self.token(activity, nbf=now + 301 + 60, iat=now, exp=now + 7200)
        if kind == "serviceurl_mismatch":
            return self.token(activity, serviceurl="https://evil.example.com/")
        if kind == "unknown_kid":
            return self.token(activity, key=SigningKey.generate("never-published"))
        if kind == "no_endorsement":
            return self.token(activity, key=self._unendorsed())
        if kind == "garbage":
            return "not.a-jwt" + uuid.uuid4().hex
        service_url = (activity or {}).get("serviceUrl", SERVICE_URL)
        claims = self.claims(service_url)
        if kind == "alg_none":
            return _segments({"alg": "none", "typ": "JWT", "kid": self.key.kid}, claims) + "."
        if kind == "hs256_public_key":
            signing_input = _segments({"alg": "HS256", "typ": "JWT", "kid": self.key.kid}, claims)
            mac = hmac.new(self.key.public_pem(), signing_input.encode(), hashlib.sha256)
            return f"{signing_input}.{_b64(mac.digest())}"
        raise ValueError(f"unknown forgery {kind!r}")

    def _unendorsed(self) -> SigningKey:
        """A published key endorsed for another channel only (added on first use)."""
        for key in self.keys:
            if "msteams" not in key.endorsements:
                return key
        return self.add_key(WEBCHAT, ["webchat"])

    def app(self) -> web.Application:
        """The aiohttp application serving the metadata and the JWKS."""
        app = web.Application()
        app.router.add_get(METADATA_PATH, self._metadata)
        app.router.add_get("/v1" + METADATA_PATH, self._metadata)
        app.router.add_get(JWKS_PATH, self._jwks)
        return app

    async def _metadata(self, request: web.Request) -> web.Response:
        """The OpenID configuration document."""
        self.metadata_requests += 1
        if self.fail_metadata:
            return web.Response(status=503)
        return web.json_response(
            {
                "issuer": self.metadata_issuer or self.issuer,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": self.base_url + JWKS_PATH,
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            }
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        """The published keys."""
        self.jwks_requests += 1
        if self.fail_jwks:
            return web.Response(status=500)
        return web.json_response({"keys": [k.jwk() for k in self.keys]})


@asynccontextmanager
async def running_issuer(
    clock: Callable[[], float] = time.time, **options: Any
) -> AsyncIterator[LocalIssuer]:
    """A LocalIssuer served on 127.0.0.1:<ephemeral> for the duration of the block."""
    issuer = LocalIssuer(clock=clock, **options)
    runner = web.AppRunner(issuer.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    issuer.base_url = f"http://{host}:{port}"
    try:
        yield issuer
    finally:
        await runner.cleanup()
