"""Responses shared by routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import quote

from fastapi.responses import StreamingResponse

from pixlake.core.entities import BlobEntity

__all__ = ["blob_response"]

CHUNK = 1024 * 1024


def blob_response(
    entity: BlobEntity, file: BinaryIO, *, filename: str | None = None
) -> StreamingResponse:
    """Stream a blob with its length, type and an ETag (blobs never change)."""

    def chunks() -> Iterator[bytes]:
        with file:
            while data := file.read(CHUNK):
                yield data

    headers = {
        "Content-Length": str(entity.size),
        "ETag": f'"{entity.digest}"',
        "Cache-Control": "private, max-age=31536000, immutable",
    }
    if filename:
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
    return StreamingResponse(chunks(), media_type=entity.media_type, headers=headers)
