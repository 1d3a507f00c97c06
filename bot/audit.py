"""Writing the audit log: who did what to which subject, never with confidential text."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry


def record(
    *,
    db: AsyncSession,
    actor: str,
    action: str,
    now: datetime,
    subject_type: str = "",
    subject_id: object = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one audit entry to the caller's transaction."""
    entry = AuditEntry(
        at=now,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail=detail or {},
    )
    db.add(entry)
    return entry
