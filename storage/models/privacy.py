"""Tombstones of people erased at their request, so a roster import does not re-create them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime


class Erasure(Base):
    """One erased person of an organisation, known only by a keyed pseudonym of their email.

    `email_key` is `Keyring.pseudonym("email", email.strip().lower())`, never the email. The
    pseudonym key follows the primary secret, so after a key rotation new tombstones use the
    new key; look-ups try every secret on the ring (`Keyring.pseudonyms`), so tombstones
    written before a rotation still match.
    """

    __tablename__ = "erasures"
    __table_args__ = (UniqueConstraint("organisation_id", "email_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )  # indexed by the unique constraint, which leads with it
    email_key: Mapped[str] = mapped_column(String(64))
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime())
