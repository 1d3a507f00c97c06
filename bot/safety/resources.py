"""The organisation's support resources for one leader: their country first, then language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prompts import copy_for
from storage.models import Organisation

GENERIC_KIND = "emergency"


@dataclass(frozen=True)
class Resource:
    """One place to turn to: a name, a kind (eap, emergency, helpline, other), how to reach it."""

    name: str
    kind: str
    contact: str
    hours: str | None = None
    locales: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()


def _resource(raw: Mapping[str, Any]) -> Resource:
    return Resource(
        name=str(raw.get("name") or ""),
        kind=str(raw.get("kind") or "other"),
        contact=str(raw.get("contact") or ""),
        hours=str(raw["hours"]) if raw.get("hours") else None,
        locales=tuple(str(t) for t in raw.get("locales") or ()),
        countries=tuple(str(c).upper() for c in raw.get("countries") or ()),
    )


def speaks(tags: tuple[str, ...], locale: str) -> bool:
    """True when a resource tagged `tags` serves `locale` ('en' serves en-GB; en-GB only en-GB)."""
    wanted = locale.replace("_", "-").casefold()
    base = wanted.split("-")[0]
    return any(t.casefold() == wanted or t.casefold() == base for t in tags)


def _rank(r: Resource, locale: str, country: str | None) -> int | None:
    """0 for the leader's country, 1 for their language, 2 for everyone; None: not theirs."""
    if r.countries and (country is None or country.upper() not in r.countries):
        return None
    if r.locales and not speaks(r.locales, locale):
        return None
    return 0 if r.countries else 1 if r.locales else 2


def generic(locale: str) -> Resource:
    """The built-in line for when no emergency number is configured for the leader."""
    copy = copy_for(locale)
    return Resource(copy("safety.generic.name"), GENERIC_KIND, copy("safety.generic.contact"))


def resources_for(org: Organisation | None, locale: str, country: str | None) -> list[Resource]:
    """The leader's resources, their country's first; a generic line if no emergency one fits."""
    configured = [_resource(raw) for raw in (org.support_resources if org else None) or ()]
    ranked: list[tuple[int, int, Resource]] = []
    for i, r in enumerate(configured):
        rank = _rank(r, locale, country) if r.name and r.contact else None
        if rank is not None:
            ranked.append((rank, i, r))
    found = [r for _, _, r in sorted(ranked, key=lambda t: t[:2])]
    if not any(r.kind == GENERIC_KIND for r in found):
        found.append(generic(locale))
    return found
