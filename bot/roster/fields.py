"""Field-level checks shared by the YAML and CSV readers: each normalises or explains."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from datetime import date, time
from typing import Any, TypeVar
from zoneinfo import available_timezones

from pydantic_core import PydanticCustomError

from bot.timefmt import is_valid_zone
from storage.models.choices import ACCREDITATION_LEVELS, MODALITIES
from storage.models.organisation import SAFEGUARDING_POLICIES, SUPPORT_KINDS

T = TypeVar("T")
Check = Callable[[Any], T]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = {
    name: i
    for i, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ]
    )
    for name in names
}
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_LOCALE = re.compile(r"^([a-z]{2,3})(?:[-_]([a-z]{4}))?(?:[-_]([a-z]{2}|[0-9]{3}))?$", re.I)
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_HHMM = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DURATION = re.compile(r"^(?:([0-9]{1,5})d)?(?:([0-9]{1,5})h)?(?:([0-9]{1,6})m)?$")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_ACCREDITATIONS = {
    f"{body} {level}".lower(): (body, level)
    for body, levels in ACCREDITATION_LEVELS.items()
    for level in levels
}
ACCREDITATION_NAMES = [f"{body} {level}" for body, level in _ACCREDITATIONS.values()]


def fail(message: str) -> PydanticCustomError:
    """A validation error whose message is shown as is."""
    return PydanticCustomError("roster", message)


def _or_list(values: list[str] | tuple[str, ...]) -> str:
    return ", ".join(values[:-1]) + " or " + values[-1] if len(values) > 1 else values[0]


def _scalar(value: Any) -> str:
    """A YAML or CSV scalar as stripped text (numbers and dates become their text)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None or isinstance(value, (list, dict)):
        raise fail(f"expected text, got {value!r}")
    return str(value)


def text(max_len: int, what: str = "value") -> Check[str]:
    """A required one-line text of at most `max_len` characters."""

    def check(value: Any) -> str:
        out = _scalar(value)
        if not out:
            raise fail(f"empty {what}: a value is required")
        bad = next((c for c in out if unicodedata.category(c) in ("Cc", "Cs")), None)
        if bad is not None:
            raise fail(f"{what} contains a control character ({bad!r}); use one line of text")
        if len(out) > max_len:
            raise fail(f"{what} is {len(out)} characters long (at most {max_len})")
        return out

    return check


def prose(max_len: int, what: str = "text") -> Check[str]:
    """Free text of at most `max_len` characters that may span lines (a coach's bio)."""

    def check(value: Any) -> str:
        out = _scalar(value)
        bad = next(
            (c for c in out if unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t"), None
        )
        if bad is not None:
            raise fail(f"{what} contains a control character ({bad!r})")
        if len(out) > max_len:
            raise fail(f"{what} is {len(out)} characters long (at most {max_len})")
        return out

    return check


def optional(check: Check[T]) -> Check[T | None]:
    """`check`, but a blank value means 'none'."""

    def inner(value: Any) -> T | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return check(value)

    return inner


def email(value: Any) -> str:
    """An email address, stripped and lower-cased."""
    out = _scalar(value).lower()
    if not out:
        raise fail("empty email: a value is required")
    local = out.split("@", 1)[0]
    if len(out) > 254 or len(local) > 64 or not _EMAIL.match(out) or ".." in out:
        raise fail(f"bad email {out!r} (expected an address like name@example.com)")
    return out


_ZONE_INDEX: dict[str, str] = {}
_ZONE_MAX = 64


def _closest_zone(name: str) -> str | None:
    if not _ZONE_INDEX:
        _ZONE_INDEX.update({z.lower(): z for z in available_timezones() if is_valid_zone(z)})
    key = name.strip().lower().replace(" ", "_")
    if key in _ZONE_INDEX:
        return _ZONE_INDEX[key]
    close = difflib.get_close_matches(key, list(_ZONE_INDEX), n=1, cutoff=0.8)
    return _ZONE_INDEX[close[0]] if close else None


def zone(value: Any) -> str:
    """An IANA time zone name known to this machine, e.g. Europe/London."""
    out = _scalar(value)
    if not out:
        raise fail("empty time zone (expected an IANA name like Europe/London)")
    plausible = len(out) <= _ZONE_MAX and out.isprintable()
    if not plausible or not is_valid_zone(out):  # is_valid_zone raises on very long names
        shown = out if len(out) <= _ZONE_MAX else out[:_ZONE_MAX] + "..."
        message = f"unknown time zone {shown!r} (expected an IANA name like Europe/London)"
        suggestion = _closest_zone(out) if plausible else None
        if suggestion:
            message += f"; did you mean {suggestion!r}?"
        raise fail(message)
    return out


def locale(value: Any) -> str:
    """A language tag such as en, en-GB or pt-BR, normalised to that spelling."""
    out = _scalar(value)
    match = _LOCALE.match(out)
    if not match:
        raise fail(f"bad locale {out!r} (expected a language tag like en, en-GB or pt-BR)")
    language, script, region = match.groups()
    parts = [language.lower()]
    if script:
        parts.append(script.title())
    if region:
        parts.append(region.upper())
    return "-".join(parts)


def slug(value: Any) -> str:
    """A lower-case identifier of letters, digits and hyphens (at most 64)."""
    out = _scalar(value).lower()
    if not _SLUG.match(out):
        raise fail(
            f"bad slug {out!r} (expected lower-case letters, digits and hyphens, like "
            "'leadership-2026', at most 64 characters)"
        )
    return out


def modality(value: Any) -> str:
    """One of the coaching modalities."""
    out = _scalar(value).lower()
    if out not in MODALITIES:
        raise fail(f"unknown modality {out!r} (expected {_or_list(MODALITIES)})")
    return out


def accreditation(value: Any) -> tuple[str, str]:
    """An accreditation such as 'ICF PCC' or 'EMCC Senior Practitioner', as (body, level)."""
    out = " ".join(_scalar(value).split())
    found = _ACCREDITATIONS.get(out.lower())
    if found is None:
        raise fail(f"unknown accreditation {out!r} (expected {_or_list(ACCREDITATION_NAMES)})")
    return found


def weekday(value: Any) -> int:
    """A weekday name (mon..sun, or in full) as 0=Monday..6=Sunday."""
    out = _scalar(value).lower()
    if out not in _WEEKDAY_NAMES:
        raise fail(f"unknown day {out!r} (expected {_or_list(WEEKDAYS)})")
    return _WEEKDAY_NAMES[out]


def clock_time(value: Any) -> time:
    """A time of day written HH:MM (24-hour)."""
    out = _scalar(value)
    match = _HHMM.match(out)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise fail(f"bad time {out!r} (expected HH:MM on a 24-hour clock, like 09:30)")
    return time(int(match[1]), int(match[2]))


def iso_date(value: Any) -> date:
    """A calendar date written YYYY-MM-DD."""
    if isinstance(value, date):
        return value
    out = _scalar(value)
    try:
        if not _ISO_DATE.match(out):
            raise ValueError(out)
        return date.fromisoformat(out)
    except ValueError:
        raise fail(f"bad date {out!r} (expected YYYY-MM-DD, like 2026-01-31)") from None


def whole_weeks(max_weeks: int) -> Check[int]:
    """A number of days that is a whole number of weeks, 7 to 7 * `max_weeks`."""
    days = whole(1, 7 * max_weeks)
    allowed = ", ".join(str(7 * n) for n in range(1, max_weeks + 1))

    def check(value: Any) -> int:
        number = days(value)
        if number % 7:
            raise fail(f"{number} days is not whole weeks (expected {allowed})")
        return number

    return check


def whole(minimum: int, maximum: int) -> Check[int]:
    """A whole number between `minimum` and `maximum` inclusive."""

    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise fail(f"expected a whole number, got {value!r}")
        if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,9}", value.strip()):
            raise fail(f"expected a whole number, got {value!r}")
        number = int(value)
        if not minimum <= number <= maximum:
            raise fail(f"{number} is out of range (expected {minimum} to {maximum})")
        return number

    return check


def duration_minutes(value: Any) -> int:
    """A duration such as 24h, 1h, 30m, 2d or 1h30m, in minutes (more than zero)."""
    out = _scalar(value).lower().replace(" ", "")
    match = _DURATION.match(out)
    if not out or not match:
        raise fail(f"bad duration {out!r} (expected a duration like 24h, 1h or 30m)")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    total = days * 1440 + hours * 60 + minutes
    if not 0 < total <= 60 * 24 * 28:
        raise fail(f"duration {out!r} is out of range (expected more than 0 and at most 28d)")
    return total


def listed(check: Check[T], what: str) -> Check[list[T]]:
    """A list (or a comma-separated text) of values, each passing `check`, without repeats."""

    def inner(value: Any) -> list[T]:
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise fail(f"expected a list of {what}, got {value!r}")
        out: list[T] = []
        for item in value:
            got = check(item)
            if got not in out:
                out.append(got)
        return out

    return inner


def country(value: Any) -> str:
    """An ISO 3166 two-letter country code, upper-cased."""
    out = _scalar(value).upper()
    if len(out) != 2 or not out.isascii() or not out.isalpha():
        raise fail(f"bad country {out!r} (expected a two-letter ISO code like GB, US or IN)")
    return out


def support_kind(value: Any) -> str:
    """The kind of a support resource: eap, emergency, helpline or other."""
    out = _scalar(value).lower()
    if out not in SUPPORT_KINDS:
        raise fail(f"unknown kind {out!r} (expected {_or_list(SUPPORT_KINDS)})")
    return out


def safeguarding_policy(value: Any) -> str:
    """When the safeguarding contact is told: ask (the leader agrees), always or never."""
    out = _scalar(value).lower()
    if out not in SAFEGUARDING_POLICIES:
        raise fail(f"unknown policy {out!r} (expected {_or_list(SAFEGUARDING_POLICIES)})")
    return out


def slack_user_id(value: Any) -> str:
    """A Slack user id such as U024BE7LH."""
    raw = _scalar(value)
    out = raw.upper()
    if not _SLACK_USER.match(out):
        raise fail(f"bad Slack user id {raw!r} (expected an id like U024BE7LH)")
    return out


def teams_user_id(value: Any) -> str:
    """A Teams / Entra user id (an object id or a 29: id), without spaces."""
    out = _scalar(value)
    if not out or len(out) > 128 or any(c.isspace() or not c.isprintable() for c in out):
        raise fail(f"bad Teams user id {out!r} (expected an Entra object id or a 29: id)")
    return out


def external_id(what: str, max_len: int) -> Check[str]:
    """An opaque platform id (workspace, tenant, calendar) without spaces."""

    def check(value: Any) -> str:
        out = _scalar(value)
        if not out or len(out) > max_len or any(c.isspace() or not c.isprintable() for c in out):
            raise fail(f"bad {what} {out!r} (expected an id without spaces, at most {max_len})")
        return out

    return check
