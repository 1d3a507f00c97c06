"""The web channel's sender: the playground reads delivered rows itself, so sending is marking."""

from __future__ import annotations

from bot.ports import Delivery, SendResult, Sent


class WebSender:
    """Delivers web outbox rows: nothing to call, the page polls the rows marked sent."""

    channel = "web"

    async def send(self, delivery: Delivery) -> SendResult:
        """Accept the row; its reference is `web:<outbox id>`."""
        return Sent(ref=f"web:{delivery.outbox_id}")
