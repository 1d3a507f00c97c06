"""A leader's nudge preferences: `pause [DATE]`, `resume`, not this week, snooze, `nudges`."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.flows.basics import echo, menu
from bot.nudges import plans
from bot.nudges.context import paused as nudges_paused
from bot.nudges.messages import KEEP_ACTION
from bot.nudges.quiet import QuietHours, defer_out_of_quiet
from bot.nudges.schedule import period_of, wall_instant
from bot.people import current_engagement
from bot.routes import COMMAND_ACTION, ROUTES, Turn
from bot.timefmt import abbreviation, is_valid_zone, local
from bot.ui import Button, Fact, Form, FormField, Message, Option
from prompts import Copy
from storage.models import Nudge, NudgePlan, NudgeSettings, Person, Programme

SNOOZE = timedelta(hours=3)
QUIET = QuietHours()
SHARE_CHOICES = ("private", "coach")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")
KINDS = ("reflection", "checkin")


async def settings_of(db: AsyncSession, person: Person) -> NudgeSettings | None:
    """The person's nudge settings, or None when they never changed anything."""
    return await db.get(NudgeSettings, person.id)


async def settings_to_change(db: AsyncSession, person: Person, now: datetime) -> NudgeSettings:
    """The person's nudge settings row, created with the defaults if missing (updated now)."""
    settings = await settings_of(db, person)
    if settings is None:
        settings = NudgeSettings(person_id=person.id, updated_at=now)
        db.add(settings)
    settings.updated_at = now
    return settings


def leaders_only(turn: Turn, key: str = "prefs.leaders_only") -> Message | None:
    """A polite refusal for anyone but a leader, else None."""
    if turn.interaction.who.role == "leader":
        return None
    return Message(text=turn.copy(key), buttons=menu(turn))


def _say(turn: Turn, key: str, **values: object) -> list[Message]:
    return [Message(text=turn.copy(key, **values), buttons=menu(turn))]


def day_label(day: date, today: date) -> str:
    """A local date such as 'Tue 1 Dec' (with the year when it is not this year's)."""
    label = f"{day:%a} {day.day} {day:%b}"
    return label if day.year == today.year else f"{label} {day.year}"


def _a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@ROUTES.command("pause")
async def pause(turn: Turn) -> list[Message]:
    """Pause nudges until the leader resumes, or until the start of a local date (<= 1 year)."""
    refused = leaders_only(turn)
    if refused:
        return [refused]
    who, now, arg = turn.interaction.who, turn.interaction.now, turn.args.strip()
    if not _names_a_time(arg):  # "pause", "pause my reminders", "turn off nudges"
        settings = await settings_to_change(turn.db, who, now)
        settings.paused_indefinitely, settings.paused_until = True, None
        if not arg or not is_valid_zone(who.timezone):
            return _say(turn, "prefs.paused_indefinitely")
        return _say(turn, "prefs.paused_indefinitely_hint", example=_example(now, who.timezone))
    if not is_valid_zone(who.timezone):
        return _say(turn, "prefs.zone_missing")
    today = local(now, who.timezone).date()
    example = _example(now, who.timezone)
    try:
        day = date.fromisoformat(arg) if _DATE.match(arg) else None
    except ValueError:
        day = None
    if day is None:
        return _say(turn, "prefs.pause_bad_date", text=echo(arg), example=example)
    if day <= today:
        return _say(turn, "prefs.pause_past", date=day.isoformat(), example=example)
    limit = _a_year_after(today)
    if day > limit:
        return _say(turn, "prefs.pause_too_far", date=day.isoformat(), limit=limit.isoformat())
    until = wall_instant(day, time(0), who.timezone)
    settings = await settings_to_change(turn.db, who, now)
    settings.paused_indefinitely, settings.paused_until = False, until
    return _say(turn, "nudges.paused_until_date", day=day_label(day, today))


_TIME_WORDS = re.compile(
    r"\d|\b(?:until|till|til|next|week|weeks|month|months|day|days|tomorrow|monday|tuesday"
    r"|wednesday|thursday|friday|saturday|sunday|jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*"
    r"|jul\w*|aug\w*|sep\w*|oct\w*|nov\w*|dec\w*|até|semana|mês|amanhã|hasta|próxima"
    r"|mañana|jusqu\w*|semaine|mois|demain|bis|woche|monat|morgen)\b",
    re.IGNORECASE,
)


def _names_a_time(arg: str) -> bool:
    """True when the words after *pause* try to say until when (then they must be a date)."""
    return bool(_TIME_WORDS.search(arg))


def _example(now: datetime, zone: str) -> str:
    """A date two weeks from today in `zone`, as typed after *pause*."""
    return (local(now, zone).date() + timedelta(days=14)).isoformat()


@ROUTES.command("resume")
async def resume(turn: Turn) -> list[Message]:
    """Turn nudges back on."""
    refused = leaders_only(turn)
    if refused:
        return [refused]
    who, now = turn.interaction.who, turn.interaction.now
    settings = await settings_of(turn.db, who)
    if settings is None or not nudges_paused(settings, now):
        return _say(turn, "prefs.not_paused")
    settings.paused_indefinitely, settings.paused_until, settings.updated_at = False, None, now
    return _say(turn, "prefs.resumed")


async def _current_nudge(turn: Turn) -> tuple[Nudge, NudgePlan] | list[Message]:
    """The leader's own nudge of this week named by the button, with its plan; or a refusal."""
    refused = leaders_only(turn)
    if refused:
        return [refused]
    who, value = turn.interaction.who, turn.interaction.value
    nudge = await turn.db.get(Nudge, int(value)) if value.isdigit() else None
    if nudge is None:
        return _say(turn, "common.expired_button")
    if nudge.person_id != who.id:
        return _say(turn, "prefs.not_yours")
    if not is_valid_zone(who.timezone):
        return _say(turn, "prefs.zone_missing")
    if nudge.period != period_of(turn.interaction.now, who.timezone):
        return _say(turn, "prefs.nudge_gone")
    if nudge.status == "answered":
        return _say(turn, "prefs.already_answered")
    plan = await turn.db.scalar(
        select(NudgePlan).where(NudgePlan.person_id == who.id, NudgePlan.kind == nudge.kind)
    )
    if plan is None:
        return _say(turn, "common.expired_button")
    return nudge, plan


@ROUTES.action("nudge.skip")
async def skip(turn: Turn) -> list[Message]:
    """Not this week: the plan skips the nudge's period and the nudge is not chased."""
    found = await _current_nudge(turn)
    if isinstance(found, list):
        return found
    nudge, plan = found
    now = turn.interaction.now
    plan.skip_period, plan.updated_at = nudge.period, now
    plan.snoozed_until = None  # a snooze pressed before must not bring it back
    if nudge.status in ("scheduled", "sent"):
        nudge.status, nudge.skip_reason = "skipped", "leader: not this week"
    return _say(turn, "prefs.skipped")


def _coming_back(turn: Turn, at: datetime) -> dict[str, object]:
    """How a snoozed nudge's return is said: '08:00', 'tomorrow', 'Fri 1 Jan, 08:00 EST'."""
    copy, now, zone = turn.copy, turn.interaction.now, turn.interaction.who.timezone
    here, today = local(at, zone), local(now, zone).date()
    if here.date() == today:
        day = copy("nudges.day_today")
    elif here.date() == today + timedelta(days=1):
        day = copy("nudges.day_tomorrow")
    else:
        day = copy("nudges.day_other", weekday=f"{here:%A}")
    when = f"{here:%a} {here.day} {here:%b}, {here:%H:%M} {abbreviation(here)}"
    return {"clock": f"{here:%H:%M}", "day": day, "when": when}


@ROUTES.action("nudge.snooze")
async def snooze(turn: Turn) -> list[Message]:
    """Snooze for three hours (or to the end of quiet hours): the nudge comes back once, then."""
    found = await _current_nudge(turn)
    if isinstance(found, list):
        return found
    nudge, plan = found
    who, now = turn.interaction.who, turn.interaction.now
    if nudge.status != "sent":
        return _say(turn, f"nudges.snooze_{'skipped' if nudge.status == 'skipped' else 'closed'}")
    pending = plan.snoozed_until
    if pending is not None and pending > now and nudge.sent_at and pending > nudge.sent_at:
        return _say(turn, "nudges.snooze_already", **_coming_back(turn, pending))
    settings = await settings_of(turn.db, who)
    allowed = settings is not None and settings.quiet_hours_ok
    back = defer_out_of_quiet(now + SNOOZE, who.timezone, QUIET, allowed)
    if nudges_paused(settings, back):
        return _say(turn, "nudges.snooze_paused")
    plan.snoozed_until, plan.updated_at = back, now
    key = "nudges.snooze_set" if back == now + SNOOZE else "nudges.snooze_set_quiet"
    return _say(turn, key, **_coming_back(turn, back))


@ROUTES.action(KEEP_ACTION)
async def keep(turn: Turn) -> list[Message]:
    """Keep them coming (the back-off question): nothing changes, nudges go on fortnightly."""
    refused = leaders_only(turn)
    if refused:
        return [refused]
    return _say(turn, "nudges.kept")


async def _programme_of(turn: Turn) -> Programme | list[Message]:
    refused = leaders_only(turn)
    if refused:
        return [refused]
    engagement = await current_engagement(db=turn.db, leader=turn.interaction.who)
    if engagement is None:
        return _say(turn, "prefs.not_enrolled")
    if not is_valid_zone(turn.interaction.who.timezone):
        return _say(turn, "prefs.zone_missing")
    return engagement.programme


def _share_label(copy: Copy, share: str | None) -> str:
    return copy(f"prefs.share_{share}" if share in SHARE_CHOICES else "prefs.share_unset")


def _summary(turn: Turn, settings: NudgeSettings | None, programme: Programme) -> list[Fact]:
    who, now = turn.interaction.who, turn.interaction.now
    return summary_facts(turn.copy, who.timezone, now, settings, programme)


def summary_facts(
    copy: Copy, zone: str, now: datetime, settings: NudgeSettings | None, programme: Programme
) -> list[Fact]:
    """Nudge days and times (local wall times), quiet hours, sharing default and pause status."""
    facts = []
    for kind in KINDS:
        day, at = plans.effective_time(kind=kind, settings=settings, programme=programme)
        slot = copy("prefs.slot", day=copy(f"prefs.day_{day}"), time=f"{at:%H:%M}")
        facts.append(Fact(label=copy(f"prefs.{kind}"), value=slot))
    quiet_ok = settings is not None and settings.quiet_hours_ok
    facts.append(
        Fact(label=copy("prefs.quiet"), value=copy(f"prefs.quiet_{'yes' if quiet_ok else 'no'}"))
    )
    share = settings.share_default if settings is not None else None
    facts.append(Fact(label=copy("prefs.share"), value=_share_label(copy, share)))
    status = copy("prefs.status_on")
    if settings is not None and settings.paused_indefinitely:
        status = copy("prefs.status_paused")
    elif settings is not None and settings.paused_until and settings.paused_until > now:
        back = local(settings.paused_until, zone).date()
        today = local(now, zone).date()
        status = copy("nudges.status_paused_until_date", day=day_label(back, today))
    facts.append(Fact(label=copy("prefs.status"), value=status))
    return facts


def _select(name: str, label: str, options: tuple[Option, ...], initial: str) -> FormField:
    return FormField(name=name, label=label, kind="select", options=options, initial=initial)


def _form(
    turn: Turn,
    settings: NudgeSettings | None,
    programme: Programme,
    values: dict[str, str] | None = None,
) -> Form:
    """The settings form, filled from `values` (a rejected submission) or the current settings."""
    copy, zone = turn.copy, turn.interaction.who.timezone
    given = values or {}
    days = tuple(Option(label=copy(f"prefs.day_{d}"), value=str(d)) for d in range(7))
    fields: list[FormField] = []
    for kind in KINDS:
        day, at = plans.effective_time(kind=kind, settings=settings, programme=programme)
        day_text = given.get(f"{kind}_day", str(day))
        fields.append(_select(f"{kind}_day", copy(f"prefs.field_{kind}_day"), days, day_text))
        label = copy(f"prefs.field_{kind}_time", zone=zone)
        clock = given.get(f"{kind}_time", f"{at:%H:%M}")
        fields.append(FormField(name=f"{kind}_time", label=label, kind="time", initial=clock))
    quiet = tuple(Option(label=copy(f"prefs.quiet_option_{v}"), value=v) for v in ("no", "yes"))
    quiet_ok = settings is not None and settings.quiet_hours_ok
    quiet_text = given.get("quiet", "yes" if quiet_ok else "no")
    fields.append(_select("quiet", copy("prefs.field_quiet"), quiet, quiet_text))
    shares = tuple(Option(label=copy(f"prefs.share_option_{c}"), value=c) for c in SHARE_CHOICES)
    share = given.get("share", (settings.share_default if settings else None) or "private")
    fields.append(_select("share", copy("prefs.field_share"), shares, share))
    return Form(
        form_id="nudges.settings",
        title=copy("prefs.form_title"),
        submit_label=copy("prefs.form_submit"),
        fields=tuple(fields),
    )


@ROUTES.command("nudges")
async def nudges(turn: Turn) -> list[Message]:
    """The leader's nudge days and times, quiet hours, sharing default and pause, to change."""
    programme = await _programme_of(turn)
    if isinstance(programme, list):
        return programme
    settings = await settings_of(turn.db, turn.interaction.who)
    return [
        Message(
            title=turn.copy("prefs.title"),
            text=turn.copy("prefs.intro", zone=turn.interaction.who.timezone),
            facts=tuple(_summary(turn, settings, programme)),
            form=_form(turn, settings, programme),
        )
    ]


def parse_clock(text: str) -> time | None:
    """A local wall time written HH:MM (or HH:MM:00), else None."""
    found = _TIME.match(text.strip())
    if found is None or int(found[1]) > 23 or int(found[2]) > 59:
        return None
    return time(int(found[1]), int(found[2]))


def _check(turn: Turn) -> tuple[dict[str, tuple[int, time]], bool, str, list[str]]:
    """The form's (day, time) per kind, quiet hours allowed, sharing; and what is wrong."""
    copy, values, zone = turn.copy, turn.interaction.form, turn.interaction.who.timezone
    problems: list[str] = []
    quiet = values.get("quiet", "")
    if quiet not in ("yes", "no"):
        problems.append(copy("prefs.bad_choice", field=copy("prefs.field_quiet")))
    chosen: dict[str, tuple[int, time]] = {}
    for kind in KINDS:
        day_text, time_text = values.get(f"{kind}_day", ""), values.get(f"{kind}_time", "")
        day = int(day_text) if day_text.isdigit() and int(day_text) <= 6 else None
        clock = parse_clock(time_text)
        if day is None:
            problems.append(copy("prefs.bad_day", field=copy(f"prefs.field_{kind}_day")))
        label = copy(f"prefs.field_{kind}_time", zone=zone)
        if clock is None:
            problems.append(copy("prefs.bad_time", field=label, value=echo(time_text)))
        elif quiet == "no" and QuietHours().contains(clock):
            problems.append(copy("prefs.in_quiet", field=label, value=f"{clock:%H:%M}"))
        if day is not None and clock is not None:
            chosen[kind] = (day, clock)
    share = values.get("share", "")
    if share not in SHARE_CHOICES:
        problems.append(copy("prefs.bad_choice", field=copy("prefs.field_share")))
    return chosen, quiet == "yes", share, problems


@ROUTES.form("nudges.settings")
async def save_settings(turn: Turn) -> list[Message]:
    """Save the nudge settings from the form (all or nothing), then replan the nudges."""
    programme = await _programme_of(turn)
    if isinstance(programme, list):
        return programme
    copy, who, now = turn.copy, turn.interaction.who, turn.interaction.now
    chosen, quiet_ok, share, problems = _check(turn)
    if problems:
        before = await settings_of(turn.db, who)
        form = _form(turn, before, programme, dict(turn.interaction.form))
        return [Message(text="\n".join((copy("prefs.problems"), *problems)), form=form)]
    again = Button(label=copy("prefs.again"), action_id=COMMAND_ACTION, value="nudges")
    settings = await settings_to_change(turn.db, who, now)
    (r_day, r_time), (c_day, c_time) = chosen["reflection"], chosen["checkin"]
    # Equal to the programme's: stored as None, so the leader keeps following the programme.
    settings.reflection_weekday = None if r_day == programme.reflection_weekday else r_day
    settings.reflection_time = None if r_time == programme.reflection_time else r_time
    settings.checkin_weekday = None if c_day == programme.checkin_weekday else c_day
    settings.checkin_time = None if c_time == programme.checkin_time else c_time
    settings.quiet_hours_ok, settings.share_default = quiet_ok, share
    await turn.db.flush()
    await plans.replan(db=turn.db, person=who, now=now)
    return [
        Message(
            title=copy("prefs.title"),
            text=copy("prefs.saved"),
            facts=tuple(_summary(turn, settings, programme)),
            buttons=(again,),
        )
    ]
