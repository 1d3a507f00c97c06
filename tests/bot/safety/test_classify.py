"""The rules classifier against the free-text corpus in tests/data/ and a few targeted cases."""

from __future__ import annotations

import tomllib
from collections import Counter
from dataclasses import FrozenInstanceError, dataclass
from pathlib import Path

import pytest

from bot.routes import COMMAND_WORDS
from bot.safety.classify import Verdict, classify, normalise, risk_variants
from bot.safety.lexicon import LOGISTICS_COMMANDS

CORPUS = Path(__file__).parents[2] / "data" / "free_text_corpus.toml"
LOGISTICS_MIN_ACCURACY = 0.90


@dataclass(frozen=True)
class Case:
    """One labelled corpus message."""

    text: str
    locale: str
    language: str
    kind: str
    label: str
    tags: tuple[str, ...]


def _load() -> list[Case]:
    groups = tomllib.loads(CORPUS.read_text(encoding="utf-8"))["group"]
    return [
        Case(
            text=text,
            locale=g["locale"],
            language=g.get("language") or g["locale"].split("-")[0],
            kind=g["kind"],
            label=g.get("command") or g.get("category") or "",
            tags=tuple(g.get("tags", ())),
        )
        for g in groups
        for text in g["texts"]
    ]


CASES = _load()
RISK = [c for c in CASES if c.kind == "risk"]
DEVELOPMENTAL = [c for c in CASES if c.kind == "developmental"]
LOGISTICS = [c for c in CASES if c.kind == "logistics"]


def test_corpus_is_big_and_varied() -> None:
    assert len(CASES) >= 150
    assert len({c.text for c in CASES}) == len(CASES), "duplicate corpus messages"
    assert {c.kind for c in CASES} == {"risk", "logistics", "developmental"}
    assert {c.label for c in RISK} == {"self_harm", "harm_to_others", "crisis", "abuse"}
    assert {c.label for c in LOGISTICS} <= set(LOGISTICS_COMMANDS)
    assert sum("other-language" in c.tags for c in CASES) >= 40


@pytest.mark.parametrize("case", RISK, ids=lambda c: c.text[:40])
def test_every_risk_message_is_risk(case: Case) -> None:
    verdict = classify(case.text, locale=case.locale)
    assert verdict.kind == "risk", case.text
    assert verdict.rule_id and verdict.category and verdict.source == "rules"
    assert case.text not in verdict.rule_id


@pytest.mark.parametrize("case", DEVELOPMENTAL, ids=lambda c: c.text[:40])
def test_every_developmental_message_is_developmental(case: Case) -> None:
    assert classify(case.text, locale=case.locale) == Verdict(kind="developmental"), case.text


def test_logistics_reach_their_command_or_fall_safe() -> None:
    misses: list[str] = []
    for case in LOGISTICS:
        verdict = classify(case.text, locale=case.locale)
        if verdict.kind == "developmental":
            misses.append(f"{case.locale} {case.label}: {case.text}")
            continue
        assert verdict.kind == "logistics", f"{case.text!r} -> {verdict}"
        assert verdict.command == case.label, f"{case.text!r} -> {verdict.command}"
    accuracy = 1 - len(misses) / len(LOGISTICS)
    print(f"\nlogistics accuracy {accuracy:.1%}; misses (to developmental):", *misses, sep="\n  ")
    assert accuracy >= LOGISTICS_MIN_ACCURACY


def test_risk_categories_mostly_as_labelled() -> None:
    verdicts = [(c, classify(c.text, locale=c.locale)) for c in RISK]
    off = [f"{c.label} -> {v.category}: {c.text}" for c, v in verdicts if v.category != c.label]
    print("\nrisk category differs (still risk):", *off, sep="\n  ")
    assert len(off) <= len(RISK) // 10


def test_corpus_covers_the_sample_org_languages() -> None:
    by = Counter((c.language, c.kind) for c in CASES)
    print("\ncorpus (language, kind): count", *sorted(by.items()), sep="\n  ")
    for language in ("en", "pt", "es", "fr", "de", "hi", "ja"):
        assert by[(language, "risk")] >= 3, language
        assert by[(language, "logistics")] >= 1, language
        assert by[(language, "developmental")] >= 2, language


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("cancel my session on Tuesday", "sessions"),
        ("/coach pause", "pause"),
        ("book a session", "book"),
        ("what can you do?", "help"),
    ],
)
def test_logistics_examples(text: str, command: str) -> None:
    assert classify(text, locale="en").command == command


@pytest.mark.parametrize(
    "text",
    [
        "I need to cancel my fear of public speaking",
        "I'm so stressed I want to cancel everything",
        "cancel my session, I'm so overwhelmed with my team I can barely think",
        "a" * 300 + " cancel my session",
    ],
)
def test_unsure_means_developmental(text: str) -> None:
    assert classify(text, locale="en").kind == "developmental"


def test_risk_in_any_language_whatever_the_declared_locale() -> None:
    for locale in ("en", "pt-BR", "ja", "de-DE", "xx", ""):
        assert classify("quiero morir", locale=locale).kind == "risk"
        assert classify("I want to die", locale=locale).kind == "risk"
        assert classify("死にたい", locale=locale).kind == "risk"


def test_risk_beats_logistics_and_names_the_rule_not_the_text() -> None:
    verdict = classify("cancel my session on Tuesday, I want to kill myself", locale="en")
    assert verdict == Verdict(kind="risk", category="self_harm", rule_id="en.self_harm.kill_myself")


def test_normalise_drops_links_mentions_emoji_and_accents() -> None:
    text = "  Hé <@U123> 🙂 see https://x.example/a?b=1 and www.y.example  NOW\u200d "
    assert normalise(text) == "he see and now"
    assert normalise("Ｓｅｓｓｉｏｎ ’s") == "session 's"


def test_risk_variants_read_leetspeak_and_squeeze_repeats() -> None:
    assert "suicide" in risk_variants("su1cide")
    assert "kil myself" in risk_variants("killll myself")
    assert classify("su1c1de", locale="en").kind == "risk"
    assert classify("I want to k!ll mys3lf", locale="en").kind == "risk"


def test_emoji_and_links_do_not_hide_risk() -> None:
    assert classify("i want to 💀 die 💀 https://x.example", locale="en").kind == "risk"
    assert classify("kill🔪myself", locale="en").kind == "risk"


def test_verdict_is_frozen_and_checked() -> None:
    verdict = classify("book a session", locale="en")
    with pytest.raises(FrozenInstanceError):
        verdict.kind = "risk"  # type: ignore[misc]
    with pytest.raises(ValueError, match="category"):
        Verdict(kind="risk")
    with pytest.raises(ValueError, match="command"):
        Verdict(kind="logistics", command="dance")


def test_logistics_commands_are_core_command_words() -> None:
    assert set(LOGISTICS_COMMANDS) <= set(COMMAND_WORDS)
