"""Text in the URL checked once, before any route: what a body's values pass
(``pixlake.schemas.common``), its path and its query pass too.

A path or query parameter is percent-decoded into text that may hold NUL characters
(``%00``) or control characters, which no name, file name or tag may hold: such a request
is answered 422, naming the parameter, before a route or a service sees it.  (Bytes that are
not UTF-8 are decoded as U+FFFD by the server, never as lone surrogates.)
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from pixlake.api.errors import error_response

__all__ = ["UrlTextMiddleware"]

#: What no parameter of a URL holds (tabs and line breaks included: names hold none).
_CONTROL: Final = re.compile("[\\x00-\\x1f\\x7f]")


class UrlTextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = _problem(scope)
        if problem is None:
            await self.app(scope, receive, send)
            return
        field, message = problem
        response = error_response(
            scope.get("path", ""),
            422,
            "invalid_input",
            f"the request is not valid ({field})",
            [{"field": field, "message": message}],
        )
        await response(scope, receive, send)


def _problem(scope: Scope) -> tuple[str, str] | None:
    path: str = scope.get("path", "")
    if _CONTROL.search(path):
        return "path", "expected a path without control or NUL characters (%00 to %1F)"
    query = scope.get("query_string", b"")
    if query and b"%" in query or _CONTROL.search(query.decode("latin-1")):
        for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            name, text = unquote(key), unquote(value)
            if _CONTROL.search(name) or _CONTROL.search(text):
                return f"query.{name[:40]}", (
                    "expected a value without control or NUL characters (%00 to %1F)"
                )
    return None
