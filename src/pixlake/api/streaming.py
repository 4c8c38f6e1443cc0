"""A request's body streamed into a blob writer: received and written at once, bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool

from pixlake.errors import PayloadTooLargeError
from pixlake.store.blobs import BlobWriter

__all__ = ["WRITE_BYTES", "stream_into"]

#: Bytes of a streamed body handed to the store at a time.
WRITE_BYTES = 4 * 1024 * 1024


def _write(writer: BlobWriter, chunks: list[bytes]) -> None:
    for chunk in chunks:
        writer.write(chunk)


async def stream_into(
    writer: BlobWriter, chunks: AsyncIterator[bytes], *, limit: int, what: str = "the blob"
) -> None:
    """Write ``chunks`` (a request's ``stream()``) into ``writer``; ``PayloadTooLargeError``
    past ``limit`` bytes. The writer is neither committed nor aborted here.

    The body arrives in pieces of 64-256 KiB. They are written (and hashed) a few MiB at a
    time in a worker thread while the next ones are received: one thread hop per batch, and
    receiving overlaps writing."""
    writing: asyncio.Future[None] | None = None
    pending: list[bytes] = []
    pending_bytes = received = 0
    try:
        async for chunk in chunks:
            received += len(chunk)
            if received > limit:
                raise PayloadTooLargeError(f"{what} is over the limit of {limit} bytes")
            pending.append(chunk)
            pending_bytes += len(chunk)
            if pending_bytes >= WRITE_BYTES:
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(run_in_threadpool(_write, writer, pending))
                pending, pending_bytes = [], 0
        if writing is not None:
            await writing
        if pending:
            await run_in_threadpool(_write, writer, pending)
    except BaseException:
        if writing is not None and not writing.done():
            await asyncio.wait([writing])  # never leave a write running under its caller
        raise
