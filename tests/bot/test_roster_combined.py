"""Files with several problems in one row or entry: every problem is reported at once."""

from __future__ import annotations

from bot.roster import RosterError
from storage.db import Database
from tests.bot.roster_helpers import FIXTURES, load, load_yaml, rejected, row_counts, snapshot

TZ = "(expected an IANA name like Europe/London)"


def _assert_all(error: RosterError, expected: list[tuple[str, str]]) -> None:
    """Exactly `expected`, in this order (by line), each message containing its text."""
    got = [(p.where, p.message) for p in error.problems]
    assert [w for w, _ in got] == [w for w, _ in expected], got
    for (_, message), (_, part) in zip(got, expected, strict=True):
        assert part in message, (part, got)


async def test_every_problem_of_an_org_file_at_once(db: Database) -> None:
    error = await rejected(db, FIXTURES / "combined.yaml")
    _assert_all(
        error,
        [
            ("programmes[1] (line 5)", "ends_on 2026-01-01 is not after starts_on 2026-05-01"),
            ("programmes[1].slug (line 5)", "duplicate programme 'lead': also at programmes[0]"),
            ("programmes[2].modality (line 6)", "unknown modality 'executiv'"),
            ("coaches[0].accreditation (line 8)", "missing required field 'accreditation'"),
            (
                "coaches[0].availability[1] (line 15)",
                "mon 11:00-13:00 overlaps mon 09:00-12:00 at availability[0]",
            ),
            ("coaches[1].availability[0].day (line 22)", "unknown day 'funday'"),
            (
                "coaches[1].availability[2] (line 24)",
                "tue 10:00-11:00 overlaps tue 09:00-12:00 at availability[1]",
            ),
            (
                "coaches[2].email (line 25)",
                "duplicate email 'ana@acme.example': also at coaches[0] (line 8)",
            ),
            ("coaches[2].timezone (line 27)", f"unknown time zone 'Mars/Base' {TZ}"),
            ("coaches[3].capacity (line 35)", "expected a whole number, got 'lots'"),
            ("leaders[0].timezone (line 37)", f"unknown time zone 'Mars/Base' {TZ}"),
            ("leaders[0].coach_email (line 37)", "unknown coach 'zed@acme.example'"),
            ("leaders[1].country (line 38)", "bad country 'GBR'"),
            (
                "leaders[2].coach_email (line 39)",
                "coach 'ana@acme.example' would have 2 leaders but their capacity is 1",
            ),
            ("leaders[3].name (line 40)", "missing required field 'name'"),
            ("leaders[4].timezone (line 41)", "unknown time zone 'Nowhere'"),
            (
                "leaders[4].email (line 41)",
                "duplicate email 'bo@acme.example': also at coaches[1] (line 16)",
            ),
        ],
    )
    assert set((await row_counts(db)).values()) == {0}


async def test_every_problem_of_a_leaders_file_at_once(db: Database) -> None:
    await load(db, FIXTURES / "base.yaml")
    before = await snapshot(db, skip=())
    error = await rejected(db, FIXTURES / "combined.csv")
    _assert_all(
        error,
        [
            ("line 2, column timezone", f"unknown time zone 'Mars/Base' {TZ}"),
            (
                "line 2, column programme",
                "unknown programme 'nonexistent-prog' (expected one of: exec, lead)",
            ),
            (
                "line 2, column coach_email",
                "unknown coach 'ghost@acme.example': no coach has that email",
            ),
            ("line 3, column name", "empty name: a value is required"),
            ("line 4, column timezone", "unknown time zone 'Europe/Lodnon'"),
            ("line 4, column email", "duplicate email 'kim@acme.example': also at line 3"),
            (
                "line 5, column coach_email",
                "coach 'ana@acme.example' does not coach the 'executive' modality",
            ),
            ("line 6, column country", "bad country 'GBR'"),
            (
                "line 6, column coach_email",
                "coach 'ana@acme.example' would have 3 leaders but their capacity is 2",
            ),
        ],
    )
    assert await snapshot(db, skip=()) == before


async def test_a_coach_with_a_bad_field_is_still_known(db: Database) -> None:
    """A leader of a coach whose entry has a problem gets no 'unknown coach' on top of it."""
    text = (FIXTURES / "base.yaml").read_text(encoding="utf-8")
    bad = text.replace("capacity: 2", "capacity: 2\n    country: Spain") + (
        "leaders:\n"
        "  - {email: sam@acme.example, name: Sam, timezone: UTC, programme: lead,"
        " coach_email: ana@acme.example}\n"
    )
    try:
        await load_yaml(db, bad)
    except RosterError as exc:
        assert [(p.where, p.message[:11]) for p in exc.problems] == [
            ("coaches[0].country (line 13)", "bad country")
        ]
    else:
        raise AssertionError("a bad country was accepted")
