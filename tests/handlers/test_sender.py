"""The web sender: delivery is marking the row sent; its reference names the outbox row."""

from __future__ import annotations

from bot.ports import Delivery, Recipient, Sent
from bot.ui import Message
from handlers.web import WebSender


async def test_web_sender_accepts_and_names_the_row() -> None:
    sender = WebSender()
    delivery = Delivery(
        outbox_id=42,
        channel="web",
        bucket="web",
        kind="reply",
        recipient=Recipient(
            person_id=1, name="Sam", email="s@example.com", timezone="UTC", locale="en"
        ),
        message=Message(text="hi"),
        attempt=1,
    )
    assert sender.channel == "web"
    assert await sender.send(delivery) == Sent(ref="web:42")
