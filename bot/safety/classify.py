"""Classify a leader's free text by rules: risk first, then logistics, else developmental."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from bot.safety.lexicon import (
    LOGISTICS_COMMANDS,
    RISK_CATEGORIES,
    Lexicon,
    RiskCategory,
    Rule,
    fold,
    ordered,
)

Kind = Literal["risk", "logistics", "developmental"]
Source = Literal["rules", "llm"]
MAX_LOGISTICS_CHARS = 220
"""Longer messages tell a story: never logistics by rules (the safe direction)."""

_MARKUP = re.compile(r"<[@#!][^>\s]*>|<(?:https?|mailto):[^>]*>")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "“": '"', "”": '"', "„": '"'})
_DROP_CATEGORIES = {"So", "Sk", "Cf", "Co", "Cs"}
_LEET = str.maketrans(
    {"1": "i", "!": "i", "3": "e", "4": "a", "@": "a", "0": "o", "$": "s", "5": "s"}
)
_REPEATS = re.compile(r"(\D)\1{2,}")
_LEET_WORD = re.compile(r"\b\w*[a-z][\w!@$]*\b")


@dataclass(frozen=True)
class Verdict:
    """What a message is: its kind, the command word or risk category, and the rule that decided."""

    kind: Kind
    command: str | None = None
    category: RiskCategory | None = None
    rule_id: str | None = None
    source: Source = "rules"

    def __post_init__(self) -> None:
        if self.kind == "risk" and (self.category not in RISK_CATEGORIES or not self.rule_id):
            raise ValueError("a risk verdict needs a category and a rule id")
        if self.kind == "logistics" and self.command not in LOGISTICS_COMMANDS:
            raise ValueError(f"a logistics verdict needs a command word, got {self.command!r}")
        if self.kind != "risk" and self.category is not None:
            raise ValueError("only a risk verdict has a category")


DEVELOPMENTAL = Verdict(kind="developmental")


def normalise(text: str) -> str:
    """Text as rules see it: no links, mentions or emoji, case-folded, accent-free, one space."""
    text = _URL.sub(" ", _MARKUP.sub(" ", text)).translate(_QUOTES)
    kept = (" " if unicodedata.category(c) in _DROP_CATEGORIES else c for c in text)
    return " ".join(fold("".join(kept)).split())


def _deleet(text: str) -> str:
    """Digits and symbols used as letters inside words read as letters: su1cide -> suicide."""
    return _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)


def risk_variants(normalised: str) -> tuple[str, ...]:
    """The spellings risk rules are tried on: as written, repeats squeezed, leetspeak read."""
    squeezed = _REPEATS.sub(r"\1", normalised)
    return tuple(dict.fromkeys((normalised, squeezed, _deleet(squeezed), _deleet(normalised))))


def _blank(text: str, rules: Iterable[Rule]) -> str:
    """Text with benign idioms ('dying to see it') replaced by spaces, other words kept."""
    for rule in rules:
        for pattern in rule.patterns:
            text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


def _risk(normalised: str, lexes: tuple[Lexicon, ...]) -> Verdict | None:
    benign = [rule for lex in lexes for rule in lex.benign]
    variants = [_blank(v, benign) for v in risk_variants(normalised)]
    for lex in lexes:
        for rule in lex.risk:
            if any(rule.search(v) for v in variants):
                category = next(c for c in RISK_CATEGORIES if c == rule.label)
                return Verdict(kind="risk", category=category, rule_id=rule.id)
    return None


def _logistics(normalised: str, lexes: tuple[Lexicon, ...]) -> Verdict | None:
    if len(normalised) > MAX_LOGISTICS_CHARS:
        return None
    best: tuple[int, int, Rule] | None = None
    for order, rule in enumerate(r for lex in lexes for r in lex.logistics):
        found = rule.search(normalised)
        if found and (best is None or (found.start(), order) < best[:2]):
            best = (found.start(), order, rule)
    if best is None:
        return None
    if any(rule.search(normalised) for lex in lexes for rule in lex.developmental):
        return None
    return Verdict(kind="logistics", command=best[2].label, rule_id=best[2].id)


def classify(text: str, *, locale: str) -> Verdict:
    """Sort free text: risk (any language), then logistics, else developmental (when unsure)."""
    normalised = normalise(text)
    lexes = ordered(locale)
    return _risk(normalised, lexes) or _logistics(normalised, lexes) or DEVELOPMENTAL
