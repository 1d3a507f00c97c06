"""CalendarPort over Microsoft Graph: coaches' busy time from getSchedule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from handlers.graph.client import GraphClient


class GraphCalendar:
    """Reads busy time (busy, tentative, out of office) of coaches' mailboxes through Graph."""

    def __init__(self, client: GraphClient) -> None:
        self.client = client

    async def busy(
        self, *, mailboxes: Sequence[str], start: datetime, end: datetime
    ) -> Mapping[str, list[tuple[datetime, datetime]]]:
        """Busy spans per mailbox (a mailbox Graph could not read is left out); CalendarError."""
        return await self.client.get_schedule(mailboxes, start, end)
