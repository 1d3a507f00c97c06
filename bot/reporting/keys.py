"""Pseudonymous keys of the reporting store: a keyed HMAC per kind of row, never the id itself.

The key derives from the operator's primary secret (`Keyring.pseudonym`) and is never written
to the reporting database; `key_check` (a pseudonym of a constant) is, so a sync can tell that
the secret changed and re-key the whole store.
"""

from __future__ import annotations

from typing import Literal, get_args

from storage.crypto import Keyring

Kind = Literal[
    "leader",
    "coach",
    "programme",
    "engagement",
    "session",
    "goal",
    "checkin",
    "nudge",
    "handoff",
]
KINDS: tuple[Kind, ...] = get_args(Kind)
KEY_CHECK = "report.key_check"
"""The purpose of the constant whose pseudonym tells which key made a store's keys."""


def report_key(keyring: Keyring, kind: Kind, ident: object) -> str:
    """The reporting key of one operational row of a kind (32 hex characters)."""
    return keyring.pseudonym(f"report.{kind}", ident)


def session_ident(booking_id: int, leader_id: int) -> str:
    """What a session key is made from: one leader's seat in one booking."""
    return f"{booking_id}:{leader_id}"


def key_check(keyring: Keyring) -> str:
    """The pseudonym of a constant: equal in a store and here iff the same key made both."""
    return keyring.pseudonym(KEY_CHECK, "v1")


class ReportKeys:
    """Keys of one sync: a prepared HMAC per kind, and a cache for the ids that repeat on facts.

    Leaders, coaches, programmes and goals appear on many facts each, so their keys are
    computed once per sync (`cached`); a fact's own key is computed once anyway (`of`).
    """

    def __init__(self, keyring: Keyring) -> None:
        self._make = {kind: keyring.pseudonymizer(f"report.{kind}") for kind in KINDS}
        self._cache: dict[tuple[Kind, int], str] = {}

    def of(self, kind: Kind, ident: object) -> str:
        """The key of a row of `kind` (uncached)."""
        return self._make[kind](ident)

    def cached(self, kind: Kind, ident: int) -> str:
        """The key of a row of `kind` that many facts refer to, computed once per sync."""
        found = self._cache.get((kind, ident))
        if found is None:
            found = self._cache[(kind, ident)] = self._make[kind](ident)
        return found

    def session(self, booking_id: int, leader_id: int) -> str:
        """The key of one leader's seat in one booking."""
        return self._make["session"](session_ident(booking_id, leader_id))
