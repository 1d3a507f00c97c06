"""Calendar invites: valid RFC 5545 that shows the same instant in each recipient's own zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar, Event

from bot.booking.ics import invite
from bot.ui import Message
from handlers.web.render import render_message
from prompts import copy_for
from storage.models import Booking, Person

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
LEADER_ZONE = "America/New_York"
COACH_ZONE = "Europe/London"


def people() -> tuple[Person, Person]:
    coach = Person(id=1, email="coach@example.com", name="Ana Ruiz", timezone=COACH_ZONE)
    leader = Person(id=2, email="leader@example.com", name="Sam Lee", timezone=LEADER_ZONE)
    return coach, leader


def booking(starts_at: datetime, **fields: object) -> Booking:
    values: dict[str, object] = {
        "id": 7,
        "kind": "session",
        "status": "confirmed",
        "coach_id": 1,
        "leader_id": 2,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=1),
        "ics_uid": "booking-7@coach-companion",
        "sequence": 0,
        "title": "",
        "capacity": 1,
        "seats_taken": 1,
        "join_url": None,
    }
    values.update(fields)
    return Booking(**values)


def parse(content: str) -> tuple[Calendar, Event]:
    cal = Calendar.from_ical(content)
    assert isinstance(cal, Calendar)
    events = cal.events
    assert len(events) == 1
    return cal, events[0]


def make(b: Booking, zone: str) -> tuple[Calendar, Event, str]:
    coach, leader = people()
    attachment = invite(
        booking=b, coach=coach, leaders=[leader], zone=zone, method="REQUEST", now=NOW
    )
    cal, event = parse(attachment.content)
    return cal, event, attachment.content


def local_start_from_vtimezone(cal: Calendar, event: Event) -> datetime:
    """DTSTART read through the invite's own VTIMEZONE (as a calendar without tzdata would)."""
    (vtimezone,) = cal.timezones
    own_zone = vtimezone.to_tz(lookup_tzid=False)
    naive = event.start.replace(tzinfo=None)
    return naive.replace(tzinfo=own_zone)


def test_request_has_the_required_properties() -> None:
    start = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    coach, leader = people()
    attachment = invite(
        booking=booking(start, sequence=2),
        coach=coach,
        leaders=[leader],
        zone=LEADER_ZONE,
        method="REQUEST",
        now=NOW,
    )
    assert attachment.filename == "coaching-session.ics"
    assert attachment.media_type == "text/calendar; method=REQUEST"
    cal, event = parse(attachment.content)
    assert str(cal["METHOD"]) == "REQUEST"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]).startswith("-//Coach Companion")
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(event["UID"]) == "booking-7@coach-companion"
    assert int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.DTSTAMP == NOW
    assert str(event["SUMMARY"]) == "Coaching session: Sam Lee with Ana Ruiz"
    assert str(event["ORGANIZER"]) == "mailto:coach@example.com"
    assert event["ORGANIZER"].params["CN"] == "Ana Ruiz"
    attendees = {str(a): a.params for a in event["ATTENDEE"]}
    assert attendees["mailto:leader@example.com"]["CN"] == "Sam Lee"
    assert attendees["mailto:leader@example.com"]["ROLE"] == "REQ-PARTICIPANT"
    assert attendees["mailto:leader@example.com"]["PARTSTAT"] == "ACCEPTED"
    assert attendees["mailto:coach@example.com"]["ROLE"] == "CHAIR"
    assert "URL" not in event and "LOCATION" not in event
    assert "DESCRIPTION" in event
    assert "\r\n" in attachment.content  # RFC 5545 line endings


@pytest.mark.parametrize(
    ("start", "leader_local", "coach_local"),
    [
        # Winter: New York EST (UTC-5), London GMT.
        (datetime(2026, 12, 1, 14, tzinfo=UTC), "20261201T090000", "20261201T140000"),
        # 16 March 2026: the US is on EDT since 8 March, the UK still on GMT until 29 March.
        (datetime(2026, 3, 16, 14, tzinfo=UTC), "20260316T100000", "20260316T140000"),
        # 27 October 2026: the UK is back on GMT since 25 October, the US on EDT until 1 Nov.
        (datetime(2026, 10, 27, 14, tzinfo=UTC), "20261027T100000", "20261027T140000"),
        # Summer: EDT and BST.
        (datetime(2026, 7, 1, 14, tzinfo=UTC), "20260701T100000", "20260701T150000"),
    ],
)
def test_each_zone_shows_the_same_instant(
    start: datetime, leader_local: str, coach_local: str
) -> None:
    for zone, expected in ((LEADER_ZONE, leader_local), (COACH_ZONE, coach_local)):
        cal, event, content = make(booking(start), zone)
        assert f"DTSTART;TZID={zone}:{expected}" in content
        assert cal.get_missing_tzids() == set()
        assert [tz.tz_name for tz in cal.timezones] == [zone]
        assert event.start.astimezone(UTC) == start
        assert event.end.astimezone(UTC) == start + timedelta(hours=1)
        # The VTIMEZONE alone (no tzdata lookup) gives the same instant too.
        assert local_start_from_vtimezone(cal, event).astimezone(UTC) == start


def test_cancel_has_cancelled_status_and_a_higher_sequence() -> None:
    start = datetime(2026, 12, 1, 14, tzinfo=UTC)
    _, first, _ = make(booking(start, sequence=0), LEADER_ZONE)
    coach, leader = people()
    attachment = invite(
        booking=booking(start, sequence=1, status="cancelled"),
        coach=coach,
        leaders=[leader],
        zone=LEADER_ZONE,
        method="CANCEL",
        now=NOW,
    )
    assert attachment.filename == "coaching-session-cancelled.ics"
    assert attachment.media_type == "text/calendar; method=CANCEL"
    cal, event = parse(attachment.content)
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == str(first["UID"])
    assert int(event["SEQUENCE"]) > int(first["SEQUENCE"])
    assert event.start.astimezone(UTC) == start


def test_join_link_is_the_url_and_location() -> None:
    url = "https://teams.microsoft.com/l/meetup-join/abc;def?context=x"
    _, event, _ = make(booking(datetime(2026, 12, 1, 14, tzinfo=UTC), join_url=url), COACH_ZONE)
    assert str(event["URL"]) == url
    assert str(event["LOCATION"]) == url
    assert url in str(event["DESCRIPTION"])


def test_group_and_chemistry_summaries() -> None:
    start = datetime(2026, 12, 1, 14, tzinfo=UTC)
    _, event, _ = make(booking(start, kind="group", title="Leading change", leader_id=None), "UTC")
    assert str(event["SUMMARY"]) == "Group session: Leading change with Ana Ruiz"
    _, event, _ = make(booking(start, kind="chemistry"), COACH_ZONE)
    assert str(event["SUMMARY"]) == "Chemistry call: Sam Lee with Ana Ruiz"


def test_a_zone_missing_from_tzdata_falls_back_to_utc() -> None:
    start = datetime(2026, 12, 1, 14, tzinfo=UTC)
    _, event, content = make(booking(start), "Mars/Olympus_Mons")
    assert "DTSTART:20261201T140000Z" in content
    assert event.start == start


def test_a_sequence_override_is_used_for_one_attendees_copy() -> None:
    start = datetime(2026, 12, 1, 14, tzinfo=UTC)
    coach, leader = people()
    group = booking(start, kind="group", title="Leading change", leader_id=None, sequence=2)
    joined = invite(
        booking=group, coach=coach, leaders=[leader], zone=LEADER_ZONE, method="REQUEST", now=NOW
    )
    left = invite(
        booking=group,
        coach=coach,
        leaders=[leader],
        zone=LEADER_ZONE,
        method="CANCEL",
        now=NOW,
        sequence=3,
    )
    _, join_event = parse(joined.content)
    _, cancel_event = parse(left.content)
    assert int(join_event["SEQUENCE"]) == 2
    assert int(cancel_event["SEQUENCE"]) == 3
    assert str(cancel_event["UID"]) == str(join_event["UID"])


@pytest.mark.parametrize(
    ("kind", "method", "name"),
    [
        ("session", "REQUEST", "coaching-session.ics"),
        ("session", "CANCEL", "coaching-session-cancelled.ics"),
        ("chemistry", "REQUEST", "chemistry-call.ics"),
        ("chemistry", "CANCEL", "chemistry-call-cancelled.ics"),
        ("group", "REQUEST", "group-session.ics"),
        ("group", "CANCEL", "group-session-cancelled.ics"),
    ],
)
def test_the_file_is_named_after_the_kind_of_session(kind: str, method: str, name: str) -> None:
    coach, leader = people()
    attachment = invite(
        booking=booking(datetime(2026, 12, 1, 14, tzinfo=UTC), kind=kind, title="Team"),
        coach=coach,
        leaders=[leader],
        zone=COACH_ZONE,
        method="CANCEL" if method == "CANCEL" else "REQUEST",
        now=NOW,
    )
    assert attachment.filename == name


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_the_playground_link_names_the_file_for_both_invites_and_cancellations(
    method: str,
) -> None:
    coach, leader = people()
    attachment = invite(
        booking=booking(datetime(2026, 12, 1, 14, tzinfo=UTC)),
        coach=coach,
        leaders=[leader],
        zone=COACH_ZONE,
        method="CANCEL" if method == "CANCEL" else "REQUEST",
        now=NOW,
    )
    html = render_message(
        Message(text="Done", attachments=(attachment,)),
        sent_at=NOW,
        zone=COACH_ZONE,
        dom_id="m1",
        copy=copy_for("en"),
    )
    assert f'class="cc-file" download="{attachment.filename}"' in html
    assert f">Calendar file: {attachment.filename}</a>" in html
    assert "Add to calendar" not in html
