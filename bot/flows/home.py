"""A person's home page (Slack App Home, Teams personal tab): a few short sections, no command.

The page is only ever shown to the person themself, so a leader's own words appear on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.booking import service
from bot.booking.allowance import sessions_used
from bot.booking.changes import CONFIRMED, LIVE_ENGAGEMENT
from bot.flows.goals import level_line
from bot.flows.manage import session_line
from bot.flows.nudge_prefs import day_label, settings_of, summary_facts
from bot.goals.levels import level_name
from bot.goals.store import checkins_by_goal, goals_of, shown_level, trend, week_label
from bot.nudges.context import paused
from bot.nudges.plans import zone_of
from bot.nudges.prompt_bank import load_bank
from bot.people import current_engagement
from bot.routes import COMMAND_ACTION
from bot.timefmt import local
from bot.ui import Button, Fact, Message, literal
from prompts import Copy, copy_for
from storage.models import Booking, CheckIn, Engagement, Goal, Person, Reflection

LEADER_SESSIONS = 3
COACH_SESSIONS = 5
SHARED_SHOWN = 5
EXCERPT_CHARS = 120
PROMPT_CHARS = 60
TREND_WEEKS = 4
Item = tuple[datetime, str]  # one thing marked to share: when (to order them), its line
Style = Literal["default", "primary"]


async def home_sections(*, db: AsyncSession, person: Person, now: datetime) -> list[Message]:
    """The person's home page as sections: one Message each, with buttons to existing commands."""
    copy = copy_for(person.locale)
    if person.role == "coach":
        return await _coach_home(db, person, now, copy)
    engagement = None
    if person.role == "leader":
        engagement = await current_engagement(db=db, leader=person)
    if engagement is None:
        return [_welcome(copy, person)]
    goals = await goals_of(db=db, leader=person, engagement_id=engagement.id)
    by_goal = await checkins_by_goal(db=db, goals=goals)
    return [
        await _sessions(db, person, now, copy, engagement),
        _goals(copy, [g for g in goals if g.status == "active"], by_goal),
        await _nudges(db, person, now, copy, engagement),
        await _shared(db, person, now, copy, engagement, goals, by_goal),
    ]


def _command(copy: Copy, word: str, label_key: str = "", style: Style = "default") -> Button:
    label = copy(label_key or f"buttons.{word}")
    return Button(label=label, action_id=COMMAND_ACTION, value=word, style=style)


def _welcome(copy: Copy, person: Person) -> Message:
    first = person.name.strip().split()[0] if person.name.strip() else ""
    return Message(
        title=copy("home.welcome_title"),
        text=copy("home.welcome", name=first),
        buttons=(_command(copy, "help"),),
    )


async def _sessions(
    db: AsyncSession, person: Person, now: datetime, copy: Copy, engagement: Engagement
) -> Message:
    """The next few sessions in the leader's zone, the allowance, and book / move / cancel."""
    zone = zone_of(person)
    ups = await service.upcoming(db=db, person=person, now=now, limit=LEADER_SESSIONS)
    lines = []
    for up in ups:
        names = ", ".join(p.name for p in up.others) or copy("booking.nobody_yet")
        line = session_line(copy, zone, up.booking, copy("booking.with_names", names=names))
        lines.append(copy("home.session_item", line=line))
    used = await sessions_used(db=db, engagement=engagement)
    total = engagement.programme.sessions_per_leader
    left = max(0, total - used)
    coach = engagement.coach.name if engagement.coach else copy("home.no_coach")
    allowance = copy("home.allowance_value", used=used, total=total, left=left)
    facts = (
        Fact(label=copy("home.coach"), value=coach),
        Fact(label=copy("home.allowance"), value=allowance),
    )
    buttons = []
    if ups:
        nxt = ups[0].booking
        if ups[0].can_move:
            buttons.append(
                Button(label=copy("home.move_next"), action_id="session.move", value=str(nxt.id))
            )
        key = "home.leave_next" if nxt.kind == "group" else "home.cancel_next"
        buttons.append(Button(label=copy(key), action_id="session.cancel", value=str(nxt.id)))
    if left > 0:
        buttons.append(_command(copy, "book", style="default" if ups else "primary"))
    if ups:
        buttons.append(_command(copy, "sessions"))
    return Message(
        title=copy("home.sessions_title"),
        text="\n".join(lines) if lines else copy("home.no_sessions"),
        facts=facts,
        buttons=tuple(buttons),
        footer=copy("common.time_in_zone", zone=zone),
    )


def _goals(copy: Copy, active: list[Goal], by_goal: dict[int, list[CheckIn]]) -> Message:
    """Each active goal (the leader's words), its latest level with description, and trend."""
    title = copy("home.goals_title")
    if not active:
        add = Button(label=copy("goals.add"), action_id="goals.add", style="primary")
        return Message(title=title, text=copy("home.goals_none"), buttons=(add,))
    blocks = []
    for goal in active:
        lines = [copy("home.goal_title", title=literal(goal.title))]
        checkins = by_goal.get(goal.id, [])
        if checkins:
            latest = max(checkins, key=lambda c: (c.period, c.answered_at))
            level = (
                level_line(copy, goal, latest.level)
                if level_name(latest.level) in goal.levels
                else copy("home.goal_level_only", level=shown_level(latest.level))
            )
            lines.append(copy("home.goal_now", week=week_label(latest.period), level=level))
            lines.append(copy("home.goal_trend", trend=trend(checkins, weeks=TREND_WEEKS)))
        else:
            lines.append(copy("home.goal_no_checkins"))
        blocks.append("\n".join(lines))
    buttons = (_command(copy, "checkin", style="primary"), _command(copy, "goals"))
    return Message(
        title=title,
        text="\n\n".join(blocks),
        buttons=buttons,
        footer=copy("home.goals_private"),
    )


async def _nudges(
    db: AsyncSession, person: Person, now: datetime, copy: Copy, engagement: Engagement
) -> Message:
    """When the reflection and check-in come (local wall times), sharing default, paused."""
    zone = zone_of(person)
    settings = await settings_of(db, person)
    facts = summary_facts(copy, zone, now, settings, engagement.programme)
    buttons = [_command(copy, "nudges", "home.nudges_change")]
    if paused(settings, now):
        buttons.append(_command(copy, "resume", "home.nudges_resume"))
    return Message(
        title=copy("home.nudges_title"),
        text=copy("home.nudges_text", zone=zone),
        facts=tuple(facts),
        buttons=tuple(buttons),
    )


def _clip(text: str, limit: int, mark: Callable[[str], str] = str) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis; `mark` wraps the words."""
    flat = " ".join(text.split())
    return mark(flat) if len(flat) <= limit else mark(flat[:limit].rstrip()) + "…"


def _excerpt(text: str) -> str:
    """The start of a leader's own text, in quotes, shown exactly as written."""
    return f"“{_clip(text, EXCERPT_CHARS, literal)}”"


async def _shared(
    db: AsyncSession,
    person: Person,
    now: datetime,
    copy: Copy,
    engagement: Engagement,
    goals: list[Goal],
    by_goal: dict[int, list[CheckIn]],
) -> Message:
    """What the leader marked to share in this programme (latest few), and that nothing else is."""
    items, total = await _shared_reflections(db, person, now, copy, engagement)
    checkins = _shared_checkins(copy, goals, by_goal)
    total += len(checkins)
    items = sorted([*items, *checkins], key=lambda i: i[0], reverse=True)[:SHARED_SHOWN]
    if items:
        lines = [copy("home.shared_intro"), *(line for _, line in items)]
        if total > len(items):
            lines.append(copy("home.shared_more", count=total - len(items)))
        text = "\n".join(lines)
    else:
        text = copy("home.shared_none")
    return Message(
        title=copy("home.shared_title"),
        text=text,
        buttons=(_command(copy, "reflect"), _command(copy, "privacy")),
        footer=copy("home.shared_only"),
    )


async def _shared_reflections(
    db: AsyncSession, person: Person, now: datetime, copy: Copy, engagement: Engagement
) -> tuple[list[Item], int]:
    """The latest shared reflections of the engagement as items, and how many are shared."""
    rows = (
        await db.execute(
            select(Reflection, func.count().over())
            .where(
                Reflection.leader_id == person.id,
                Reflection.engagement_id == engagement.id,
                Reflection.shared_with_coach.is_(True),
            )
            .order_by(Reflection.answered_at.desc(), Reflection.id.desc())
            .limit(SHARED_SHOWN)
        )
    ).all()
    prompts = {p.id: p.text for p in load_bank()}
    zone = zone_of(person)
    today = local(now, zone).date()
    items = []
    for reflection, _ in rows:
        day = day_label(local(reflection.answered_at, zone).date(), today)
        prompt = prompts.get(reflection.prompt_id)
        key = "home.shared_reflection" if prompt else "home.shared_reflection_no_prompt"
        shown = _clip(prompt or "", PROMPT_CHARS)
        line = copy(key, day=day, prompt=shown, excerpt=_excerpt(reflection.answer))
        items.append((reflection.answered_at, line))
    return items, int(rows[0][1]) if rows else 0


def _shared_checkins(
    copy: Copy, goals: list[Goal], by_goal: dict[int, list[CheckIn]]
) -> list[Item]:
    """One item per week with check-ins marked to share: the goals and the note's start."""
    titles = {g.id: g.title for g in goals}
    weeks: dict[str, list[CheckIn]] = {}
    for rows in by_goal.values():
        for row in rows:
            if row.shared_with_coach:
                weeks.setdefault(row.period, []).append(row)
    items = []
    for period, rows in weeks.items():
        names = ", ".join(literal(titles[r.goal_id]) for r in sorted(rows, key=lambda r: r.goal_id))
        note = next((r.note for r in rows if r.note), None)
        key, excerpt = (
            ("home.shared_checkin_note", _excerpt(note)) if note else ("home.shared_checkin", "")
        )
        line = copy(key, week=week_label(period), goals=names, excerpt=excerpt)
        items.append((max(r.answered_at for r in rows), line))
    return items


async def _coach_home(db: AsyncSession, coach: Person, now: datetime, copy: Copy) -> list[Message]:
    """The coach's next sessions with their leaders' names, and how many clients they have."""
    zone = zone_of(coach)
    bookings = (
        await db.scalars(
            select(Booking)
            .where(Booking.coach_id == coach.id, Booking.status == CONFIRMED, Booking.ends_at > now)
            .options(selectinload(Booking.seats))
            .order_by(Booking.starts_at, Booking.id)
            .limit(COACH_SESSIONS)
        )
    ).all()
    leader_ids = {s.leader_id for b in bookings for s in b.seats if s.status == CONFIRMED}
    names: dict[int, str] = {}
    if leader_ids:
        people = await db.execute(select(Person.id, Person.name).where(Person.id.in_(leader_ids)))
        names = {pid: name for pid, name in people.all()}
    lines = []
    for booking in bookings:
        who = ", ".join(names[s.leader_id] for s in booking.seats if s.status == CONFIRMED)
        others = copy("booking.with_names", names=who or copy("booking.nobody_yet"))
        lines.append(copy("home.session_item", line=session_line(copy, zone, booking, others)))
    clients = await db.scalar(
        select(func.count(Engagement.id)).where(
            Engagement.coach_id == coach.id, Engagement.status.in_(LIVE_ENGAGEMENT)
        )
    )
    return [
        Message(
            title=copy("home.coach_sessions_title"),
            text="\n".join(lines) if lines else copy("sessions.none_coach"),
            facts=(Fact(label=copy("home.coach_clients"), value=str(int(clients or 0))),),
            buttons=tuple(_command(copy, w) for w in ("sessions", "away", "group")),
            footer=copy("common.time_in_zone", zone=zone),
        )
    ]
