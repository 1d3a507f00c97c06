"""Top matches for a leader: candidates, hand-worked ranking, reasons through copy, DST weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from bot.booking.errors import ZoneMissing
from bot.booking.matching import reason_lines, top_matches
from prompts import copy_for
from storage.db import Database
from storage.models import Engagement, Person, Programme
from tests.bot.booking import test_matching_helpers as h
from tests.factories import T0  # Tue 24 Nov 2026: Madrid UTC+1, New York UTC-5, Sydney UTC+11


@dataclass
class Madrid:
    programme: Programme
    leader: Person
    engagement: Engagement
    carmen: Person
    nora: Person
    otto: Person
    liam: Person
    fiona: Person


async def madrid(db: Database) -> Madrid:
    """A Spanish-speaking leader in Madrid (09:00-17:30 Mon-Fri) and coaches around the world.

    Worked by hand for the week from Tue 24 Nov 2026 (no clock changes anywhere):
    - Carmen, Madrid 09-13, es+en, ICF PCC (3), 2 of 8 taken:
      40 + 1.5*20 (20 h) + 4*3 + 5*6/8 = 85.75
    - Nora, New York 08-12 = 14-18 Madrid -> 3.5 h a day, es+en, EMCC Senior Practitioner (3),
      3 of 4 taken: 40 + 1.5*17.5 + 12 + 5*1/4 = 79.5
    - Otto, Madrid 09-17 (40 h, capped at 20), de+en, ICF MCC (4), empty: 0 + 30 + 16 + 5 = 51
    - Liam, Sydney 09-17 = 23-07 Madrid -> no overlap, es+en, MCC, empty: 40 - 100 + 16 + 5 = -39
    Not offered: Fiona (full), Tess (team coaching only), Gil (another organisation).
    """
    async with db.transaction() as s:
        p = await h.org(s)
        leader = await h.person(s, p, "Lucía Gómez", "Europe/Madrid", locale="es-ES")
        engagement = await h.enrol(s, p, leader)
        carmen = await h.coach(s, p, "Carmen Vidal", "Europe/Madrid", languages=["es", "en"])
        await h.clients(s, p, carmen, "active", "paused", "completed", "withdrawn")
        nora = await h.coach(
            s,
            p,
            "Nora Díaz",
            "America/New_York",
            languages=["es", "en"],
            body="EMCC",
            level="Senior Practitioner",
            capacity=4,
            hours=(time(8), time(12)),
        )
        await h.clients(s, p, nora, "active", "active", "paused")
        otto = await h.coach(
            s,
            p,
            "Otto Becker",
            "Europe/Madrid",
            languages=["de", "en"],
            level="MCC",
            hours=(time(9), time(17)),
        )
        liam = await h.coach(
            s,
            p,
            "Liam Hart",
            "Australia/Sydney",
            languages=["en", "es"],
            level="MCC",
            hours=(time(9), time(17)),
        )
        fiona = await h.coach(
            s, p, "Fiona Ruiz", "Europe/Madrid", languages=["es"], level="MCC", capacity=1
        )
        await h.clients(s, p, fiona, "active")
        await h.coach(
            s, p, "Tess Moreno", "Europe/Madrid", languages=["es"], level="MCC", modalities=["team"]
        )
        other = await h.org(s, "elsewhere")
        await h.coach(s, other, "Gil Soto", "Europe/Madrid", languages=["es"], level="MCC")
    return Madrid(p, leader, engagement, carmen, nora, otto, liam, fiona)


async def test_ranking_worked_by_hand(db: Database) -> None:
    w = await madrid(db)
    async with db.reading() as s:
        matches = await top_matches(db=s, engagement=w.engagement, now=T0, limit=10)
    assert [(m.coach.name, m.score, m.overlap_hours, m.clients) for m in matches] == [
        ("Carmen Vidal", 85.75, 20.0, 2),
        ("Nora Díaz", 79.5, 17.5, 3),
        ("Otto Becker", 51.0, 40.0, 0),
        ("Liam Hart", -39.0, 0.0, 0),
    ]
    assert matches[0].profile.person_id == w.carmen.id
    assert [(a.weekday, a.starts) for a in matches[0].profile.availability][:2] == [
        (0, time(9)),
        (1, time(9)),
    ]


async def test_top_three_by_default_and_exclude(db: Database) -> None:
    w = await madrid(db)
    async with db.reading() as s:
        top = await top_matches(db=s, engagement=w.engagement, now=T0)
        rest = await top_matches(
            db=s, engagement=w.engagement, now=T0, exclude=[w.carmen.id, w.otto.id]
        )
    assert [m.coach.name for m in top] == ["Carmen Vidal", "Nora Díaz", "Otto Becker"]
    assert [m.coach.name for m in rest] == ["Nora Díaz", "Liam Hart"]


async def test_reasons_render_through_copy(db: Database) -> None:
    w = await madrid(db)
    async with db.reading() as s:
        carmen, nora, otto, liam = await top_matches(db=s, engagement=w.engagement, now=T0, limit=4)
    assert [r.key for r in carmen.reasons] == [
        "matching.reason_modality",
        "matching.reason_language",
        "matching.reason_overlap",
        "matching.reason_accreditation",
        "matching.reason_capacity",
    ]
    assert reason_lines(carmen, w.leader.locale) == [
        "Coaches leadership programmes like yours",
        "Coaches in Spanish",
        "20 h a week inside your working hours",
        "Accredited ICF PCC",
        "6 of 8 places free",
    ]
    assert reason_lines(nora, "es")[2:] == [
        "17.5 h a week inside your working hours",
        "Accredited EMCC Senior Practitioner",
        "1 of 4 places free",
    ]
    assert reason_lines(otto, "es")[1] == "Coaches in German, English"
    assert reason_lines(liam, "es")[2] == "Their open hours fall outside your working hours"
    copy = copy_for("en")
    for match in (carmen, nora, otto, liam):
        for reason in match.reasons:
            assert "{" not in copy(reason.key, **reason.values)


async def test_a_coach_at_capacity_never_appears(db: Database) -> None:
    w = await madrid(db)
    async with db.transaction() as s:
        await h.clients(s, w.programme, w.carmen, *["active"] * 6)  # 8 of 8 now
    async with db.reading() as s:
        matches = await top_matches(db=s, engagement=w.engagement, now=T0, limit=10)
    names = [m.coach.name for m in matches]
    assert "Carmen Vidal" not in names and "Fiona Ruiz" not in names
    assert names == ["Nora Díaz", "Otto Becker", "Liam Hart"]


async def test_capacity_freed_by_a_completed_engagement_counts(db: Database) -> None:
    w = await madrid(db)
    async with db.transaction() as s:
        e = await s.scalar(select(Engagement).where(Engagement.coach_id == w.fiona.id))
        assert e is not None
        e.status = "completed"
    async with db.reading() as s:
        names = [
            m.coach.name for m in await top_matches(db=s, engagement=w.engagement, now=T0, limit=10)
        ]
    assert "Fiona Ruiz" in names


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        (datetime(2026, 11, 24, 10, tzinfo=UTC), 12.5),  # both on standard time
        (datetime(2026, 3, 10, 12, tzinfo=UTC), 17.5),  # only New York has moved its clocks
        (datetime(2026, 3, 6, 12, tzinfo=UTC), 16.5),  # the week crosses the US change
    ],
)
async def test_overlap_in_a_week_where_only_one_zone_changed(
    db: Database, now: datetime, hours: float
) -> None:
    async with db.transaction() as s:
        p = await h.org(s, "ldn")
        leader = await h.person(s, p, "Sam Lee", "Europe/London")
        engagement = await h.enrol(s, p, leader)
        await h.coach(s, p, "Ana Ruiz", "America/New_York", hours=(time(10), time(14)))
    async with db.reading() as s:
        (match,) = await top_matches(db=s, engagement=engagement, now=now)
    assert match.overlap_hours == hours
    assert reason_lines(match, "en")[2] == f"{hours:g} h a week inside your working hours"


async def test_leader_working_days_and_hours_are_their_own(db: Database) -> None:
    async with db.transaction() as s:
        p = await h.org(s, "dxb")
        leader = await h.person(s, p, "Omar Haddad", "Asia/Dubai")
        leader.working_days = [6, 0, 1, 2, 3]  # Sunday to Thursday
        leader.workday_starts, leader.workday_ends = time(8), time(16)
        engagement = await h.enrol(s, p, leader)
        # Fridays 09-12 in Dubai and Sundays 10-12: only Sunday's two hours count.
        await h.coach(s, p, "Rita Shah", "Asia/Dubai", hours=(time(10), time(12)), days=[4, 6])
    async with db.reading() as s:
        (match,) = await top_matches(db=s, engagement=engagement, now=T0)
    assert match.overlap_hours == 2.0


async def test_no_candidates_is_an_empty_list(db: Database) -> None:
    async with db.transaction() as s:
        p = await h.org(s, "empty", modality="career")
        leader = await h.person(s, p, "Sam Lee", "Europe/London")
        engagement = await h.enrol(s, p, leader)
        await h.coach(s, p, "Ana Ruiz", "Europe/London")  # leadership only
        await h.coach(s, p, "Bad Zone", "Mars/Olympus", modalities=["career"])
    async with db.reading() as s:
        assert await top_matches(db=s, engagement=engagement, now=T0) == []


async def test_a_leader_without_a_valid_zone_is_told(db: Database) -> None:
    async with db.transaction() as s:
        p = await h.org(s, "nozone")
        leader = await h.person(s, p, "Sam Lee", "")
        engagement = await h.enrol(s, p, leader)
    async with db.reading() as s:
        with pytest.raises(ZoneMissing) as err:
            await top_matches(db=s, engagement=engagement, now=T0)
    assert err.value.values == {"name": "Sam Lee"}
