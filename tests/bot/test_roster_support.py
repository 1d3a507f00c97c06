"""org.yaml `organisation.support` and `organisation.safeguarding`: validated, placed, written."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.roster import RosterError
from bot.roster.apply import check_safeguarding
from bot.roster.context import build_context
from bot.roster.existing import Existing
from bot.roster.problems import Problem
from bot.roster.yaml_doc import read_org_yaml
from storage.db import Database
from storage.models import Organisation
from tests.bot.roster_helpers import EXAMPLES, load, load_yaml

HEAD = """organisation:
  slug: acme
  name: Acme
"""
COACH = """coaches:
  - email: ruth@example.com
    name: Ruth Mensah
    timezone: Europe/London
    accreditation: ICF PCC
    modalities: [leadership]
    capacity: 0
"""
GOOD = (
    HEAD
    + """  support:
    - {name: Acme EAP, kind: eap, contact: "0800 000", hours: "24/7"}
    - {name: Emergency, kind: emergency, contact: 112, countries: [fr, DE], locales: [fr]}
  safeguarding:
    contact_email: Ruth@Example.com
"""
    + COACH
)


async def org(db: Database) -> Organisation:
    async with db.reading() as s:
        found = await s.scalar(select(Organisation))
        assert found is not None
        return found


async def test_import_writes_resources_and_safeguarding(db: Database) -> None:
    await load_yaml(db, GOOD)
    stored = await org(db)
    assert stored.support_resources == [
        {"name": "Acme EAP", "kind": "eap", "contact": "0800 000", "locales": [],
         "countries": [], "hours": "24/7"},
        {"name": "Emergency", "kind": "emergency", "contact": "112", "locales": ["fr"],
         "countries": ["FR", "DE"], "hours": None},
    ]  # fmt: skip
    assert (stored.safeguarding_email, stored.safeguarding_policy) == ("ruth@example.com", "ask")
    await load_yaml(db, HEAD + COACH)  # sections left out keep what is stored
    again = await org(db)
    assert len(again.support_resources) == 2 and again.safeguarding_policy == "ask"
    await load_yaml(db, HEAD + "  support: []\n  safeguarding: {policy: never}\n" + COACH)
    emptied = await org(db)
    assert emptied.support_resources == [] and emptied.safeguarding_policy == "never"


async def test_an_org_without_the_sections_tells_nobody(db: Database) -> None:
    await load_yaml(db, HEAD)
    stored = await org(db)
    assert stored.support_resources == [] and stored.safeguarding_policy == "never"


async def test_the_sample_org_has_sample_resources(db: Database) -> None:
    await load(db, EXAMPLES / "org.yaml")
    stored = await org(db)
    assert {"GB", "US", "FR", "DE", "IN", "JP", "BR", "ES"} <= {
        c for r in stored.support_resources for c in r["countries"]
    }
    assert stored.safeguarding_policy == "ask"


@pytest.mark.parametrize(
    ("yaml", "expected"),
    [
        (
            HEAD + "  support:\n    - {name: X, kind: therapy, contact: '1'}\n",
            "organisation.support[0].kind (line 5): unknown kind 'therapy' "
            "(expected eap, emergency, helpline or other)",
        ),
        (
            HEAD + "  support:\n    - name: X\n      kind: eap\n      contact: '1'\n"
            "      countries: [GBR]\n",
            "organisation.support[0].countries (line 8): bad country 'GBR'",
        ),
        (
            HEAD + "  safeguarding:\n    contact_email: ruth@example.com\n    policy: maybe\n",
            "organisation.safeguarding.policy (line 6): unknown policy 'maybe' "
            "(expected ask, always or never)",
        ),
        (
            HEAD + "  safeguarding:\n    policy: always\n",
            "organisation.safeguarding (line 4): policy 'always' needs a contact_email",
        ),
        (
            HEAD + "  support:\n    - {name: X, kind: eap}\n",
            "organisation.support[0].contact (line 5): missing required field 'contact'",
        ),
    ],
)
async def test_bad_support_is_refused_with_its_line(db: Database, yaml: str, expected: str) -> None:
    with pytest.raises(RosterError) as caught:
        await load_yaml(db, yaml)
    assert any(str(p).startswith(expected) for p in caught.value.problems), caught.value
    async with db.reading() as s:
        assert await s.scalar(select(Organisation)) is None


def _check(text: str) -> list[Problem]:
    parsed, problems = read_org_yaml(text)
    assert parsed is not None and problems == []
    ctx = build_context(Existing(), parsed.organisation, parsed.programmes, parsed.coaches)
    for entry in parsed.leaders:
        ctx.claim_email(entry.get("email"), entry.at, problems)
    check_safeguarding(parsed.organisation, ctx, problems)
    return problems


def test_the_contact_must_be_a_coach_on_the_roster() -> None:
    unknown = GOOD.replace("contact_email: Ruth@Example.com", "contact_email: hr@example.com")
    [problem] = _check(unknown)
    assert str(problem).startswith(
        "organisation.safeguarding.contact_email (line 8): no one on the roster has the email "
        "'hr@example.com'"
    )
    leader = (
        unknown.replace("hr@example.com", "sam@example.com")
        + "leaders:\n  - {email: sam@example.com, name: Sam, timezone: UTC, programme: p}\n"
    )
    [problem] = _check(leader)
    assert "'sam@example.com' is a leader" in str(problem)
    assert _check(GOOD) == []


async def test_an_import_with_an_unknown_contact_writes_nothing(db: Database) -> None:
    with pytest.raises(RosterError, match=r"no one on the roster has the email 'hr@example\.com'"):
        await load_yaml(db, GOOD.replace("Ruth@Example.com", "hr@example.com"))
    async with db.reading() as s:
        assert await s.scalar(select(Organisation)) is None
