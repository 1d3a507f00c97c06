"""What a file may refer to: its own programmes and coaches, then those already imported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.roster.existing import Existing
from bot.roster.problems import At, Problem
from bot.roster.schema import CoachIn, OrganisationIn, ProgrammeIn, suggest


@dataclass(frozen=True)
class ProgrammeRef:
    """A programme a leader can join."""

    slug: str
    name: str
    modality: str


@dataclass(frozen=True)
class CoachRef:
    """A coach a leader can be assigned to, and where the coach is defined (None: database)."""

    email: str
    capacity: int
    modalities: tuple[str, ...]
    at: At | None


@dataclass
class Context:
    """References a file may use, and the places each email was first seen in it."""

    existing: Existing
    default_locale: str
    programmes: dict[str, ProgrammeRef] = field(default_factory=dict)
    coaches: dict[str, CoachRef] = field(default_factory=dict)
    mentioned_programmes: set[str] = field(default_factory=set)
    mentioned_coaches: set[str] = field(default_factory=set)
    slack_tenant: str = ""
    teams_tenant: str = ""
    emails: dict[str, At] = field(default_factory=dict)

    def claim_email(self, email: str, at: At, problems: list[Problem]) -> bool:
        """Record `email` at `at`; a second use in the same file is a problem."""
        first = self.emails.get(email)
        if first is not None:
            problems.append(
                Problem(
                    at.where("email"),
                    f"duplicate email {email!r}: also at {first.where()}; "
                    "each person appears once (emails are compared ignoring case)",
                )
            )
            return False
        self.emails[email] = at
        return True

    def resolve_programme(self, value: str) -> str | None:
        """The slug a leader's `programme` value names (its slug or its exact name)."""
        key = value.strip().lower()
        if key in self.programmes:
            return key
        by_name = [p.slug for p in self.programmes.values() if p.name.casefold() == key.casefold()]
        return by_name[0] if len(by_name) == 1 else None

    def unknown_programme(self, value: str) -> str:
        """The message for a programme reference that names nothing."""
        known = sorted(self.programmes)
        listed = ", ".join(known) if known else "none yet: define programmes in org.yaml"
        return f"unknown programme {value!r} (expected one of: {listed})" + suggest(value, known)


def build_context(
    existing: Existing,
    organisation: OrganisationIn | None = None,
    programmes: Sequence[ProgrammeIn] = (),
    coaches: Sequence[tuple[CoachIn, At]] = (),
) -> Context:
    """The context for a file: database rows first, then the file's own rows on top."""
    org = existing.org
    locale = organisation.default_locale if organisation else (org.default_locale if org else "en")
    ctx = Context(existing=existing, default_locale=locale)
    for p in existing.programmes.values():
        ctx.programmes[p.slug] = ProgrammeRef(p.slug, p.name, p.modality)
    for person in existing.people.values():
        profile = person.coach_profile
        if person.role == "coach" and profile is not None:
            ctx.coaches[person.email] = CoachRef(
                person.email, profile.capacity, tuple(profile.modalities), None
            )
    for prog in programmes:
        ctx.programmes[prog.slug] = ProgrammeRef(prog.slug, prog.name, prog.modality)
    for coach, at in coaches:
        ctx.coaches[coach.email] = CoachRef(
            coach.email, coach.capacity, tuple(coach.modalities), at
        )
    slack = [w.team_id for w in existing.workspaces]
    teams = [t.tenant_id for t in existing.tenants]
    if organisation is not None:
        slack += [w.team_id for w in organisation.slack_workspaces]
        teams += [t.tenant_id for t in organisation.teams_tenants]
    ctx.slack_tenant = slack[0] if slack else ""
    ctx.teams_tenant = teams[0] if teams else ""
    return ctx
