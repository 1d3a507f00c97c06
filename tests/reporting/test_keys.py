"""Pseudonymous reporting keys: stable under one secret, unrelated under another, and not
recoverable from the ids without the key (not even by trying every id)."""

from __future__ import annotations

import hashlib
import hmac

from bot.reporting.keys import KINDS, ReportKeys, key_check, report_key, session_ident
from storage.crypto import Keyring

IDS = range(1, 100_001)


def test_keys_are_stable_per_secret_and_distinct_per_kind() -> None:
    ring = Keyring(["secret-one"])
    assert report_key(ring, "leader", 7) == report_key(Keyring(["secret-one"]), "leader", 7)
    per_kind = {report_key(ring, kind, 7) for kind in KINDS}
    assert len(per_kind) == len(KINDS)
    key = report_key(ring, "leader", 7)
    assert len(key) == 32 and int(key, 16) >= 0
    cached = ReportKeys(ring)
    assert cached.cached("leader", 7) == cached.of("leader", 7) == key
    assert cached.session(3, 7) == report_key(ring, "session", session_ident(3, 7))
    assert all(cached.of(k, i) == report_key(ring, k, i) for k in KINDS for i in (1, 10**12))


def test_another_secret_gives_other_keys_and_key_check() -> None:
    one, two = Keyring(["secret-one"]), Keyring(["secret-two"])
    assert all(report_key(one, k, 1) != report_key(two, k, 1) for k in KINDS)
    assert key_check(one) != key_check(two)
    assert key_check(one) == key_check(Keyring(["secret-one"]))
    assert key_check(Keyring(["new", "secret-one"])) != key_check(one)  # a rotation re-keys


def test_a_brute_force_over_ids_with_a_wrong_key_matches_nothing() -> None:
    real = Keyring(["the-operators-secret"])
    stored = {report_key(real, "leader", i) for i in (1, 42, 4_711, 99_999)}
    wrong = Keyring(["a-guess"])
    assert not {report_key(wrong, "leader", i) for i in IDS} & stored


def test_keys_are_not_unkeyed_hashes_of_the_id() -> None:
    real = Keyring(["the-operators-secret"])
    stored = {report_key(real, "leader", i) for i in range(1, 1_001)}
    guesses: set[str] = set()
    for i in IDS:
        for text in (str(i), f"leader:{i}", f"report.leader:{i}"):
            data = text.encode()
            guesses.add(hashlib.sha256(data).hexdigest()[:32])
            guesses.add(hashlib.md5(data, usedforsecurity=False).hexdigest())
            guesses.add(hmac.new(b"", data, hashlib.sha256).hexdigest()[:32])
    assert not guesses & stored
