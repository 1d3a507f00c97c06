"""Property tests of roster parsing (no database): never a crash, always a Problem or a value."""

from __future__ import annotations

import csv
import io
import unicodedata
from zoneinfo import available_timezones

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from bot.roster import fields
from bot.roster.context import CoachRef, Context, ProgrammeRef, build_context
from bot.roster.csv_rows import read_leaders_csv
from bot.roster.existing import Existing
from bot.roster.validate import (
    check_capacity,
    check_coaches,
    check_identities,
    check_leaders,
    check_organisation,
    check_programmes,
    people_ids,
)
from bot.roster.yaml_doc import read_org_yaml
from bot.timefmt import is_valid_zone

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZONES = sorted(z for z in available_timezones() if is_valid_zone(z))


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def acceptable(value: str, limit: int) -> bool:
    stripped = value.strip()
    return len(stripped) <= limit and not any(
        unicodedata.category(c) in ("Cc", "Cs") for c in stripped
    )


@SETTINGS
@given(name=st.text(max_size=220), cohort=st.text(max_size=70), level=st.text(max_size=70))
def test_text_fields_round_trip_or_are_rejected(name: str, cohort: str, level: str) -> None:
    text = csv_text(
        ["email", "name", "timezone", "programme", "cohort", "level"],
        [["sam@acme.example", name, "UTC", "lead", cohort, level]],
    )
    parsed, problems = read_leaders_csv(text)
    valid = (
        bool(name.strip())
        and acceptable(name, 200)
        and acceptable(cohort, 64)
        and acceptable(level, 64)
    )
    if valid:
        assert problems == []
        [row] = parsed.rows
        assert row.item.name == name.strip()
        assert row.item.cohort == (cohort.strip() or None)
        assert row.item.level == (level.strip() or None)
    else:
        assert problems and [r.item for r in parsed.rows] == [None]
        for problem in problems:
            assert problem.where.startswith("line 2, column ") and problem.message


LOCAL = st.from_regex(r"[a-z][a-z0-9._+-]{0,12}", fullmatch=True).filter(lambda s: ".." not in s)


@SETTINGS
@given(locals_=st.lists(LOCAL, min_size=1, max_size=6, unique=True), data=st.data())
def test_email_casing_and_whitespace_dedupe(locals_: list[str], data: st.DataObject) -> None:
    emails = [f"{local}@acme.example" for local in locals_]
    index = data.draw(st.integers(0, len(emails) - 1))
    flips = data.draw(
        st.lists(st.booleans(), min_size=len(emails[index]), max_size=len(emails[index]))
    )
    pad = data.draw(st.sampled_from(["", " ", "  ", "\t"]))
    variant = (
        pad
        + "".join(c.upper() if f else c for c, f in zip(emails[index], flips, strict=True))
        + pad
    )
    rows = [[e, "Name", "UTC", "lead"] for e in [*emails, variant]]
    parsed, problems = read_leaders_csv(csv_text(["email", "name", "timezone", "programme"], rows))
    assert all(r.item is not None for r in parsed.rows)  # every row is valid on its own
    assert {r.get("email") for r in parsed.rows} == set(emails)
    # The cross-row check sees the duplicate and names both lines.
    ctx, found = Context(existing=Existing(), default_locale="en"), []
    check_leaders(parsed.rows, ctx, found)
    dupes = [p for p in found if "duplicate email" in p.message]
    assert [(p.where, p.message.split(";")[0]) for p in dupes] == [
        (
            f"line {len(rows) + 1}, column email",
            f"duplicate email {emails[index]!r}: also at line {index + 2}",
        )
    ]
    assert problems == []


def _mangle(zone: str, how: int) -> str:
    if how == 0:
        return zone.lower()
    if how == 1:
        return zone[:-1]
    if how == 2:
        return zone.replace("/", " ")
    return zone + "x"


BAD_ZONES = st.one_of(
    st.text(max_size=40),
    st.builds(_mangle, st.sampled_from(ZONES), st.integers(0, 3)),
).filter(lambda s: not is_valid_zone(s.strip()))


@SETTINGS
@given(zone=BAD_ZONES)
def test_invalid_time_zones_are_always_rejected(zone: str) -> None:
    with pytest.raises(PydanticCustomError) as caught:
        fields.zone(zone)
    message = caught.value.message()
    assert message.startswith(("unknown time zone", "empty time zone"))
    assert "expected an IANA name like Europe/London" in message
    if zone.strip().lower() in {z.lower() for z in ZONES}:
        assert "did you mean" in message
    text = csv_text(["email", "name", "timezone", "programme"], [["a@b.example", "A", zone, "p"]])
    parsed, problems = read_leaders_csv(text)
    [row] = parsed.rows
    assert row.item is None and row.get("timezone") is None and row.get("name") == "A"
    assert [p.where for p in problems] == ["line 2, column timezone"]


@SETTINGS
@given(zone=st.sampled_from(ZONES), pad=st.sampled_from(["", " ", "\t "]))
def test_valid_time_zones_are_accepted(zone: str, pad: str) -> None:
    assert fields.zone(pad + zone + pad) == zone


@SETTINGS
@given(text=st.text(max_size=400))
def test_any_text_is_a_problem_or_rows_never_a_crash(text: str) -> None:
    parsed, problems = read_leaders_csv(text)
    assert problems or parsed.rows
    org, org_problems = read_org_yaml(text)
    assert org_problems or org is not None


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
SECTION = st.sampled_from(["organisation", "programmes", "coaches", "leaders", "other"])


@SETTINGS
@given(doc=st.dictionaries(SECTION, JSONISH, max_size=4))
def test_any_yaml_shape_gives_problems_not_crashes(doc: dict[str, object]) -> None:
    parsed, problems = read_org_yaml(yaml.safe_dump(doc))
    if parsed is None or parsed.organisation.item is None:
        assert problems
    if parsed is not None:  # the cross-row checks take any mix of partly valid entries
        ctx = build_context(Existing(), parsed.organisation, parsed.programmes, parsed.coaches)
        check_organisation(parsed.organisation, ctx, problems)
        check_programmes(parsed.programmes, problems)
        check_coaches(parsed.coaches, ctx, problems)
        slugs = check_leaders(parsed.leaders, ctx, problems)
        check_identities(people_ids(parsed.coaches) + people_ids(parsed.leaders), ctx, problems)
        check_capacity(parsed.leaders, slugs, ctx, problems)
    for problem in problems:
        assert isinstance(problem.where, str) and problem.where and problem.message


FAULTS = {
    "timezone": "Mars/Base",
    "programme": "nonexistent-prog",
    "coach_email": "ghost@acme.example",
    "name": "",
    "country": "GBR",
    "slack_user_id": "not a slack id",
}
GOOD_ROW = {
    "email": "sam@acme.example",
    "name": "Sam",
    "timezone": "UTC",
    "programme": "lead",
    "coach_email": "ana@acme.example",
    "country": "US",
    "slack_user_id": "U0SAM",
}


def _row_problems(faults: set[str]) -> set[tuple[str, str]]:
    """Every problem of one leaders.csv row with `faults`, fields and references alike."""
    row = {k: FAULTS[k] if k in faults else v for k, v in GOOD_ROW.items()}
    parsed, problems = read_leaders_csv(csv_text(list(row), [list(row.values())]))
    ctx = Context(existing=Existing(), default_locale="en")
    ctx.programmes["lead"] = ProgrammeRef("lead", "Leadership", "leadership")
    ctx.coaches["ana@acme.example"] = CoachRef("ana@acme.example", 2, ("leadership",), None)
    check_leaders(parsed.rows, ctx, problems)
    return {(p.where, p.message) for p in problems}


@SETTINGS
@given(faults=st.sets(st.sampled_from(sorted(FAULTS)), min_size=1))
def test_each_problem_of_a_row_is_reported_whatever_else_is_wrong(faults: set[str]) -> None:
    alone = [_row_problems({fault}) for fault in faults]
    assert all(len(problems) == 1 for problems in alone)
    assert _row_problems(faults) == set().union(*alone)
