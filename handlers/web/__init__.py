"""The web edge: /healthz, and the local playground (page, API, HTML renderer, sender)."""

from handlers.web.routes import WebDeps, add_web_routes
from handlers.web.sender import WebSender

__all__ = ["WebDeps", "WebSender", "add_web_routes"]
