"""Responses shared by routers."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO
from urllib.parse import quote

from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from pixlake.core.exports import ExportStream
from pixlake.entities.datalake import BlobEntity
from pixlake.store.blobs import BlobStore
from pixlake.tarstream import BLOCK, END_OF_ARCHIVE, gnu_header, padding

__all__ = ["BLOB_RESPONSES", "blob_response", "byte_range", "export_response", "tar_response"]

CHUNK = 1024 * 1024

_BYTES = {"schema": {"type": "string", "format": "binary"}}
#: What a route answering :func:`blob_response` documents: the bytes, under the media type
#: they were stored with (an image's, or ``application/octet-stream``), whole or a range.
BLOB_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The bytes, under the media type they were stored with.",
        "content": {"application/octet-stream": _BYTES, "image/*": _BYTES},
    },
    206: {
        "description": "The bytes the `Range` header asked for, with `Content-Range`.",
        "content": {"application/octet-stream": _BYTES, "image/*": _BYTES},
    },
    416: {
        "description": "The `Range` header selects no byte of the file.",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    },
}


class _Unsatisfiable:
    """A ``Range`` that selects no byte of the blob (answered with 416)."""


UNSATISFIABLE = _Unsatisfiable()


class _FileResponse(StreamingResponse):
    """Streams a blob and closes its file when the response ends, however it ends: a client
    that disconnects mid-body leaves the body iterator suspended, to be collected who knows
    when, so the file is not left to it.  (No read is in flight then: the thread reading the
    next chunk is waited for, not abandoned.)"""

    def __init__(self, content: Iterator[bytes], *, file: BinaryIO, **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._file = file

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._file.close()


def byte_range(header: str | None, size: int) -> tuple[int, int] | _Unsatisfiable | None:
    """The inclusive ``(first, last)`` byte positions a ``Range`` header selects.

    Only one range is served (``bytes=a-b``, ``bytes=a-`` or ``bytes=-n``).  ``None`` means
    "send everything": no header, another unit, several ranges or a malformed header, which
    RFC 9110 lets a server ignore.  A range starting past the end is ``UNSATISFIABLE``.
    """
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    first_text, last_text = first_text.strip(), last_text.strip()
    if not dash or not (first_text.isdigit() or first_text == ""):
        return None
    if last_text and not last_text.isdigit():
        return None
    if first_text == "":
        if not last_text:
            return None
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            return UNSATISFIABLE
        return max(0, size - suffix), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    if first >= size:
        return UNSATISFIABLE
    last = int(last_text) if last_text else size - 1
    return first, min(last, size - 1)


def blob_response(
    entity: BlobEntity,
    file: BinaryIO,
    *,
    filename: str | None = None,
    range_header: str | None = None,
) -> StreamingResponse:
    """Stream a blob with its length, type and an ETag (blobs never change).

    With a single-range ``Range`` header (``range_header``), only those bytes are sent, as a
    206 with ``Content-Range``: an interrupted download resumes where it stopped.
    """
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": f'"{entity.digest}"',
        "Cache-Control": "private, max-age=31536000, immutable",
    }
    span = byte_range(range_header, entity.size)
    if isinstance(span, _Unsatisfiable):
        file.close()
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Range Not Satisfiable",
                "status": 416,
                "detail": f"the range {range_header!r} selects no byte of this "
                f"{entity.size}-byte blob",
                "code": "range_not_satisfiable",
                "errors": [],
            }
        ).encode()
        headers["Content-Range"] = f"bytes */{entity.size}"
        headers["Content-Length"] = str(len(body))
        return StreamingResponse(
            iter([body]), status_code=416, media_type="application/problem+json", headers=headers
        )
    first, last = span if span is not None else (0, entity.size - 1)
    length = last - first + 1

    def chunks() -> Iterator[bytes]:
        with file:
            if first:
                file.seek(first)
            remaining = length
            while remaining > 0:
                data = file.read(min(CHUNK, remaining))
                if not data:
                    return
                remaining -= len(data)
                yield data

    headers["Content-Length"] = str(length)
    status = 200
    if span is not None:
        status = 206
        headers["Content-Range"] = f"bytes {first}-{last}/{entity.size}"
    if filename:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
    return _FileResponse(
        chunks(), file=file, status_code=status, media_type=entity.media_type, headers=headers
    )


def tar_response(entities: Sequence[BlobEntity], store: BlobStore) -> StreamingResponse:
    """Many blobs as one uncompressed tar stream, members named by digest, in order.

    The length is known before the first byte (headers, data, padding, end marker), so the
    response carries a ``Content-Length``; each blob is read in 1 MiB chunks.
    """

    def members() -> Iterator[bytes]:
        for entity in entities:
            yield gnu_header(entity.digest, entity.size)
            with store.open(entity.digest) as file:
                while data := file.read(CHUNK):
                    yield data
            if pad := padding(entity.size):
                yield pad
        yield END_OF_ARCHIVE

    length = sum(BLOCK + e.size + -e.size % BLOCK for e in entities) + len(END_OF_ARCHIVE)
    return StreamingResponse(
        members(),
        media_type="application/x-tar",
        headers={"Content-Length": str(length)},
    )


class _ExportResponse(StreamingResponse):
    """Streams an export and stops its writer when the response ends, however it ends (see
    ``_FileResponse``)."""

    def __init__(self, stream: ExportStream) -> None:
        super().__init__(
            stream.chunks,
            media_type=stream.media_type,
            headers={
                "Content-Disposition": (
                    f"attachment; filename*=UTF-8''{quote(stream.filename, safe='')}"
                ),
                "Cache-Control": "no-store",
            },
        )
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await run_in_threadpool(self._stream.close)


def export_response(stream: ExportStream) -> StreamingResponse:
    """A dataset export, streamed as it is written (no ``Content-Length``: chunked)."""
    return _ExportResponse(stream)
