"""What a file may refer to: its own programmes and coaches, then those already imported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.roster.entry import Entry
from bot.roster.existing import Existing
from bot.roster.problems import At, Problem
from bot.roster.schema import CoachIn, OrganisationIn, ProgrammeIn, suggest


@dataclass(frozen=True)
class ProgrammeRef:
    """A programme a leader can join (name or modality None: unreadable in the file)."""

    slug: str
    name: str | None
    modality: str | None


@dataclass(frozen=True)
class CoachRef:
    """A coach a leader can be assigned to, and where the coach is defined (None: database).

    capacity or modalities None: unreadable in the file, so not checked against.
    """

    email: str
    capacity: int | None
    modalities: tuple[str, ...] | None
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
        by_name = [
            p.slug
            for p in self.programmes.values()
            if p.name is not None and p.name.casefold() == key.casefold()
        ]
        return by_name[0] if len(by_name) == 1 else None

    def unknown_programme(self, value: str) -> str:
        """The message for a programme reference that names nothing."""
        known = sorted(self.programmes)
        listed = ", ".join(known) if known else "none yet: define programmes in org.yaml"
        return f"unknown programme {value!r} (expected one of: {listed})" + suggest(value, known)


def build_context(
    existing: Existing,
    organisation: Entry[OrganisationIn] | None = None,
    programmes: Sequence[Entry[ProgrammeIn]] = (),
    coaches: Sequence[Entry[CoachIn]] = (),
) -> Context:
    """The context for a file: database rows first, then the file's own entries on top.

    Every entry whose slug or email could be read counts, even one with other problems, so
    a reference to it is not reported as unknown; the first entry of a repeated one wins.
    """
    org = existing.org
    locale = (organisation.get("default_locale") if organisation else None) or (
        org.default_locale if org else "en"
    )
    ctx = Context(existing=existing, default_locale=locale)
    for p in existing.programmes.values():
        ctx.programmes[p.slug] = ProgrammeRef(p.slug, p.name, p.modality)
    for person in existing.people.values():
        profile = person.coach_profile
        if person.role == "coach" and profile is not None:
            ctx.coaches[person.email] = CoachRef(
                person.email, profile.capacity, tuple(profile.modalities), None
            )
    seen: set[str] = set()
    for prog in programmes:
        slug = prog.get("slug")
        if slug is not None and slug not in seen:
            seen.add(slug)
            ctx.programmes[slug] = ProgrammeRef(slug, prog.get("name"), prog.get("modality"))
    seen.clear()
    for coach in coaches:
        email, modalities = coach.get("email"), coach.get("modalities")
        if email is not None and email not in seen:
            seen.add(email)
            ctx.coaches[email] = CoachRef(
                email,
                coach.get("capacity"),
                tuple(modalities) if modalities is not None else None,
                coach.at,
            )
    slack = [w.team_id for w in existing.workspaces]
    teams = [t.tenant_id for t in existing.tenants]
    if organisation is not None:
        slack += [w.team_id for w in organisation.get("slack_workspaces") or () if w]
        teams += [t.tenant_id for t in organisation.get("teams_tenants") or () if t]
    ctx.slack_tenant = slack[0] if slack else ""
    ctx.teams_tenant = teams[0] if teams else ""
    return ctx
