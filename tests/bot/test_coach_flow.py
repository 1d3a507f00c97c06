"""The coach's side through the conversation: the group form's checks and time off (`away`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.ui import Message
from storage.db import Database
from storage.models import Booking, CoachBusy, Engagement, Person, Programme
from tests.bot.test_booking_flow import COACH, button, count, turn
from tests.factories import T0, add_booking, make_world

GOOD = {
    "f_title": "Leading through change",
    "f_date": "2026-12-03",
    "f_time": "15:00",
    "f_minutes": "90",
    "f_capacity": "8",
}


async def submit(
    db: Database,
    programme_id: int,
    changed: dict[str, str] | None = None,
    *,
    now: datetime = T0,
    **fields: str,
) -> Message:
    """Submit the group form as the coach (GOOD with some fields changed); the one reply."""
    values = {**GOOD, "f_programme": str(programme_id), **(changed or {}), **fields}
    [reply] = await turn(db, COACH, now=now, form_id="group.create", **values)
    return reply


async def world(db: Database) -> int:
    async with db.transaction() as s:
        w = await make_world(s)
        return w.programme.id


@pytest.mark.parametrize(
    ("fields", "named", "not_named"),
    [
        ({"f_time": "25:00"}, "Start time (Europe/Madrid): write it as HH:MM", "Date:"),
        ({"f_time": "9:75"}, "Start time", "Date:"),
        ({"f_time": ""}, "Start time (Europe/Madrid): it's required.", "Date:"),
        ({"f_date": "2026-02-30"}, "Date: write it as YYYY-MM-DD, e.g. 2026-12-01", "Start"),
        ({"f_date": "3 Dec"}, "Date: write it as YYYY-MM-DD", "Start"),
        ({"f_title": "x" * 201}, "Title: keep it to 200 characters or fewer.", "Date:"),
        ({"f_title": "   "}, "Title: it's required.", "Date:"),
        ({"f_minutes": "10"}, "Length in minutes: a whole number from 15 to 240.", "Places"),
        ({"f_minutes": "241"}, "Length in minutes: a whole number from 15 to 240.", "Places"),
        ({"f_minutes": "1.5"}, "Length in minutes", "Places"),
        ({"f_capacity": "1"}, "Places: a whole number from 2 to 50.", "Length"),
        ({"f_capacity": "51"}, "Places: a whole number from 2 to 50.", "Length"),
        ({"f_date": "2026-11-24", "f_time": "10:59"}, "That time has already passed", "Date:"),
    ],
)
async def test_each_bad_field_is_named_and_nothing_is_created(
    db: Database, fields: dict[str, str], named: str, not_named: str
) -> None:
    programme_id = await world(db)
    reply = await submit(db, programme_id, fields)
    assert reply.text.startswith("Nothing was created. Please check:")
    assert named in reply.text and not_named not in reply.text
    assert reply.form is not None and reply.form.form_id == "group.create"  # shown again
    typed = {f.name: f.initial for f in reply.form.fields}
    for name, value in fields.items():  # as typed (cut to what the input holds)
        assert typed[name.removeprefix("f_")] == value[:200] or not value
    assert await count(db, Booking) == 0


async def test_every_bad_field_is_named_in_one_message(db: Database) -> None:
    programme_id = await world(db)
    reply = await submit(
        db,
        programme_id,
        f_title="",
        f_date="2026-13-01",
        f_time="24:00",
        f_minutes="5",
        f_capacity="0",
    )
    lines = reply.text.splitlines()
    assert [line.split(":")[0] for line in lines[1:]] == [
        "• Title",
        "• Date",
        "• Start time (Europe/Madrid)",
        "• Length in minutes",
        "• Places",
    ]
    assert await count(db, Booking) == 0


async def test_a_start_earlier_today_in_the_coachs_zone_has_passed(db: Database) -> None:
    programme_id = await world(db)  # T0 is 11:00 in Madrid
    reply = await submit(db, programme_id, f_date="2026-11-24", f_time="11:00")
    assert "That time has already passed (Tue 24 Nov 2026, 11:00 CET)" in reply.text
    made = await submit(db, programme_id, f_date="2026-11-24", f_time="11:30")
    assert "Tue 24 Nov 2026, 11:30 CET" in made.text
    assert await count(db, Booking) == 1


async def test_a_time_the_clocks_skip_is_refused(db: Database) -> None:
    programme_id = await world(db)  # Madrid springs forward 02:00 -> 03:00 on 28 Mar 2027
    reply = await submit(db, programme_id, f_date="2027-03-28", f_time="02:30")
    assert "Start time (Europe/Madrid): 02:30 doesn't exist on that day" in reply.text
    made = await submit(db, programme_id, f_date="2027-03-28", f_time="03:30")
    assert "Sun 28 Mar 2027, 03:30 CEST" in made.text
    async with db.reading() as s:
        group = await s.scalar(select(Booking))
        assert group is not None
        assert group.starts_at.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


async def test_only_programmes_the_coach_coaches_are_offered_or_accepted(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        career = Programme(
            organisation_id=w.org.id, slug="career", name="Career", modality="career", created_at=T0
        )
        s.add(career)
        await s.flush()
        career_id, programme_id = career.id, w.programme.id
    [offer] = await turn(db, COACH, text="group")
    assert offer.form is not None
    [programme_field] = [f for f in offer.form.fields if f.name == "programme"]
    assert [o.value for o in programme_field.options] == [str(programme_id)]
    reply = await submit(db, career_id)
    assert "Programme: you don't coach that programme" in reply.text
    reply = await submit(db, 99999)
    assert "Programme: you don't coach that programme" in reply.text
    assert await count(db, Booking) == 0


async def add_leader(db: Database, programme_id: int, email: str, cohort: str | None) -> None:
    async with db.transaction() as s:
        coach = await s.scalar(select(Person).where(Person.email == COACH))
        assert coach is not None
        leader = Person(
            organisation_id=coach.organisation_id,
            email=email,
            name=email.split("@")[0],
            role="leader",
            timezone="Europe/London",
            cohort=cohort,
            created_at=T0,
            updated_at=T0,
        )
        s.add(leader)
        await s.flush()
        s.add(
            Engagement(
                leader_id=leader.id,
                coach_id=coach.id,
                programme_id=programme_id,
                started_on=date(2026, 11, 2),
                created_at=T0,
            )
        )


async def test_a_cohort_must_have_a_leader_and_keeps_the_leaders_spelling(db: Database) -> None:
    programme_id = await world(db)
    reply = await submit(db, programme_id, f_cohort="Alpha")
    assert "Cohort: no leader in Leadership Programme has a cohort yet" in reply.text
    await add_leader(db, programme_id, "a@example.com", "Alpha 2026")
    await add_leader(db, programme_id, "b@example.com", "Beta")
    reply = await submit(db, programme_id, f_cohort="Gamma")
    assert "no leader in Leadership Programme is in a cohort called “Gamma”" in reply.text
    assert "Its cohorts: Alpha 2026, Beta." in reply.text
    assert await count(db, Booking) == 0
    made = await submit(db, programme_id, f_cohort="  alpha   2026 ")
    assert "is open to Alpha 2026" in made.text
    async with db.reading() as s:
        group = await s.scalar(select(Booking))
        assert group is not None and group.cohort == "Alpha 2026"


async def test_a_clash_with_the_coachs_own_session_uses_group_words(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        add_booking(s, w, datetime(2026, 12, 3, 14, 30, tzinfo=UTC))  # 15:30 Madrid
        programme_id = w.programme.id
    reply = await submit(db, programme_id)  # 15:00-16:30 Madrid
    assert reply.text == "You already have a session or group session at that time. " + (
        "Nothing was created."
    )
    assert await count(db, Booking) == 1


async def test_a_group_in_time_off_is_made_with_a_warning(db: Database) -> None:
    programme_id = await world(db)
    await turn(db, COACH, text="away 2026-12-03")
    made = await submit(db, programme_id)
    assert "is open to Leadership Programme" in made.text
    assert "Note: it falls in time you blocked out (Thu 3 Dec 2026, 00:00 CET" in made.text
    clear = await submit(db, programme_id, f_date="2026-12-04")
    assert "blocked out" not in clear.text
    assert await count(db, Booking) == 2


async def test_removing_time_off_that_is_gone_or_someone_elses(db: Database) -> None:
    await world(db)
    [done] = await turn(db, COACH, text="away 2026-12-01")
    undo = button(done, "Undo")
    [removed] = await turn(db, COACH, **undo)
    assert removed.text.startswith("Removed")
    [again] = await turn(db, COACH, **undo)
    assert again.text == "That time off is already gone or isn't yours; nothing was changed."
    async with db.transaction() as s:
        coach = await s.scalar(select(Person).where(Person.email == COACH))
        assert coach is not None
        other = Person(
            organisation_id=coach.organisation_id,
            email="other@example.com",
            name="Bo",
            role="coach",
            timezone="UTC",
            created_at=T0,
            updated_at=T0,
        )
        s.add(other)
        await s.flush()
        block = CoachBusy(
            coach_id=other.id,
            source="away",
            starts_at=T0 + timedelta(days=3),
            ends_at=T0 + timedelta(days=4),
            created_at=T0,
        )
        s.add(block)
        await s.flush()
        block_id = str(block.id)
    [theirs] = await turn(db, COACH, action_id="away.remove", value=block_id)
    assert theirs.text.startswith("That time off is already gone or isn't yours")
    assert await count(db, CoachBusy) == 1


@pytest.mark.parametrize(
    ("now", "monday", "friday"),
    [
        (T0, "2026-11-30", "2026-12-04"),  # a Tuesday
        (datetime(2027, 3, 14, 23, 30, tzinfo=UTC), "2027-03-22", "2027-03-26"),  # Mon in Madrid
        (datetime(2027, 12, 31, 12, 0, tzinfo=UTC), "2028-01-03", "2028-01-07"),
    ],
)
async def test_away_examples_are_next_weeks_dates(
    db: Database, now: datetime, monday: str, friday: str
) -> None:
    await world(db)
    [empty] = await turn(db, COACH, now=now, text="away")
    assert f"`away {monday} {friday}` (whole days)" in empty.text
    assert f"`away {monday} 14:00 18:00`" in empty.text
    [bad] = await turn(db, COACH, now=now, text="away next week")
    assert f"`away {monday} {friday}`" in bad.text and "Nothing was changed." in bad.text
    assert "2026-12-24" not in empty.text + bad.text


async def test_one_clash_is_one_session(db: Database) -> None:
    async with db.transaction() as s:
        w = await make_world(s)
        add_booking(s, w, datetime(2026, 12, 1, 8, tzinfo=UTC))
    [done] = await turn(db, COACH, text="away 2026-12-01")
    assert "1 session already booked in that time stays booked" in done.text
    assert "1 sessions" not in done.text
