"""Encryption at rest for confidential text (Fernet, rotatable with MultiFernet)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["InvalidToken", "Keyring", "derive_key"]


def derive_key(secret: str, purpose: str) -> bytes:
    """Derive a 32-byte key for one purpose from an operator secret (HMAC-SHA256)."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


class Keyring:
    """Encrypts with the first secret, decrypts with any: rotation by prepending a new one."""

    def __init__(self, secrets: Sequence[str]) -> None:
        cleaned = [s.strip() for s in secrets if s.strip()]
        if not cleaned:
            raise ValueError("at least one secret key is needed for encryption at rest")
        self._fernets = [
            Fernet(base64.urlsafe_b64encode(derive_key(s, "coach-companion/encryption/v1")))
            for s in cleaned
        ]
        self._multi = MultiFernet(self._fernets)
        self._pseudonym_keys = [derive_key(s, "coach-companion/pseudonym/v1") for s in cleaned]

    @classmethod
    def from_setting(cls, value: str) -> Keyring:
        """Build from a comma-separated list of secrets, newest first."""
        return cls(value.split(","))

    def encrypt(self, plaintext: str) -> str:
        """Encrypt text with the primary key; returns an ASCII token."""
        return self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Decrypt a token made with any key on the ring."""
        return self._multi.decrypt(token.encode("ascii")).decode("utf-8")

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the primary key."""
        return self._multi.rotate(token.encode("ascii")).decode("ascii")

    def pseudonym(self, kind: str, ident: object) -> str:
        """A stable keyed pseudonym (HMAC) for an internal id; the key is never stored.

        The key derives from the primary secret, so it changes when a new secret is
        prepended; match stored pseudonyms with `pseudonyms`.
        """
        return _hmac(self._pseudonym_keys[0], kind, ident)

    def pseudonymizer(self, kind: str) -> Callable[[object], str]:
        """`pseudonym` for one kind, its HMAC's keyed pads hashed once (for bulk use).

        HMAC(k, m) = H((k ^ opad) || H((k ^ ipad) || m)) (RFC 2104), with the hash states after
        the pads (and the kind) copied per call: equal to `pseudonym`, at half its cost.
        """
        key = self._pseudonym_keys[0].ljust(_SHA256_BLOCK, b"\0")  # 32 bytes: never hashed
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        inner.update(f"{kind}:".encode())
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

        def pseudonym(ident: object) -> str:
            mac = inner.copy()
            mac.update(str(ident).encode())
            done = outer.copy()
            done.update(mac.digest())
            return done.hexdigest()[:32]

        return pseudonym

    def pseudonyms(self, kind: str, ident: object) -> list[str]:
        """The pseudonym under every secret on the ring, newest first (for look-ups)."""
        return [_hmac(key, kind, ident) for key in self._pseudonym_keys]


_SHA256_BLOCK = 64
"""SHA-256's block size in bytes: HMAC pads its key to it."""


def _hmac(key: bytes, kind: str, ident: object) -> str:
    return hmac.new(key, f"{kind}:{ident}".encode(), hashlib.sha256).hexdigest()[:32]
