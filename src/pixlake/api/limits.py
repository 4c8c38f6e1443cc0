"""Bound request bodies before they are read: 413 past the limit, whatever the route; and
the nesting of their values (``max_json_depth``, checked by the wire models: 422).

Blob uploads may be as large as ``max_blob_bytes`` (batches ``max_batch_bytes``); every other
body is JSON and bounded by ``max_json_bytes``.  Both a declared ``Content-Length`` and the
bytes actually received are checked, so a chunked body cannot slip past.
"""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pixlake.api.errors import error_response
from pixlake.core.config import Settings
from pixlake.schemas.common import MAX_JSON_DEPTH

__all__ = ["BodyLimitMiddleware"]

_BLOB_PUT = re.compile(r"/organizations/[^/]+/blobs/[0-9a-f]{64}$")
_BLOB_BATCH = re.compile(r"/organizations/[^/]+/blobs$")


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        prefix: str,
        blob_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.settings = settings
        self.prefix = prefix
        #: Paths under which any body is a blob (signed storage URLs).
        self.blob_prefixes = blob_prefixes

    def limit_for(self, method: str, path: str) -> int:
        if path.startswith(self.blob_prefixes):
            return self.settings.max_blob_bytes
        tail = path[len(self.prefix) :] if path.startswith(self.prefix) else path
        if method == "PUT" and _BLOB_PUT.search(tail):
            return self.settings.max_blob_bytes
        if method == "POST" and _BLOB_BATCH.search(tail):
            return self.settings.max_batch_bytes
        return self.settings.max_json_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        MAX_JSON_DEPTH.set(self.settings.max_json_depth)  # this request's context only
        limit = self.limit_for(scope["method"], scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route, so the exception handlers answer 413.
                    raise HTTPException(413, f"the request body is over the limit of {limit} bytes")
            return message

        await self.app(scope, counting_receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = error_response(
            scope.get("path", ""),
            413,
            "payload_too_large",
            f"the request body is over the limit of {limit} bytes",
        )
        await response(scope, receive, send)
