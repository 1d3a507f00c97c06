"""Inbound Bot Framework auth against a local OpenID issuer over real HTTP."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from handlers.teams.auth import AuthError, BotFrameworkAuth, Forbidden, Unauthorized
from handlers.teams.auth import service_url_allowed as allowed
from tests.handlers.teams.issuer import (
    APP_ID,
    FORGERIES,
    SERVICE_URL,
    TENANT_ID,
    Clock,
    Forgery,
    LocalIssuer,
    make_activity,
    running_issuer,
)

ALLOWED = ["https://smba.trafficmanager.net/"]
DAY = 24 * 3600.0
NOW = 1_800_000_000
OTHER_TENANT = "99999999-0000-0000-0000-000000000000"
MakeAuth = Callable[..., BotFrameworkAuth]


async def refused(auth: BotFrameworkAuth, header: str | None, activity: Any) -> AuthError:
    """The refusal of a request (the test fails if it passes)."""
    with pytest.raises(AuthError) as caught:
        await auth.verify(header, activity)
    return caught.value


async def why(auth: BotFrameworkAuth, token: str, activity: Any) -> str:
    """The reason `Bearer <token>` is refused for `activity`."""
    return (await refused(auth, f"Bearer {token}", activity)).reason


@pytest.fixture
def clock() -> Clock:
    """One fake clock for the issuer and the verifier."""
    return Clock(NOW)


@pytest.fixture
async def issuer(clock: Clock) -> AsyncIterator[LocalIssuer]:
    """The local issuer on an ephemeral port."""
    async with running_issuer(clock=clock) as running:
        yield running


@pytest.fixture
def make_auth(issuer: LocalIssuer, clock: Clock) -> MakeAuth:
    """A verifier factory pointed at the local issuer."""

    def make(tenant_id: str | None = TENANT_ID, url: str | None = None) -> BotFrameworkAuth:
        url = url or issuer.metadata_url
        return BotFrameworkAuth(
            url, app_id=APP_ID, tenant_id=tenant_id, allowed_service_urls=ALLOWED, clock=clock
        )

    return make


@pytest.fixture
def auth(make_auth: MakeAuth) -> BotFrameworkAuth:
    """The verifier as the Teams edge configures it."""
    return make_auth()


async def test_a_valid_token_passes(auth: BotFrameworkAuth, issuer: LocalIssuer) -> None:
    activity = make_activity()
    claims = await auth.verify(issuer.header(activity), activity)
    assert (claims.issuer, claims.channel_id, claims.key_id, claims.service_url) == (
        "https://api.botframework.com", "msteams", "key-1", SERVICE_URL
    )  # fmt: skip
    assert claims.tenant_id == TENANT_ID and claims.raw["aud"] == APP_ID
    await auth.verify(issuer.header(activity), activity)  # again: the keys are cached
    assert (issuer.metadata_requests, issuer.jwks_requests) == (1, 1)


EXPECTED: dict[Forgery, str] = {
    "wrong_issuer": "bad issuer", "wrong_audience": "bad audience", "expired": "expired",
    "not_yet_valid": "not yet valid", "alg_none": "bad algorithm",
    "hs256_public_key": "bad algorithm", "unknown_kid": "unknown key",
    "serviceurl_mismatch": "bad serviceurl", "no_endorsement": "no endorsement",
    "garbage": "malformed token",
}  # fmt: skip


@pytest.mark.parametrize("kind", FORGERIES)
async def test_each_forged_token_is_rejected_401(
    kind: Forgery, auth: BotFrameworkAuth, issuer: LocalIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    activity = make_activity()
    token = issuer.forged(kind, activity)
    error = await refused(auth, f"Bearer {token}", activity)
    assert (type(error), error.reason, error.status) == (Unauthorized, EXPECTED[kind], 401)
    assert token not in caplog.text and token.split(".")[0] not in caplog.text
    keyless = kind in ("alg_none", "hs256_public_key", "garbage")
    assert issuer.requests == (0 if keyless else 2)  # refused before any key is fetched or used


CLAIM_CASES: list[tuple[dict[str, Any], str | None]] = [
    ({"exp": NOW - 240}, None),  # expired 4 min ago: within the 5 min skew
    ({"exp": NOW - 310}, "expired"),
    ({"nbf": NOW + 240}, None),  # valid in 4 min: within the skew
    ({"nbf": NOW + 310}, "not yet valid"),
    ({"exp": None}, "missing claim"),
    ({"aud": None}, "missing claim"),
    ({"aud": [APP_ID, "other"]}, None),
    ({"exp": "tomorrow"}, "bad lifetime"),
    ({"nbf": True}, "bad lifetime"),
    ({"serviceurl": None}, "bad serviceurl"),
    ({"serviceurl": SERVICE_URL.rstrip("/")}, None),  # trailing slash insensitive
    ({"serviceurl": SERVICE_URL.upper()}, "bad serviceurl"),  # otherwise exact
    ({"serviceurl": SERVICE_URL + "x/"}, "bad serviceurl"),
]


@pytest.mark.parametrize(("claims", "reason"), CLAIM_CASES)
async def test_claims(
    claims: dict[str, Any], reason: str | None, auth: BotFrameworkAuth, issuer: LocalIssuer
) -> None:
    activity = make_activity()
    token = issuer.token(activity, **claims)
    if reason is None:
        await auth.verify(f"Bearer {token}", activity)
    else:
        assert await why(auth, token, activity) == reason


async def test_missing_or_malformed_header(auth: BotFrameworkAuth, issuer: LocalIssuer) -> None:
    activity = make_activity()
    token = issuer.token(activity)
    for header in [None, "", token, f"Basic {token}", "Bearer ", f"Bearer {token} extra"]:
        reason = (await refused(auth, header, activity)).reason
        assert reason == ("malformed token" if header else "missing token")
    assert (await auth.verify(f"bearer  {token}", activity)).key_id == "key-1"


ACTIVITY_CASES: list[tuple[dict[str, Any], type[AuthError], str]] = [
    ({"channel_id": "webchat"}, Unauthorized, "no endorsement"),
    ({"channel_id": ""}, Unauthorized, "no endorsement"),
    ({"tenant_id": OTHER_TENANT}, Forbidden, "tenant not allowed"),
    ({"tenant_id": None}, Forbidden, "tenant not allowed"),
    ({"channel_tenant": OTHER_TENANT}, Forbidden, "tenant not allowed"),  # the two disagree
    ({"service_url": "https://evil.example.com/"}, Forbidden, "serviceurl not allowed"),
    ({"service_url": "https://smba.trafficmanager.net.evil.io/"}, Forbidden, "serviceurl not allowed"),  # noqa: E501
    ({"service_url": "http://smba.trafficmanager.net/amer/"}, Forbidden, "serviceurl not allowed"),
    ({"service_url": "https://smba.trafficmanager.net:8443/"}, Forbidden, "serviceurl not allowed"),
]  # fmt: skip


@pytest.mark.parametrize("case", ACTIVITY_CASES)
async def test_an_activity_we_do_not_serve_is_rejected(
    case: tuple[dict[str, Any], type[AuthError], str], auth: BotFrameworkAuth, issuer: LocalIssuer
) -> None:
    changes, error, reason = dict(case[0]), case[1], case[2]
    channel_tenant = changes.pop("channel_tenant", None)
    activity = make_activity(**changes)  # the token matches it (serviceurl claim included)
    if channel_tenant:
        activity["channelData"]["tenant"]["id"] = channel_tenant
    refusal = await refused(auth, issuer.header(activity), activity)
    assert (type(refusal), refusal.reason, refusal.status) == (error, reason, error.status)


async def test_tenants_compare_case_insensitively_and_need_not_be_set(
    auth: BotFrameworkAuth, issuer: LocalIssuer, make_auth: MakeAuth
) -> None:
    upper = make_activity(tenant_id=TENANT_ID.upper())
    assert (await auth.verify(issuer.header(upper), upper)).tenant_id == TENANT_ID
    other, any_tenant = make_activity(tenant_id=OTHER_TENANT), make_auth(tenant_id=None)
    assert (await any_tenant.verify(issuer.header(other), other)).tenant_id == OTHER_TENANT


URL_CASES = [
    ("https://smba.trafficmanager.net/amer/", True),
    ("https://SMBA.trafficmanager.net/amer/x/", True),
    ("https://smba.trafficmanager.net/amer", True),
    ("http://127.0.0.1:8080/", True),
    ("https://smba.trafficmanager.net/americas/", False),  # path segments, not characters
    ("https://smba.trafficmanager.net/emea/", False),
    ("https://smba.trafficmanager.net@evil.com/amer/", False),
    ("https://x@smba.trafficmanager.net/amer/", False),
    ("http://127.0.0.1:8081/", False),
    ("http://127.0.0.1:99999/", False),
    ("not a url", False),
]


@pytest.mark.parametrize(("url", "ok"), URL_CASES)
def test_service_url_allowed_matches_scheme_host_port_and_path_segments(url: str, ok: bool) -> None:
    assert allowed(url, ["https://smba.trafficmanager.net/amer/", "http://127.0.0.1:8080"]) is ok
    assert not allowed(url, [])


async def test_unknown_kid_refreshes_once_then_rejects_and_picks_up_rotated_keys(
    auth: BotFrameworkAuth, issuer: LocalIssuer, clock: Clock
) -> None:
    activity = make_activity()
    await auth.verify(issuer.header(activity), activity)
    assert issuer.requests == 2
    clock.advance(61)  # fetches (of any cause) are at most one a minute
    for _ in range(3):
        assert await why(auth, issuer.forged("unknown_kid", activity), activity) == "unknown key"
    assert issuer.requests == 4  # one refresh for the first unknown kid, none for the others
    clock.advance(59)
    assert await why(auth, issuer.forged("unknown_kid", activity), activity) == "unknown key"
    assert issuer.requests == 4
    clock.advance(2)
    new = issuer.add_key("key-2")  # rotated in at the issuer: the next refresh picks it up
    claims = await auth.verify(f"Bearer {issuer.token(activity, key=new)}", activity)
    assert claims.key_id == "key-2" and issuer.requests == 6


async def test_a_flood_of_junk_kids_shares_one_refresh(
    auth: BotFrameworkAuth, issuer: LocalIssuer
) -> None:
    activity = make_activity()
    headers = [issuer.header(activity)] * 5
    headers += [f"Bearer {issuer.forged('unknown_kid', activity)}" for _ in range(3)] * 10
    got = await asyncio.gather(*(auth.verify(h, activity) for h in headers), return_exceptions=True)
    assert not any(isinstance(r, BaseException) for r in got[:5])
    assert all(isinstance(r, Unauthorized) for r in got[5:])
    assert issuer.requests == 2  # one shared cold start fetch; the junk is rate limited


async def test_keys_are_refreshed_after_24_hours(
    auth: BotFrameworkAuth, issuer: LocalIssuer, clock: Clock
) -> None:
    activity = make_activity()
    await auth.verify(issuer.header(activity), activity)
    old, new = issuer.key, issuer.add_key("key-2")
    issuer.remove_key(old.kid)
    clock.advance(DAY - 1)
    await auth.verify(f"Bearer {issuer.token(activity, key=old)}", activity)  # cached
    assert issuer.requests == 2
    clock.advance(2)
    assert await why(auth, issuer.token(activity, key=old), activity) == "unknown key"
    assert issuer.requests == 4  # the daily refresh; the unknown kid is within the minute
    await auth.verify(f"Bearer {issuer.token(activity, key=new)}", activity)
    assert issuer.requests == 4
    issuer.fail_metadata = True  # a failed daily refresh: stale keys are not used
    clock.advance(DAY)
    assert await why(auth, issuer.token(activity, key=new), activity) == "keys unavailable"


@pytest.mark.parametrize("switch", ["fail_metadata", "fail_jwks"])
async def test_a_failed_fetch_is_unauthorized_then_recovers(
    switch: str,
    auth: BotFrameworkAuth,
    issuer: LocalIssuer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    activity = make_activity()
    token = issuer.token(activity)
    setattr(issuer, switch, True)
    for _ in range(3):
        assert await why(auth, token, activity) == "keys unavailable"
    assert issuer.metadata_requests == 1  # failures are rate limited too
    assert "key fetch failed" in caplog.text and token not in caplog.text
    setattr(issuer, switch, False)
    clock.advance(61)
    await auth.verify(f"Bearer {token}", activity)


async def test_unreachable_issuer(make_auth: MakeAuth, issuer: LocalIssuer) -> None:
    auth = make_auth(url="http://127.0.0.1:9/.well-known/openidconfiguration")  # no listener
    assert await why(auth, issuer.token(), make_activity()) == "keys unavailable"


async def test_the_metadata_issuer_is_accepted_besides_botframework(
    auth: BotFrameworkAuth, issuer: LocalIssuer
) -> None:
    us = issuer.metadata_issuer = "https://api.botframework.us"
    activity = make_activity()
    assert (await auth.verify(issuer.header(activity, iss=us), activity)).issuer == us
    await auth.verify(issuer.header(activity), activity)
    cn = issuer.token(activity, iss="https://api.botframework.cn")
    assert await why(auth, cn, activity) == "bad issuer"


def test_the_metadata_url_must_be_https_except_on_loopback() -> None:
    public = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    BotFrameworkAuth(public, app_id=APP_ID, tenant_id=None, allowed_service_urls=ALLOWED)
    for url in [public.replace("https", "http"), "ftp://x/"]:
        with pytest.raises(ValueError, match="https"):
            BotFrameworkAuth(url, app_id=APP_ID, tenant_id=None, allowed_service_urls=ALLOWED)
