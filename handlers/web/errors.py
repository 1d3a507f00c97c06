"""JSON answers for everything a playground API route can fail with, never an HTML error page."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from handlers.web.deps import NO_STORE
from handlers.web.parse import BadRequest

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Errors that mean "the database is down, unreachable or busy", not "this request is wrong".
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, ConnectionError)
NOT_ANSWERING = "The database is not answering. Try again in a moment."
BROKEN = "Something went wrong on the server; its log says what."


def json_error(status: int, message: str) -> web.Response:
    """`{"error": message}` with `status`, never cached."""
    return web.json_response({"error": message}, status=status, headers=NO_STORE)


def guarded(handler: Handler) -> Handler:
    """Answer a BadRequest with 400, a database outage with 503, anything else with 500: JSON."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadRequest as exc:
            return json_error(400, str(exc))
        except web.HTTPException:
            raise
        except UNAVAILABLE as exc:
            cause = getattr(exc, "orig", None) or exc
            log.warning(
                "playground %s: the database is not answering (%s)",
                request.path,
                type(cause).__name__,
            )
            return json_error(503, NOT_ANSWERING)
        except Exception:
            log.exception("playground %s failed", request.path)
            return json_error(500, BROKEN)

    return wrapped
