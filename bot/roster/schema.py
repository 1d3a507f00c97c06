"""The shapes of org.yaml and of a leader row (CSV or YAML), as pydantic models."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import date, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError, model_validator

from bot.roster import fields as f
from bot.roster.problems import Problem

Loc = tuple[str | int, ...]

Email = Annotated[str, PlainValidator(f.email)]
OptEmail = Annotated[str | None, PlainValidator(f.optional(f.email))]
Name = Annotated[str, PlainValidator(f.text(200, "name"))]
OptName = Annotated[str, PlainValidator(f.optional(f.text(200, "name")))]
Label = Annotated[str | None, PlainValidator(f.optional(f.text(64)))]
Reference = Annotated[str, PlainValidator(f.text(200, "programme"))]
Zone = Annotated[str, PlainValidator(f.zone)]
Locale = Annotated[str, PlainValidator(f.locale)]
OptLocale = Annotated[str | None, PlainValidator(f.optional(f.locale))]
Languages = Annotated[list[str], PlainValidator(f.listed(f.locale, "language tags"))]
Slug = Annotated[str, PlainValidator(f.slug)]
Modality = Annotated[str, PlainValidator(f.modality)]
Modalities = Annotated[list[str], PlainValidator(f.listed(f.modality, "modalities"))]
Accreditation = Annotated[tuple[str, str], PlainValidator(f.accreditation)]
Weekday = Annotated[int, PlainValidator(f.weekday)]
ClockTime = Annotated[time, PlainValidator(f.clock_time)]
OptDate = Annotated[date | None, PlainValidator(f.optional(f.iso_date))]
Duration = Annotated[int, PlainValidator(f.duration_minutes)]
Durations = Annotated[list[int], PlainValidator(f.listed(f.duration_minutes, "durations"))]
OptCountry = Annotated[str | None, PlainValidator(f.optional(f.country))]
Countries = Annotated[list[str], PlainValidator(f.listed(f.country, "country codes"))]
OptSlackUser = Annotated[str | None, PlainValidator(f.optional(f.slack_user_id))]
OptTeamsUser = Annotated[str | None, PlainValidator(f.optional(f.teams_user_id))]
OptCalendar = Annotated[str | None, PlainValidator(f.optional(f.external_id("calendar id", 320)))]
Bio = Annotated[str, PlainValidator(f.optional(f.prose(2000, "bio")))]


def _whole(minimum: int, maximum: int) -> PlainValidator:
    return PlainValidator(f.whole(minimum, maximum))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class WorkspaceIn(_Model):
    """A Slack workspace of the organisation."""

    team_id: Annotated[str, PlainValidator(f.external_id("Slack team id", 32))]
    name: OptName = ""


class TenantIn(_Model):
    """A Microsoft Entra tenant of the organisation."""

    tenant_id: Annotated[str, PlainValidator(f.external_id("tenant id", 64))]
    name: OptName = ""


class ResourceIn(_Model):
    """One entry of `organisation.support`: a place a leader at risk can turn to."""

    name: Name
    kind: Annotated[str, PlainValidator(f.support_kind)]
    contact: Annotated[str, PlainValidator(f.text(300, "contact"))]
    locales: Languages = Field(default_factory=list)
    countries: Countries = Field(default_factory=list)
    hours: Annotated[str | None, PlainValidator(f.optional(f.text(200, "hours")))] = None


class SafeguardingIn(_Model):
    """`organisation.safeguarding`: who is told about a risk event, and when."""

    contact_email: OptEmail = None
    policy: Annotated[str, PlainValidator(f.safeguarding_policy)] = "ask"

    @model_validator(mode="after")
    def _contact_when_told(self) -> SafeguardingIn:
        if self.policy != "never" and self.contact_email is None:
            raise f.fail(f"policy {self.policy!r} needs a contact_email (or use policy: never)")
        return self


class OrganisationIn(_Model):
    """The `organisation:` section."""

    slug: Slug
    name: Name
    default_locale: Locale = "en"
    default_timezone: Zone = "UTC"
    slack_workspaces: list[WorkspaceIn] = Field(default_factory=list)
    teams_tenants: list[TenantIn] = Field(default_factory=list)
    support: list[ResourceIn] = Field(default_factory=list)
    safeguarding: SafeguardingIn | None = None


class ProgrammeIn(_Model):
    """One entry of `programmes:`."""

    slug: Slug
    name: Name
    modality: Modality
    sessions_per_leader: Annotated[int, _whole(1, 100)] = 6
    session_minutes: Annotated[int, _whole(15, 240)] = 60
    nudge_cadence_days: Annotated[int, PlainValidator(f.whole_weeks(4))] = 7
    reflection_weekday: Weekday = 4
    reflection_time: ClockTime = time(16, 0)
    checkin_weekday: Weekday = 0
    checkin_time: ClockTime = time(9, 0)
    max_nudges_per_week: Annotated[int, _whole(1, 14)] = 3
    nudge_grace_hours: Annotated[int, _whole(0, 72)] = 12
    late_cancel_hours: Annotated[int, _whole(0, 336)] = 24
    booking_horizon_days: Annotated[int, _whole(1, 90)] = 28
    reminders: Durations = Field(default_factory=lambda: [1440, 60])
    brief_before: Duration = 1440
    starts_on: OptDate = None
    ends_on: OptDate = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> ProgrammeIn:
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            raise f.fail(f"ends_on {self.ends_on} is not after starts_on {self.starts_on}")
        return self


class WindowIn(_Model):
    """One weekly availability window: `{day: mon, from: "09:00", to: "12:00"}`."""

    day: Weekday
    start: ClockTime = Field(alias="from")
    end: ClockTime = Field(alias="to")

    @model_validator(mode="after")
    def _end_after_start(self) -> WindowIn:
        if self.end <= self.start:
            raise f.fail(
                f"window ends at {self.end:%H:%M}, not after it starts at {self.start:%H:%M} "
                "(windows cannot cross midnight)"
            )
        return self


class CoachIn(_Model):
    """One entry of `coaches:`."""

    email: Email
    name: Name
    timezone: Zone
    locale: OptLocale = None
    languages: Languages = Field(default_factory=list)
    accreditation: Accreditation
    modalities: Modalities
    capacity: Annotated[int, _whole(0, 500)] = 8
    buffer_minutes: Annotated[int, _whole(0, 240)] = 15
    min_notice_hours: Annotated[int, _whole(0, 720)] = 24
    calendar_user_id: OptCalendar = None
    bio: Bio = ""
    country: OptCountry = None
    slack_user_id: OptSlackUser = None
    teams_user_id: OptTeamsUser = None
    availability: list[WindowIn] = Field(default_factory=list)


class LeaderIn(_Model):
    """A leader: one row of leaders.csv, or one entry of `leaders:` in org.yaml."""

    email: Email
    name: Name
    timezone: Zone
    programme: Reference
    coach_email: OptEmail = None
    level: Label = None
    function: Label = None
    region: Label = None
    cohort: Label = None
    locale: OptLocale = None
    country: OptCountry = None
    slack_user_id: OptSlackUser = None
    teams_user_id: OptTeamsUser = None
    started_on: OptDate = None


LEADER_COLUMNS = tuple(LeaderIn.model_fields)
REQUIRED_LEADER_COLUMNS = ("email", "name", "timezone", "programme")
_KNOWN_FIELDS = sorted(
    {
        (info.alias or name)
        for model in (
            WorkspaceIn,
            TenantIn,
            ResourceIn,
            SafeguardingIn,
            OrganisationIn,
            ProgrammeIn,
            WindowIn,
            CoachIn,
        )
        for name, info in model.model_fields.items()
    }
    | set(LEADER_COLUMNS)
)


def suggest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """'; did you mean 'x'?' when a choice is close to `word`, else ''."""
    close = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.7)
    return f"; did you mean {close[0]!r}?" if close else ""


def _message(error: Any) -> str:
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind == "missing":
        return f"missing required field {loc[-1]!r}"
    if kind == "extra_forbidden":
        return f"unknown field {loc[-1]!r}" + suggest(str(loc[-1]), _KNOWN_FIELDS)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of fields, got {type(value).__name__} {_short(value)}"
    if kind == "list_type":
        return f"expected a list, got {type(value).__name__} {_short(value)}"
    if kind == "roster":
        return str(error["msg"])
    return f"{error['msg']} (got {_short(value)})"


def _short(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def problems_of(exc: ValidationError, where: Callable[[Loc], str]) -> list[Problem]:
    """One Problem per pydantic error, placed by `where(loc)`."""
    return [Problem(where(tuple(e["loc"])), _message(e)) for e in exc.errors()]
