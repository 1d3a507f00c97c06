"""Column types: aware-UTC datetimes on every database, encrypted text and JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Text
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

from storage.crypto import Keyring

_KEYRING_ATTR = "_coach_companion_keyring"


def attach_keyring(engine: Engine, keyring: Keyring) -> None:
    """Let the encrypted column types of this engine use `keyring`."""
    setattr(engine.dialect, _KEYRING_ATTR, keyring)


def keyring_of(dialect: Dialect) -> Keyring:
    """The keyring attached to an engine's dialect, or a clear error."""
    keyring = getattr(dialect, _KEYRING_ATTR, None)
    if not isinstance(keyring, Keyring):
        raise RuntimeError("no encryption keyring attached to this engine (use storage.db)")
    return keyring


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns aware UTC (SQLite drops offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EncryptedText(TypeDecorator[str]):
    """Confidential text, Fernet-encrypted at rest; plaintext in Python."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document, Fernet-encrypted at rest (for payloads that may hold confidential text)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = json.dumps(value, separators=(",", ":"), sort_keys=True)
        return keyring_of(dialect).encrypt(text)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(keyring_of(dialect).decrypt(value))
