"""User-facing words as data: message catalogues per locale and a small loader."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

MESSAGES_DIR = Path(__file__).parent / "messages"
DEFAULT_LOCALE = "en"


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(name, value, out)
        else:
            out[name] = str(value)


def catalogue_files(locale: str) -> list[Path]:
    """The files of a locale: `messages/<locale>.toml`, then `messages/<locale>/*.toml` by name."""
    main = MESSAGES_DIR / f"{locale}.toml"
    parts = sorted((MESSAGES_DIR / locale).glob("*.toml"))
    return ([main] if main.exists() else []) + parts


@cache
def _catalogue(locale: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in catalogue_files(locale):
        part: dict[str, str] = {}
        _flatten("", tomllib.loads(path.read_text(encoding="utf-8")), part)
        clash = sorted(part.keys() & out.keys())
        if clash:
            raise ValueError(f"{path}: messages defined twice: {', '.join(clash[:5])}")
        out.update(part)
    return out


@cache
def _locales() -> tuple[str, ...]:
    return tuple(
        sorted(
            {p.stem for p in MESSAGES_DIR.glob("*.toml")}
            | {d.name for d in MESSAGES_DIR.iterdir() if d.is_dir() and any(d.glob("*.toml"))}
        )
    )


def available_locales() -> list[str]:
    """Locales that have a message catalogue (read from disk once per process)."""
    return list(_locales())


class Copy:
    """Looks up a message by dotted key in the person's locale, falling back to English."""

    def __init__(self, locale: str = DEFAULT_LOCALE) -> None:
        base = locale.replace("-", "_").split("_")[0].lower() if locale else DEFAULT_LOCALE
        self.locale = base if base in _locales() else DEFAULT_LOCALE

    def has(self, key: str) -> bool:
        """True when `key` exists in this locale or in English."""
        return key in _catalogue(self.locale) or key in _catalogue(DEFAULT_LOCALE)

    def __call__(self, key: str, **values: object) -> str:
        """The message for `key`, with `{name}` placeholders filled from `values`."""
        template = _catalogue(self.locale).get(key) or _catalogue(DEFAULT_LOCALE).get(key)
        if template is None:
            raise KeyError(f"no message {key!r} in prompts/messages/{DEFAULT_LOCALE}.toml")
        return template.format_map(values) if values else template


def copy_for(locale: str | None) -> Copy:
    """The catalogue for a locale such as 'en', 'en-GB' or 'fr_FR'."""
    return Copy(locale or DEFAULT_LOCALE)


LLM_DIR = Path(__file__).parent / "llm"


@cache
def llm_template(name: str) -> dict[str, Any]:
    """The LLM prompt template `prompts/llm/<name>.toml` (system, user, max_tokens)."""
    if not name.isidentifier():
        raise ValueError(f"not a template name: {name!r}")
    return tomllib.loads((LLM_DIR / f"{name}.toml").read_text(encoding="utf-8"))
