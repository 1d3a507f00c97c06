"""Calendar invites (RFC 5545) for bookings: one VEVENT in the recipient's zone, with VTIMEZONE."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from icalendar import Calendar, Event, vCalAddress

from bot.timefmt import is_valid_zone, zone_info
from bot.ui import Attachment
from prompts import copy_for
from storage.models import Booking, Person

PRODID = "-//Coach Companion//Booking//EN"
_STEMS = {"session": "coaching-session", "chemistry": "chemistry-call", "group": "group-session"}
TIMEZONE_SPAN = timedelta(days=400)
"""VTIMEZONE rules cover this long either side of the session (enough for any client)."""

Method = Literal["REQUEST", "CANCEL"]


def safe_zone(name: str) -> str:
    """`name` when it is a real IANA zone, else UTC (never fail to show a time)."""
    return name if is_valid_zone(name) else "UTC"


def filename(booking: Booking, *, cancelled: bool = False) -> str:
    """The invite's file name: 'coaching-session.ics', 'chemistry-call-cancelled.ics', ..."""
    stem = _STEMS.get(booking.kind, _STEMS["session"])
    return f"{stem}-cancelled.ics" if cancelled else f"{stem}.ics"


def _address(person: Person, *, role: str, partstat: str) -> vCalAddress:
    return vCalAddress.new(
        f"mailto:{person.email}", cn=person.name, role=role, partstat=partstat, rsvp=False
    )


def summary(*, booking: Booking, coach: Person, leaders: Sequence[Person], locale: str) -> str:
    """The event's title, e.g. 'Coaching session: Sam Lee with Ana Ruiz' (no private text)."""
    copy = copy_for(locale)
    if booking.kind == "group" or not leaders:
        return copy("notices.ics_summary_group", title=booking.title, coach=coach.name)
    kind = "chemistry" if booking.kind == "chemistry" else "session"
    return copy(f"notices.ics_summary_{kind}", leader=leaders[0].name, coach=coach.name)


def invite(
    *,
    booking: Booking,
    coach: Person,
    leaders: Sequence[Person],
    zone: str,
    method: Method,
    now: datetime,
    locale: str | None = None,
    sequence: int | None = None,
) -> Attachment:
    """An .ics invite (or cancellation) for `booking`, its times in the recipient's `zone`.

    `sequence` overrides the booking's for one attendee's copy (a leader leaving a group session
    gets a cancellation newer than their invite although the session itself did not change).
    """
    copy = copy_for(locale)
    tz = zone_info(safe_zone(zone))
    cancel = method == "CANCEL"
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = Event()
    event.add("uid", booking.ics_uid)
    event.add("sequence", booking.sequence if sequence is None else sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", booking.starts_at.astimezone(tz))
    event.add("dtend", booking.ends_at.astimezone(tz))
    event.add("summary", summary(booking=booking, coach=coach, leaders=leaders, locale=copy.locale))
    description = copy("notices.ics_description_cancelled" if cancel else "notices.ics_description")
    if booking.join_url:
        description += "\n" + copy("notices.join_link", url=booking.join_url)
    event.add("description", description)
    event.add("organizer", vCalAddress.new(f"mailto:{coach.email}", cn=coach.name))
    event.add("attendee", _address(coach, role="CHAIR", partstat="ACCEPTED"))
    for leader in leaders:
        event.add("attendee", _address(leader, role="REQ-PARTICIPANT", partstat="ACCEPTED"))
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    if booking.join_url:
        event.add("url", booking.join_url)
        event.add("location", booking.join_url)
    cal.add_component(event)
    cal.add_missing_timezones(
        first_date=(booking.starts_at - TIMEZONE_SPAN).date(),
        last_date=(booking.ends_at + TIMEZONE_SPAN).date(),
    )
    return Attachment(
        filename=filename(booking, cancelled=cancel),
        media_type=f"text/calendar; method={method}",
        content=cal.to_ical().decode("utf-8"),
    )
