"""Seeded roster files for bench/roster_import.py: a large org.yaml and leaders.csv variants.

The leaders CSV has zones spread over many IANA zones, Slack ids, and most leaders assigned to
a coach who offers their programme's modality, within every coach's capacity. Two variants come
with it: ~10% of rows with one field changed, and ~1% of rows each with one mistake.
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import yaml

from bot.timefmt import is_valid_zone

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday morning
PROGRAMMES = (  # slug, name, modality, share of leaders
    ("leadership-2026", "Leading at Scale 2026", "leadership", 0.55),
    ("career-2026", "Career Conversations 2026", "career", 0.25),
    ("executive-2026", "Executive Coaching 2026", "executive", 0.10),
    ("team-leads-2026", "Team Leads 2026", "team", 0.10),
)
HUBS = {  # zone: (country, locale); 70% of people live in one of these
    "America/New_York": ("US", "en-US"),
    "America/Chicago": ("US", "en-US"),
    "America/Los_Angeles": ("US", "en-US"),
    "America/Sao_Paulo": ("BR", "pt-BR"),
    "America/Mexico_City": ("MX", "es-MX"),
    "America/Toronto": ("CA", "en-CA"),
    "Europe/London": ("GB", "en-GB"),
    "Europe/Berlin": ("DE", "de-DE"),
    "Europe/Paris": ("FR", "fr-FR"),
    "Europe/Madrid": ("ES", "es-ES"),
    "Europe/Warsaw": ("PL", "pl"),
    "Africa/Lagos": ("NG", "en"),
    "Africa/Johannesburg": ("ZA", "en"),
    "Asia/Dubai": ("AE", "en"),
    "Asia/Kolkata": ("IN", "en-IN"),
    "Asia/Singapore": ("SG", "en"),
    "Asia/Tokyo": ("JP", "ja"),
    "Asia/Shanghai": ("CN", "zh"),
    "Australia/Sydney": ("AU", "en-AU"),
    "Pacific/Auckland": ("NZ", "en-NZ"),
}
REGIONS = {"America": "Americas", "Europe": "EMEA", "Africa": "EMEA", "Atlantic": "EMEA"}
FIRST = "Sam Maria Emily Carlos David Aisha Chloé Fatima Arjun Neha Olivia Tom Kenji Zoë José Ana"
LAST = "Lee González Chen Silva Wilson O'Connor Taylor Schmidt Khan Martin Haddad Mehta Iyer Sato"
LEVELS = ("Manager", "Senior Manager", "Director", "Vice President", "Team Lead")
FUNCTIONS = ("Operations", "Finance", "Engineering", "Sales", "People", "Product", "Research")
COHORTS = ("2026-spring", "2026-autumn", "2027-spring")
ACCREDITATIONS = ("ICF ACC", "ICF PCC", "ICF MCC", "EMCC Practitioner", "EMCC Senior Practitioner")
COLUMNS = "email name timezone programme coach_email level function region cohort locale country"
COLUMNS += " slack_user_id"
DAYS = ("mon", "tue", "wed", "thu", "fri")
ERRORS = ("zone", "email", "programme", "coach", "duplicate", "country", "slack")
EDITS = ("name", "timezone", "level", "function", "cohort", "coach")


def _zones() -> list[str]:
    areas = ("Africa/", "America/", "Asia/", "Australia/", "Europe/", "Pacific/", "Indian/")
    return sorted(z for z in available_timezones() if z.startswith(areas) and is_valid_zone(z))


@dataclass
class Coach:
    email: str
    modalities: list[str]
    capacity: int
    load: int = 0


@dataclass
class Roster:
    """The generated files' contents and what the edited and faulty files should produce."""

    org_yaml: str
    leaders: list[dict[str, str]]
    edited: list[dict[str, str]]
    faulty: list[dict[str, str]]
    coaches: int
    edited_people: int = 0
    edited_coaches: int = 0
    faulty_rows: int = 0
    zones: set[str] = field(default_factory=set)


def _availability(rng: random.Random) -> list[dict[str, str]]:
    out = []
    for day in sorted(rng.sample(DAYS, rng.randint(2, 5)), key=DAYS.index):
        start = rng.randint(7, 10)
        end = start + rng.randint(2, 4)
        out.append({"day": day, "from": f"{start:02d}:00", "to": f"{end:02d}:30"})
        if rng.random() < 0.4:
            later = end + rng.randint(1, 2)
            out.append({"day": day, "from": f"{later:02d}:00", "to": f"{later + 3:02d}:00"})
    return out


def _person(rng: random.Random, zones: list[str]) -> tuple[str, str, str, str]:
    """A name, zone, country and locale."""
    name = f"{rng.choice(FIRST.split())} {rng.choice(LAST.split())}"
    zone = rng.choice(list(HUBS)) if rng.random() < 0.7 else rng.choice(zones)
    country, locale = HUBS.get(zone, ("", "en"))
    return name, zone, country, locale


def generate(leaders: int, coaches: int, seed: int) -> Roster:
    """The org.yaml text, the leader rows, an edited copy (~10%) and a faulty copy (~1%)."""
    rng = random.Random(seed)
    zones = _zones()
    wanted = int(leaders * 0.85)  # leaders given a coach; the rest are matched later
    base = max(4, -(-wanted * 13 // (coaches * 10)))  # about 30% spare capacity overall
    team: list[Coach] = []
    coach_items = []
    for j in range(coaches):
        name, zone, country, locale = _person(rng, zones)
        extra = rng.sample(["career", "executive", "team"], rng.randint(1, 2))
        mods = (["leadership"] if rng.random() < 0.8 else []) + extra
        cap = min(500, rng.randint(base * 8 // 10, base * 12 // 10))
        coach = Coach(f"coach.{j:04d}@coaches.bench.example", mods, cap)
        team.append(coach)
        item: dict[str, Any] = {"email": coach.email, "name": name, "timezone": zone}
        item |= {"locale": locale, "languages": [locale.split("-")[0]]}
        item |= {"accreditation": rng.choice(ACCREDITATIONS), "modalities": mods}
        item |= {"capacity": cap, "country": country or None, "slack_user_id": f"UC{j:07d}"}
        item["availability"] = _availability(rng)
        coach_items.append(item)
    by_modality = {m: [c for c in team if m in c.modalities] for _, _, m, _ in PROGRAMMES}
    doc = {
        "organisation": {
            "slug": "bench",
            "name": "Bench Industries",
            "default_timezone": "Europe/London",
            "slack_workspaces": [{"team_id": "TBENCH0001", "name": "Bench"}],
        },
        "programmes": [{"slug": s, "name": n, "modality": m} for s, n, m, _ in PROGRAMMES],
        "coaches": coach_items,
    }
    org_yaml = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)

    def pick_coach(modality: str) -> Coach | None:
        for _ in range(8 if by_modality[modality] else 0):
            coach = rng.choice(by_modality[modality])
            if coach.load < coach.capacity:
                coach.load += 1
                return coach
        return None

    rows = []
    weights = [share for *_, share in PROGRAMMES]
    for i in range(leaders):
        name, zone, country, locale = _person(rng, zones)
        slug, _, modality, _ = rng.choices(PROGRAMMES, weights)[0]
        assigned = pick_coach(modality) if rng.random() < 0.85 else None
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        first, last = plain.lower().replace("'", "").split(" ", 1)
        row = {"email": f"{first}.{last}.{i}@bench.example", "name": name, "timezone": zone}
        row |= {"programme": slug, "coach_email": assigned.email if assigned else ""}
        row |= {"level": rng.choice(LEVELS), "function": rng.choice(FUNCTIONS)}
        row |= {"region": REGIONS.get(zone.split("/")[0], "APAC"), "cohort": rng.choice(COHORTS)}
        row |= {"locale": locale, "country": country, "slack_user_id": f"UL{i:07d}"}
        rows.append(row)
    roster = Roster(org_yaml, rows, [dict(r) for r in rows], [dict(r) for r in rows], coaches)
    roster.zones = {r["timezone"] for r in rows}
    modality_of = {s: m for s, _, m, _ in PROGRAMMES}
    for i in rng.sample(range(leaders), leaders // 10):
        row, kind = roster.edited[i], rng.choice(EDITS)
        if kind == "coach" and not row["coach_email"]:  # a leader matched since last week
            new = pick_coach(modality_of[row["programme"]])
            if new is not None:
                row["coach_email"] = new.email
                roster.edited_coaches += 1
                continue
        kind = "cohort" if kind == "coach" else kind
        old = row[kind]
        while row[kind] == old:
            choices = {"name": [f"{old} Jr"], "timezone": zones, "level": LEVELS}
            row[kind] = rng.choice(choices.get(kind, FUNCTIONS if kind == "function" else COHORTS))
        roster.edited_people += 1
    bad = rng.sample(range(leaders), max(1, leaders // 100))
    good = set(range(leaders)) - set(bad)
    for n, i in enumerate(bad):
        row = roster.faulty[i]
        kind = ERRORS[n % len(ERRORS)]
        if kind == "duplicate":
            other = next(j % leaders for j in range(i + 1, i + leaders) if j % leaders in good)
            row.update(rows[other])  # a pasted copy of another leader's row
        else:
            key, value = {
                "zone": ("timezone", row["timezone"][:-1]),
                "email": ("email", row["email"].replace("@", " at ")),
                "programme": ("programme", "leadership-2025"),
                "coach": ("coach_email", "nobody@coaches.bench.example"),
                "country": ("country", "GBR"),
                "slack": ("slack_user_id", "x-123"),
            }[kind]
            row[key] = value
    roster.faulty_rows = len(bad)
    return roster


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS.split(), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write_files(folder: str, roster: Roster) -> dict[str, Path]:
    """Write org.yaml and the three leaders CSVs into `folder`; their paths by name."""
    files = {name: Path(folder) / f"{name}.csv" for name in ("leaders", "edited", "faulty")}
    files["org"] = Path(folder) / "org.yaml"
    files["org"].write_text(roster.org_yaml, encoding="utf-8")
    for name, rows in (("leaders", roster.leaders), ("edited", roster.edited)):
        files[name].write_text(_csv(rows), encoding="utf-8")
    files["faulty"].write_text(_csv(roster.faulty), encoding="utf-8")
    return files
