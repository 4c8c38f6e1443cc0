"""What every response carries and what no log line holds.

Security headers go on every answer: its content type is not to be guessed
(``nosniff``), no page may frame it, no referrer leaves it, and API answers load nothing
(``Content-Security-Policy: default-src 'none'``; the interactive ``/docs`` page keeps the
policy it needs).  Access logs print paths without their query strings: a query can hold
what its sender would not have logged (a search, a signed link), and a token never travels
there, as ``Authorization`` headers are never logged.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SECURITY_HEADERS", "RedactQueries", "SecurityHeadersMiddleware", "redact_access_log"]

SECURITY_HEADERS: dict[str, str] = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
}
#: For the API's own answers (JSON, problem documents, bytes): nothing to run or load.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, prefix: str | tuple[str, ...]) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith(self.prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                if api and b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", API_POLICY.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RedactQueries(logging.Filter):
    """Drops the query string of the path in uvicorn's access log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, mark, _query = args[2].partition("?")
            if mark:
                record.args = (*args[:2], f"{path}?[redacted]", *args[3:])
        return True


def redact_access_log() -> None:
    """Install :class:`RedactQueries` on uvicorn's access log, once per process."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactQueries) for f in access.filters):
        access.addFilter(RedactQueries())
