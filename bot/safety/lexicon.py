"""The safety lexicon: per-locale TOML files in prompts/safety/, strictly validated, cached."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import prompts

SAFETY_DIR = Path(prompts.__file__).parent / "safety"
FALLBACK_LOCALE = "en"
RiskCategory = Literal["self_harm", "harm_to_others", "crisis", "abuse"]
RISK_CATEGORIES: tuple[RiskCategory, ...] = ("self_harm", "harm_to_others", "crisis", "abuse")
LOGISTICS_COMMANDS = (
    "book",
    "sessions",
    "pause",
    "resume",
    "nudges",
    "help",
    "privacy",
    "goals",
    "checkin",
    "reflect",
    "rematch",
)
_SECTIONS = {"risk": "category", "logistics": "command", "developmental": None, "benign": None}
_TOP_KEYS = {"locale", "macros", *_SECTIONS}
_RULE_KEYS = {"id", "patterns", "phrases", "note"}
_MACRO = re.compile(r"\{\{(\w+)\}\}")
_ID = re.compile(r"^[a-z]{2,3}\.[a-z_]+\.[a-z0-9_]+$")
# Combining marks of Latin, Greek and Cyrillic accents; Indic and kana marks are kept.
_ACCENTS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


class LexiconError(ValueError):
    """A lexicon file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Rule:
    """One rule: an id, a label (risk category or command word, else ''), compiled patterns."""

    id: str
    label: str
    patterns: tuple[re.Pattern[str], ...]

    def search(self, text: str) -> re.Match[str] | None:
        """The first match of any pattern in already-normalised text."""
        for pattern in self.patterns:
            found = pattern.search(text)
            if found:
                return found
        return None


@dataclass(frozen=True)
class Lexicon:
    """The rules of one locale, in file order."""

    locale: str
    risk: tuple[Rule, ...]
    logistics: tuple[Rule, ...]
    developmental: tuple[Rule, ...]
    benign: tuple[Rule, ...]


def strip_accents(text: str) -> str:
    """Text without Latin-script accents (é -> e), compatibility forms folded (ｓ -> s)."""
    return unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFKD", text)))


def fold(text: str) -> str:
    """Case-folded, accent-free text: the form both sides of a match are compared in."""
    return strip_accents(text).casefold()


def _fold_pattern(source: str) -> str:
    """A regex source folded like text, leaving ASCII (and so every escape) untouched."""
    return "".join(c if c.isascii() else c.casefold() for c in strip_accents(source))


def _phrase(text: str) -> str:
    """A literal phrase as a regex: word-bounded at ASCII alphanumeric edges."""
    folded = " ".join(fold(text).split())
    body = re.escape(folded).replace(r"\ ", " ")
    start = r"\b" if folded[:1].isascii() and folded[:1].isalnum() else ""
    end = r"\b" if folded[-1:].isascii() and folded[-1:].isalnum() else ""
    return f"{start}{body}{end}"


def _fail(path: Path, key: str, problem: str) -> LexiconError:
    return LexiconError(f"{path}: {key}: {problem}")


def _strings(path: Path, key: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _fail(path, key, "must be a list of non-empty strings")
    return list(value)


def _expand(path: Path, key: str, source: str, macros: dict[str, str]) -> str:
    def one(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in macros:
            raise _fail(path, key, f"unknown macro {{{{{name}}}}}")
        return f"(?:{macros[name]})"

    return _MACRO.sub(one, source)


def _compile(path: Path, key: str, source: str, *, empty_ok: bool = False) -> re.Pattern[str]:
    try:
        compiled = re.compile(source, re.IGNORECASE)
    except re.error as exc:
        raise _fail(path, key, f"bad regex ({exc})") from None
    if not empty_ok and compiled.search(""):
        raise _fail(path, key, "pattern matches the empty string")
    return compiled


def _rule(path: Path, key: str, raw: object, label_key: str | None, macros: dict[str, str]) -> Rule:
    if not isinstance(raw, dict):
        raise _fail(path, key, "must be a table")
    allowed = _RULE_KEYS | ({label_key} if label_key else set())
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _fail(
            path, f"{key}.{unknown[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})"
        )
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise _fail(path, f"{key}.id", "required, like 'en.self_harm.kill_myself'")
    label = ""
    if label_key:
        label = str(raw.get(label_key, ""))
        choices = RISK_CATEGORIES if label_key == "category" else LOGISTICS_COMMANDS
        if label not in choices:
            raise _fail(path, f"{key}.{label_key}", f"must be one of {', '.join(choices)}")
    sources = [
        _expand(path, f"{key}.patterns[{i}]", _fold_pattern(s), macros)
        for i, s in enumerate(_strings(path, f"{key}.patterns", raw.get("patterns", [])))
    ] + [_phrase(s) for s in _strings(path, f"{key}.phrases", raw.get("phrases", []))]
    if not sources:
        raise _fail(path, key, "needs at least one of patterns, phrases")
    compiled = tuple(_compile(path, f"{key}.patterns[{i}]", s) for i, s in enumerate(sources))
    return Rule(id=rule_id, label=label, patterns=compiled)


def _macros(path: Path, raw: object) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise _fail(path, "macros", "must be a table of strings")
    out: dict[str, str] = {}
    for name, value in raw.items():
        out[name] = _expand(path, f"macros.{name}", _fold_pattern(value), out)
        _compile(path, f"macros.{name}", out[name], empty_ok=True)
    return out


def parse(path: Path, data: dict[str, Any]) -> Lexicon:
    """Validate one file's parsed TOML and compile it; raise LexiconError naming file and key."""
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _fail(path, unknown[0], f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})")
    locale = data.get("locale")
    if locale != path.stem:
        raise _fail(path, "locale", f"must be {path.stem!r}, the file's name")
    macros = _macros(path, data.get("macros", {}))
    sections: dict[str, tuple[Rule, ...]] = {}
    for section, label_key in _SECTIONS.items():
        raw = data.get(section, [])
        if not isinstance(raw, list):
            raise _fail(path, section, "must be an array of tables ([[section]])")
        sections[section] = tuple(
            _rule(path, f"{section}[{i}]", r, label_key, macros) for i, r in enumerate(raw)
        )
    _check_ids(path, [r.id for rules in sections.values() for r in rules], locale)
    return Lexicon(locale=locale, **sections)


def _check_ids(path: Path, ids: list[str], locale: str) -> None:
    seen: set[str] = set()
    for rule_id in ids:
        if not rule_id.startswith(f"{locale}."):
            raise _fail(path, rule_id, f"rule ids must start with '{locale}.'")
        if rule_id in seen:
            raise _fail(path, rule_id, "duplicate rule id")
        seen.add(rule_id)


def load_file(path: Path) -> Lexicon:
    """Read, validate and compile one lexicon file (not cached)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LexiconError(f"{path}: not valid TOML ({exc})") from None
    return parse(path, data)


def load_dir(directory: Path) -> tuple[Lexicon, ...]:
    """Every `<locale>.toml` in a directory, English first; the English file is required."""
    files = sorted(directory.glob("*.toml"), key=lambda p: (p.stem != FALLBACK_LOCALE, p.stem))
    if not files or files[0].stem != FALLBACK_LOCALE:
        raise LexiconError(f"{directory}: no {FALLBACK_LOCALE}.toml")
    return tuple(load_file(p) for p in files)


@cache
def lexicons() -> tuple[Lexicon, ...]:
    """All shipped lexicons, English first (read and compiled once per process)."""
    return load_dir(SAFETY_DIR)


def base_locale(locale: str | None) -> str:
    """The language part of a tag: 'pt-BR' -> 'pt', '' -> 'en'."""
    return (locale or FALLBACK_LOCALE).replace("_", "-").split("-")[0].lower() or FALLBACK_LOCALE


def ordered(locale: str | None, pool: Iterable[Lexicon] | None = None) -> tuple[Lexicon, ...]:
    """Lexicons in match order: the person's language, then English, then the others."""
    wanted = base_locale(locale)
    items = tuple(lexicons() if pool is None else pool)
    rank = {wanted: 0, FALLBACK_LOCALE: 1}
    return tuple(sorted(items, key=lambda lex: rank.get(lex.locale, 2)))
