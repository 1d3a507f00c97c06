"""What one dispatcher pass did, in counts (never ids of people, never message text)."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class DispatchReport:
    """Counts of one pass: every claimed row ends in exactly one of the outcome counts."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    held: int = 0
    paced: int = 0
    dead: int = 0
    superseded: int = 0
    no_sender: int = 0

    def add(self, other: DispatchReport) -> None:
        """Add another report's counts to this one."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def outcomes(self) -> int:
        """Claimed rows accounted for: sent, retrying, held, paced, dead or superseded."""
        return self.sent + self.retrying + self.held + self.paced + self.dead + self.superseded

    def summary(self) -> str:
        """One line for logs and `run-due`, e.g. 'sent 3, retrying 1, held 0, ...'."""
        return ", ".join(
            f"{f.name.replace('_', ' ')} {getattr(self, f.name)}" for f in fields(self)
        )
