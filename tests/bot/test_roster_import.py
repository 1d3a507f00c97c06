"""Roster import of the example files: counts, idempotent re-import, edits update in place."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.delivery.identities import mark_unreachable
from bot.roster import RosterError
from bot.roster.schema import REQUIRED_LEADER_COLUMNS, CoachIn, OrganisationIn, ProgrammeIn
from storage.db import Database
from storage.models import (
    AuditEntry,
    AvailabilityWindow,
    CoachProfile,
    Engagement,
    Person,
    PlatformIdentity,
    Programme,
)
from tests.bot.roster_helpers import (
    EXAMPLES,
    T0,
    load,
    load_csv,
    load_yaml,
    nonzero,
    row_counts,
    snapshot,
)

ORG = (EXAMPLES / "org.yaml").read_text(encoding="utf-8")
LEADERS = (EXAMPLES / "leaders.csv").read_text(encoding="utf-8")


async def load_examples(db: Database) -> None:
    await load(db, EXAMPLES / "org.yaml")
    await load(db, EXAMPLES / "leaders.csv")


def test_example_files_cover_the_brief() -> None:
    rows = list(csv.DictReader(io.StringIO(LEADERS)))
    zones = {r["timezone"] for r in rows}
    assert len(rows) >= 12
    assert {"America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Sydney"} <= zones
    assert len(zones) >= 5
    assert {r["programme"] for r in rows} == {"leadership-2026", "executive-2026"}
    assert len({r["cohort"] for r in rows}) >= 3 and len({r["level"] for r in rows}) >= 3
    assert "slack_user_id" not in rows[0] and "teams_user_id" not in rows[0]
    assert all(r["email"].endswith(".example") for r in rows)


async def test_examples_import_with_the_right_counts(db: Database) -> None:
    org = await load(db, EXAMPLES / "org.yaml")
    assert nonzero(org.created) == {
        "organisation": 1,
        "programme": 2,
        "coach": 5,
        "availability": 21,
    }
    assert not nonzero(org.updated) and not nonzero(org.unchanged)
    leaders = await load(db, EXAMPLES / "leaders.csv")
    assert nonzero(leaders.created) == {"leader": 16, "engagement": 16}
    counts = await row_counts(db)
    assert counts["people"] == 21 and counts["coach_profiles"] == 5
    assert counts["engagements"] == 16 and counts["availability_windows"] == 21
    assert counts["platform_identities"] == 0 and counts["slack_workspaces"] == 0
    assert counts["audit_log"] == 2

    async with db.reading() as s:
        ana = await s.scalar(
            select(Person)
            .where(Person.email == "ana.ruiz@coaches.northwind.example")
            .options(selectinload(Person.coach_profile).selectinload(CoachProfile.availability))
        )
        assert ana is not None and ana.role == "coach" and ana.timezone == "Europe/Madrid"
        profile = ana.coach_profile
        assert profile is not None
        assert (profile.accreditation_body, profile.accreditation_level) == ("ICF", "PCC")
        assert profile.languages == ["en", "es"] and profile.capacity == 6
        first = profile.availability[0]
        assert (first.weekday, first.starts, first.ends) == (0, time(9), time(12))
        grace = await s.scalar(
            select(CoachProfile).join(Person).where(Person.email.like("grace.liu@%"))
        )
        assert grace is not None and grace.accreditation_body == "EMCC"
        executive = await s.scalar(select(Programme).where(Programme.slug == "executive-2026"))
        assert executive is not None and executive.modality == "executive"
        assert executive.reminder_offsets_minutes == [2880, 120]
        assert executive.reflection_weekday == 3 and executive.reflection_time == time(8, 30)

        sam = await s.scalar(select(Person).where(Person.email == "sam.lee@northwind.example"))
        assert sam is not None and sam.role == "leader" and sam.cohort == "2026-spring"
        assert sam.locale == "en-US" and sam.country == "US" and sam.region == "North America"
        engagements = {
            e.leader.email: e
            for e in await s.scalars(
                select(Engagement).options(
                    selectinload(Engagement.leader), selectinload(Engagement.coach)
                )
            )
        }
        assert engagements["sam.lee@northwind.example"].coach.email.startswith("daniel.")  # type: ignore[union-attr]
        assert engagements["kenji.sato@northwind.example"].coach is None
        assert all(e.status == "active" for e in engagements.values())
        # started today in the leader's own zone: 20:00 UTC is already tomorrow in Sydney
        assert engagements["sam.lee@northwind.example"].started_on == date(2026, 11, 24)
        assert engagements["olivia.brown@northwind.example"].started_on == date(2026, 11, 25)

        audits = (await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        assert [a.action for a in audits] == ["roster.import", "roster.import"]
        assert audits[0].actor == "operator" and audits[0].subject_id == "northwind"
        assert audits[1].detail == {
            "created": {"leader": 16, "engagement": 16},
            "updated": {},
            "unchanged": {},
            "removed": {},
        }


async def test_reimport_changes_nothing(db: Database) -> None:
    await load_examples(db)
    before = await snapshot(db, skip=())
    later = T0 + timedelta(days=3)
    again_org = await load(db, EXAMPLES / "org.yaml", now=later)
    again_leaders = await load(db, EXAMPLES / "leaders.csv", now=later)
    for result in (again_org, again_leaders):
        assert not result.changed
        assert not nonzero(result.created) and not nonzero(result.updated)
    assert nonzero(again_org.unchanged) == {
        "organisation": 1,
        "programme": 2,
        "coach": 5,
        "availability": 21,
    }
    assert nonzero(again_leaders.unchanged) == {"leader": 16, "engagement": 16}
    assert await snapshot(db, skip=()) == before  # no row (not even an audit entry) moved
    assert (await row_counts(db))["audit_log"] == 2


async def test_a_partial_leaders_file_leaves_absent_columns_alone(db: Database) -> None:
    await load_examples(db)
    partial = (
        "email,name,timezone,programme\n"
        "sam.lee@northwind.example,Sam Lee,America/New_York,leadership-2026\n"
        "new.person@northwind.example,New Person,Europe/Paris,leadership-2026\n"
    )
    result = await load_csv(db, partial, now=T0 + timedelta(days=1))
    assert nonzero(result.created) == {"leader": 1, "engagement": 1}
    assert nonzero(result.unchanged) == {"leader": 1, "engagement": 1}
    assert not nonzero(result.updated)
    async with db.reading() as s:
        people = {p.email: p for p in await s.scalars(select(Person))}
    sam, new = people["sam.lee@northwind.example"], people["new.person@northwind.example"]
    assert (sam.locale, sam.country, sam.cohort) == ("en-US", "US", "2026-spring")
    assert sam.updated_at == T0
    assert (new.locale, new.country, new.cohort) == ("en", None, None)  # new: the defaults


def test_example_org_file_says_which_fields_are_required() -> None:
    """The comment block of examples/org.yaml marks every required field as required."""
    sections: dict[str, list[str]] = {}
    current = None
    for line in ORG.splitlines():
        if not line.startswith("#"):
            break
        header = re.match(r"# (organisation|programmes|coaches|leaders):", line)
        current = header[1] if header else current
        if current is not None:
            sections.setdefault(current, []).append(line)
    models = {
        "organisation": OrganisationIn,
        "programmes": ProgrammeIn,
        "coaches": CoachIn,
    }
    for section, model in models.items():
        lines = sections[section]
        for name, info in model.model_fields.items():
            if info.is_required():
                assert any(re.match(rf"#\s+{name}\b.*\brequired\b", line) for line in lines), (
                    section,
                    name,
                )
            else:
                assert not any(re.match(rf"#\s+{name}\b.*\brequired\b", line) for line in lines), (
                    section,
                    name,
                )
    leaders = " ".join(sections["leaders"])
    assert "required" in leaders
    assert all(column in leaders for column in REQUIRED_LEADER_COLUMNS)
    assert "day, from and to are required" in " ".join(sections["coaches"])


async def test_edited_org_file_updates_in_place(db: Database) -> None:
    await load_examples(db)
    async with db.reading() as s:
        ids_before = {p.email: p.id for p in await s.scalars(select(Person))}
        ana_windows = {
            (w.weekday, w.starts): w.id
            for w in await s.scalars(
                select(AvailabilityWindow)
                .join(CoachProfile)
                .join(Person)
                .where(Person.email.like("ana.ruiz@%"))
            )
        }
    edited = (
        ORG.replace(
            "timezone: Europe/London\n    locale: en-GB",
            "timezone: Europe/Dublin\n    locale: en-GB",
        )
        .replace('      - {day: tue, from: "15:00", to: "18:00"}\n', "")
        .replace(
            '- {day: mon, from: "09:00", to: "12:00"}\n      - {day: wed',
            '- {day: mon, from: "09:00", to: "13:00"}\n'
            '      - {day: fri, from: "08:00", to: "10:00"}\n'
            "      - {day: wed",
        )
        .replace("session_minutes: 90", "session_minutes: 75")
    )
    assert edited.count("Europe/Dublin") == 1
    later = T0 + timedelta(days=1)
    result = await load_yaml(db, edited, now=later)
    assert nonzero(result.updated) == {"coach": 1, "programme": 1, "availability": 1}
    assert nonzero(result.created) == {"availability": 1}
    assert nonzero(result.removed) == {"availability": 1}
    async with db.reading() as s:
        people = {p.email: p for p in await s.scalars(select(Person))}
        assert {e: p.id for e, p in people.items()} == ids_before
        henrik = people["henrik.larsen@coaches.northwind.example"]
        assert henrik.timezone == "Europe/Dublin" and henrik.updated_at == later
        assert people["ana.ruiz@coaches.northwind.example"].updated_at == T0
        windows = {
            (w.weekday, w.starts): (w.ends, w.id)
            for w in await s.scalars(
                select(AvailabilityWindow)
                .join(CoachProfile)
                .join(Person)
                .where(Person.email.like("ana.ruiz@%"))
            )
        }
        assert set(windows) == {(0, time(9)), (2, time(9)), (3, time(15)), (4, time(8))}
        assert windows[(0, time(9))] == (time(13), ana_windows[(0, time(9))])  # same row
        assert windows[(2, time(9))][1] == ana_windows[(2, time(9))]
        executive = await s.scalar(select(Programme).where(Programme.slug == "executive-2026"))
        assert executive is not None and executive.session_minutes == 75


async def test_edited_leaders_file_updates_in_place(db: Database) -> None:
    await load_examples(db)
    lines = LEADERS.splitlines()
    header, rows = lines[0], lines[1:]
    edited_rows = []
    for row in rows:
        if row.startswith("sam.lee@"):
            row = row.replace("America/New_York", "America/Chicago")
        elif row.startswith("olivia.brown@"):
            row = row.replace("2026-spring", "2027-spring")
        elif row.startswith("kenji.sato@"):
            row = row.replace(
                "leadership-2026,,", "leadership-2026,grace.liu@coaches.northwind.example,"
            )
        elif row.startswith("david.wilson@"):
            continue  # left out: stays as it is
        edited_rows.append(row)
    edited_rows.append(
        "new.person@northwind.example,New Person,Pacific/Auckland,leadership-2026,,"
        "Manager,Research,APAC,2027-spring,en,NZ"
    )
    later = T0 + timedelta(days=1)
    result = await load_csv(db, "\n".join([header, *edited_rows]) + "\n", now=later)
    assert nonzero(result.created) == {"leader": 1, "engagement": 1}
    assert nonzero(result.updated) == {"leader": 2, "engagement": 1}
    assert nonzero(result.unchanged) == {"leader": 13, "engagement": 14}
    async with db.reading() as s:
        people = {p.email: p for p in await s.scalars(select(Person))}
        assert people["sam.lee@northwind.example"].timezone == "America/Chicago"
        assert people["sam.lee@northwind.example"].updated_at == later
        assert people["olivia.brown@northwind.example"].cohort == "2027-spring"
        assert people["kenji.sato@northwind.example"].updated_at == T0
        assert "david.wilson@northwind.example" in people  # absent people are not deleted
        engagements = {e.leader_id: e for e in await s.scalars(select(Engagement))}
        kenji = engagements[people["kenji.sato@northwind.example"].id]
        assert kenji.coach_id == people["grace.liu@coaches.northwind.example"].id
        assert people["david.wilson@northwind.example"].id in engagements
        assert len(engagements) == 17

    # An empty coach_email never unassigns a coach matched earlier.
    unassign = f"{header}\n" + next(r for r in edited_rows if r.startswith("kenji.sato@")).replace(
        "grace.liu@coaches.northwind.example", ""
    )
    result = await load_csv(db, unassign, now=later)
    assert not result.changed
    async with db.reading() as s:
        still = await s.scalar(select(Engagement.coach_id).where(Engagement.id == kenji.id))
        assert still == kenji.coach_id


async def test_yaml_leaders_and_identities_with_a_workspace(db: Database) -> None:
    text = """
organisation:
  slug: acme
  name: Acme
  slack_workspaces: [{team_id: T0001, name: Acme}, {team_id: T0002}]
  teams_tenants: [{tenant_id: 1f2e3d4c-0000-0000-0000-000000000000, name: Acme}]
programmes: [{slug: lead, name: Leadership, modality: leadership}]
coaches:
  - {email: ana@acme.example, name: Ana, timezone: Europe/Madrid,
     accreditation: emcc master practitioner, modalities: leadership, slack_user_id: U0ANA}
leaders:
  - {email: Sam@Acme.example, name: Sam, timezone: America/New_York, programme: Leadership,
     coach_email: ANA@acme.example, slack_user_id: u0sam, teams_user_id: 29:1sam,
     started_on: 2026-11-02}
"""
    result = await load_yaml(db, text)
    assert nonzero(result.created) == {
        "organisation": 1,
        "slack_workspace": 2,
        "teams_tenant": 1,
        "programme": 1,
        "coach": 1,
        "leader": 1,
        "identity": 3,
        "engagement": 1,
    }
    async with db.reading() as s:
        ids = {
            (i.platform, i.tenant_key, i.external_id)
            for i in await s.scalars(select(PlatformIdentity))
        }
        assert ids == {
            ("slack", "T0001", "U0ANA"),
            ("slack", "T0001", "U0SAM"),
            ("teams", "1f2e3d4c-0000-0000-0000-000000000000", "29:1sam"),
        }
        eng = await s.scalar(select(Engagement))
        assert eng is not None and eng.started_on == date(2026, 11, 2)
        profile = await s.scalar(select(CoachProfile))
        assert profile is not None and profile.accreditation_level == "Master Practitioner"
    assert not (await load_yaml(db, text)).changed

    # A new Slack id for Sam updates the identity and forgets the old DM channel.
    async with db.transaction() as s:
        sam_id = await s.scalar(
            select(PlatformIdentity).where(PlatformIdentity.external_id == "U0SAM")
        )
        assert sam_id is not None
        sam_id.dm_channel_id = "D123"
    result = await load_csv(
        db,
        "email,name,timezone,programme,slack_user_id\nsam@acme.example,Sam,America/New_York,lead,U0SAM2\n",
    )
    assert nonzero(result.updated) == {"identity": 1}
    async with db.reading() as s:
        moved = await s.scalar(select(PlatformIdentity).where(PlatformIdentity.id == sam_id.id))
        assert moved is not None and moved.external_id == "U0SAM2" and moved.dm_channel_id is None


async def test_csv_needs_one_organisation(db: Database) -> None:
    text = "email,name,timezone,programme\nsam@acme.example,Sam,UTC,lead\n"
    try:
        await load_csv(db, text)
    except RosterError as exc:
        assert "import an org.yaml first" in str(exc)
    else:
        raise AssertionError("accepted without an organisation")
    base = (
        "organisation: {slug: %s, name: X}\nprogrammes: [{slug: lead, name: L, modality: team}]\n"
    )
    await load_yaml(db, base % "acme")
    await load_yaml(db, base % "globex")
    try:
        await load_csv(db, text)
    except RosterError as exc:
        assert "several organisations (acme, globex): pass --org SLUG" in str(exc)
    else:
        raise AssertionError("accepted with two organisations")
    try:
        await load_csv(db, text, organisation="initech")
    except RosterError as exc:
        assert "no organisation 'initech' (known: acme, globex)" in str(exc)
    else:
        raise AssertionError("accepted an unknown --org")
    result = await load_csv(db, text, organisation="Globex")
    assert result.created["leader"] == 1
    async with db.reading() as s:
        sam = await s.scalar(select(Person).where(Person.email == "sam@acme.example"))
        assert sam is not None and sam.locale == "en"


async def test_capacity_counts_leaders_already_assigned(db: Database) -> None:
    org = (EXAMPLES.parent / "tests" / "fixtures" / "roster" / "base.yaml").read_text()
    await load_yaml(db, org)
    two = (
        "email,name,timezone,programme,coach_email\n"
        "a@acme.example,A,UTC,lead,ana@acme.example\n"
        "b@acme.example,B,UTC,lead,ana@acme.example\n"
    )
    await load_csv(db, two)
    before = await snapshot(db)
    try:
        await load_csv(
            db,
            "email,name,timezone,programme,coach_email\nc@acme.example,C,UTC,lead,ana@acme.example\n",
        )
    except RosterError as exc:
        [problem] = exc.problems
        assert problem.where == "line 2, column coach_email"
        assert (
            "would have 3 leaders but their capacity is 2 (2 already assigned)" in problem.message
        )
    else:
        raise AssertionError("over capacity accepted")
    try:
        await load_yaml(db, org.replace("capacity: 2", "capacity: 1"))
    except RosterError as exc:
        [problem] = exc.problems
        assert problem.where == "coaches[0].capacity (line 12)"
        assert "would have 2 leaders but their capacity is 1" in problem.message
    else:
        raise AssertionError("capacity below the current load accepted")
    assert await snapshot(db) == before
    # Re-importing the same two leaders is not double-counted.
    assert not (await load_csv(db, two)).changed


async def test_importing_someone_again_clears_their_unreachable_mark(db: Database) -> None:
    await load(db, EXAMPLES / "org.yaml")
    await load(db, EXAMPLES / "leaders.csv")
    async with db.transaction() as s:
        person = await s.scalar(select(Person).where(Person.role == "leader").limit(1))
        assert person is not None
        await mark_unreachable(s, person.id, "slack", "no member with that email", T0, "T1")
    await load(db, EXAMPLES / "leaders.csv")
    async with db.reading() as s:
        marks = list(
            await s.scalars(
                select(PlatformIdentity.unreachable_reason).where(
                    PlatformIdentity.unreachable_reason.is_not(None)
                )
            )
        )
    assert marks == []
