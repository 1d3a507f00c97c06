"""Bad roster files: each gets its specific messages, with line or path, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.roster import RosterError
from bot.roster.service import decode
from storage.db import Database
from tests.bot.roster_helpers import (
    FIXTURES,
    load,
    load_csv,
    load_yaml,
    rejected,
    row_counts,
    snapshot,
)

TZ_HINT = "(expected an IANA name like Europe/London)"

YAML_CASES: dict[str, list[tuple[str, str]]] = {
    "bad_timezone.yaml": [
        (
            "coaches[2].timezone (line 17)",
            f"unknown time zone 'Europe/Lodnon' {TZ_HINT}; did you mean 'Europe/London'?",
        )
    ],
    "bad_availability.yaml": [
        (
            "coaches[0].availability[1] (line 10)",
            "mon 11:00-13:00 overlaps mon 09:00-12:00 at availability[0]",
        ),
        (
            "coaches[1].availability[0] (line 17)",
            "window ends at 10:00, not after it starts at 14:00",
        ),
        ("coaches[1].availability[1].day (line 18)", "unknown day 'funday' (expected mon, tue"),
        ("coaches[1].availability[2].from (line 19)", "bad time '9am' (expected HH:MM"),
        ("coaches[1].availability[2].to (line 19)", "bad time '25:00' (expected HH:MM"),
    ],
    "bad_choices.yaml": [
        ("organisation.default_locale (line 1)", "bad locale 'english' (expected a language tag"),
        (
            "programmes[0].modality (line 5)",
            "unknown modality 'leadrship' (expected executive, leadership, career or team)",
        ),
        (
            "programmes[0].nudge_cadence_days (line 6)",
            "10 days is not whole weeks (expected 7, 14, 21, 28)",
        ),
        (
            "coaches[0].accreditation (line 11)",
            "unknown accreditation 'ICF Gold' (expected ICF ACC, ICF PCC",
        ),
        ("coaches[0].modalities (line 12)", "unknown modality 'therapy'"),
        ("coaches[1].email (line 14)", "bad email 'not-an-email' (expected an address like"),
        ("coaches[1].capacity (line 19)", "expected a whole number, got 'lots'"),
    ],
    "duplicates.yaml": [
        (
            "programmes[1].slug (line 4)",
            "duplicate programme 'lead': also at programmes[0] (line 3)",
        ),
        (
            "coaches[1].email (line 11)",
            "duplicate email 'ana@acme.example': also at coaches[0] (line 6)",
        ),
    ],
    "unknown_and_missing.yaml": [
        ("organisation.colour (line 4)", "unknown field 'colour'"),
        ("programmes[0].name (line 6)", "missing required field 'name'"),
        ("coaches[0].timezone (line 9)", "missing required field 'timezone'"),
        ("coaches[0].timezon (line 11)", "unknown field 'timezon'; did you mean 'timezone'?"),
        ("leaderz (line 14)", "unknown section 'leaderz'; did you mean 'leaders'?"),
    ],
    "leaders_refs.yaml": [
        (
            "leaders[1].coach_email (line 14)",
            "coach 'ana@acme.example' would have 3 leaders but their capacity is 1",
        ),
        (
            "leaders[2].coach_email (line 15)",
            "coach 'ana@acme.example' does not coach the 'executive' modality of programme 'exec'",
        ),
        (
            "leaders[3].programme (line 16)",
            "unknown programme 'sales' (expected one of: exec, lead)",
        ),
        ("leaders[3].coach_email (line 16)", "unknown coach 'zed@acme.example'"),
        (
            "leaders[4].email (line 17)",
            "duplicate email 'ana@acme.example': also at coaches[0] (line 6)",
        ),
    ],
    "not_yaml.yaml": [("line 4, column 1", "not valid YAML: while parsing a flow sequence")],
    "empty.yaml": [("file", "the file is empty")],
    "not_org.yaml": [("line 1", "this does not look like an organisation YAML")],
    "leaders.xlsx": [("file", "unsupported file type '.xlsx' (expected .yaml, .yml or .csv)")],
    "not_utf8.csv": [
        (
            "line 2",
            "the file is not UTF-8 text (byte 0xe9 cannot be read); save it as UTF-8 (in Excel",
        )
    ],
    "not_utf8.yaml": [("line 1", "the file is not UTF-8 text (byte 0xe9 cannot be read)")],
}

CSV_CASES: dict[str, list[tuple[str, str]]] = {
    "bad_timezone.csv": [
        (
            "line 3, column timezone",
            f"unknown time zone 'Europe/Lodnon' {TZ_HINT}; did you mean 'Europe/London'?",
        ),
        ("line 4, column timezone", f"unknown time zone 'Mars/Olympus_Mons' {TZ_HINT}"),
    ],
    "references.csv": [
        ("line 2, column coach_email", "unknown coach 'zed@acme.example': no coach has that email"),
        ("line 3, column programme", "unknown programme 'sales' (expected one of: exec, lead)"),
        (
            "line 4, column coach_email",
            "does not coach the 'executive' modality of programme 'exec'",
        ),
    ],
    "duplicate_email.csv": [
        ("line 4, column email", "duplicate email 'sam@acme.example': also at line 2"),
    ],
    "bad_values.csv": [
        ("line 2, column email", "bad email 'sam.acme.example'"),
        ("line 3, column name", "empty name: a value is required"),
        ("line 3, column locale", "bad locale 'klingon-language'"),
        ("line 3, column country", "bad country 'GBR' (expected a two-letter ISO code"),
        ("line 3, column started_on", "bad date '2026-02-30' (expected YYYY-MM-DD"),
        ("line 4, column slack_user_id", "bad Slack user id 'not a slack id'"),
    ],
    "missing_column.csv": [("line 1", "missing required column 'timezone'")],
    "unknown_column.csv": [
        ("line 1", "unknown column 'favourite_colour' (columns: email, name, timezone"),
        ("line 1", "unknown column 'levle' (columns: email"),
    ],
    "capacity.csv": [
        (
            "line 4, column coach_email",
            "coach 'ana@acme.example' would have 3 leaders but their capacity is 2",
        ),
    ],
    "wrong_count.csv": [("line 2", "row has 6 values but the header has 5 columns")],
    "empty.csv": [("file", "the file is empty")],
    "not_csv.csv": [("line 1", "this does not look like a leaders CSV")],
}


def _assert_problems(error: RosterError, expected: list[tuple[str, str]]) -> None:
    got = [(p.where, p.message) for p in error.problems]
    assert len(got) == len(expected), got
    for where, message in expected:
        assert any(w == where and message in m for w, m in got), (where, message, got)
    assert str(error).count("\n") == len(expected) - 1  # one line per problem


@pytest.mark.parametrize("name", sorted(YAML_CASES))
async def test_bad_file_on_an_empty_database_writes_nothing(db: Database, name: str) -> None:
    error = await rejected(db, FIXTURES / name)
    _assert_problems(error, YAML_CASES[name])
    assert set((await row_counts(db)).values()) == {0}


@pytest.mark.parametrize("name", sorted(CSV_CASES))
async def test_bad_leaders_file_changes_nothing(db: Database, name: str) -> None:
    await load(db, FIXTURES / "base.yaml")
    before, counts = await snapshot(db, skip=()), await row_counts(db)
    error = await rejected(db, FIXTURES / name)
    _assert_problems(error, CSV_CASES[name])
    assert await snapshot(db, skip=()) == before and await row_counts(db) == counts


async def test_bad_leaders_file_without_an_organisation(db: Database) -> None:
    error = await rejected(db, FIXTURES / "bad_timezone.csv")
    assert error.problems[0].message.startswith("there is no organisation yet")
    assert set((await row_counts(db)).values()) == {0}


def test_only_a_csv_gets_the_excel_hint() -> None:
    [problem] = decode((FIXTURES / "not_utf8.yaml").read_bytes(), kind="yaml")[1]
    assert problem.message.endswith("; save it as UTF-8") and "Excel" not in problem.message
    [problem] = decode((FIXTURES / "not_utf8.csv").read_bytes(), kind="csv")[1]
    assert problem.message.endswith("; save it as UTF-8 (in Excel: 'CSV UTF-8')")


async def test_missing_file_directory_and_wrong_org(db: Database, tmp_path: Path) -> None:
    error = await rejected(db, tmp_path / "nowhere.csv")
    assert [(p.where, p.message) for p in error.problems] == [("file", "no such file")]
    for folder in (tmp_path, tmp_path / "leaders.csv"):
        folder.mkdir(exist_ok=True)
        error = await rejected(db, folder)
        assert [(p.where, p.message) for p in error.problems] == [
            ("file", "this is a directory, not a file (expected a .yaml, .yml or .csv file)")
        ]
    error = await rejected(db, FIXTURES / "base.yaml", organisation="globex")
    assert "the file is for organisation 'acme', not 'globex'" in str(error)
    assert set((await row_counts(db)).values()) == {0}


async def test_role_and_identity_conflicts(db: Database) -> None:
    await load(db, FIXTURES / "base.yaml")
    bad = (
        "email,name,timezone,programme,slack_user_id\n"
        "ana@acme.example,Ana,UTC,lead,\n"
        "sam@acme.example,Sam,UTC,lead,U0SAM\n"
        "kim@acme.example,Kim,UTC,lead,u0sam\n"
    )
    before = await snapshot(db, skip=())
    with pytest.raises(RosterError) as caught:
        await load_csv(db, bad)
    got = [(p.where, p.message) for p in caught.value.problems]
    assert got == [
        (
            "line 2, column email",
            "'ana@acme.example' is already a coach in this organisation and cannot also be a "
            "leader",
        ),
        ("line 4, column slack_user_id", "Slack user id 'U0SAM' is also at line 3"),
    ]
    assert await snapshot(db, skip=()) == before


async def test_windows_line_endings_semicolons_and_bom(db: Database, tmp_path: Path) -> None:
    await load(db, FIXTURES / "base.yaml")
    path = tmp_path / "leaders.csv"
    path.write_bytes(
        "\ufeffEmail;Name;Timezone;Programme\r\n"
        "sam@acme.example;Sam;UTC;lead\r\n"
        '"kim@acme.example";"Kim\r\nPark";UTC;lead\r\n'
        "lee@acme.example;Lee;Europe/Lodnon;lead\r\n".encode()
    )
    error = await rejected(db, path)
    assert [(p.where, p.message[:30]) for p in error.problems] == [
        ("line 3, column name", "name contains a control charac"),
        ("line 5, column timezone", "unknown time zone 'Europe/Lodn"),
    ]
    path.write_bytes(
        b"\xef\xbb\xbfEmail;Name;Timezone;Programme\r\nsam@acme.example;Sam;UTC;lead\r\n"
    )
    assert (await load(db, path)).created["leader"] == 1


async def test_file_level_problems_name_their_place(db: Database, tmp_path: Path) -> None:
    """No problem prints with an empty place: `  {where}: {message}` always reads well."""
    header = "email,name,timezone,programme\n"
    with pytest.raises(RosterError) as caught:
        await load_csv(db, header + "sam@acme.example,Sam,UTC,lead\n")
    assert [(p.where, p.message) for p in caught.value.problems] == [
        ("database", "there is no organisation yet: import an org.yaml first")
    ]
    await load(db, FIXTURES / "base.yaml")
    cases = [
        ("", None, ("file", "the file is empty (expected a leaders CSV with a header row)")),
        (",,,\n", None, ("file", "the file has no header row (expected a leaders CSV)")),
        (header, None, ("file", "the file has a header row but no leaders")),
        (header + "sam@acme.example,Sam,UTC,lead\n", "nope", ("--org", "no organisation 'nope'")),
    ]
    for text, org, expected in cases:
        with pytest.raises(RosterError) as caught:
            await load_csv(db, text, organisation=org)
        [problem] = caught.value.problems
        assert problem.where == expected[0] and problem.message.startswith(expected[1])
    await load_yaml(db, "organisation: {slug: globex, name: Globex}\n")
    with pytest.raises(RosterError) as caught:
        await load_csv(db, header)
    assert [(p.where, p.message) for p in caught.value.problems] == [
        ("--org", "there are several organisations (acme, globex): pass --org SLUG"),
        ("file", "the file has a header row but no leaders"),
    ]
    error = await rejected(db, tmp_path / "missing.yaml")
    assert str(error) == "missing.yaml: file: no such file"
