"""Thumbnails: the small pictures that grids show, made once per image blob.

A thumbnail is a blob like any other (content-addressed, in the same store), recorded as
the thumbnail of its source digest.  It is made the first time it is asked for, by whoever
asks first; the same bytes uploaded by two organizations, or named by many pictures, share
one.  An organization reads a thumbnail through its grant of the source: one that does not
hold the source gets the same 404 as for bytes that do not exist.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final

from pixlake.core.accounts import require_organization
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import BlobEntity
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from pixlake.imaging import THUMBNAIL_MEDIA_TYPE, NotAnImageError, thumbnail
from pixlake.jobs import JobContext, JobRunner
from pixlake.store.blobs import BlobStore
from pixlake.store.db.engine import Database

__all__ = [
    "KIND",
    "LONGEST_SIDE",
    "Thumbnail",
    "request_thumbnails",
    "run_thumbnails",
    "thumbnail_of",
]

#: The job that makes the thumbnails an organization's pictures lack.
KIND: Final = "thumbnails"
_BATCH: Final = 200

#: The longest side of a thumbnail, in pixels: sharp in a grid cell of 128 CSS pixels on a
#: screen of two device pixels per CSS pixel.
LONGEST_SIDE: Final = 256


@dataclass(frozen=True, slots=True)
class Thumbnail:
    digest: str
    media_type: str
    width: int
    height: int


def thumbnail_of(
    db: Database, store: BlobStore, caller: Caller, organization_id: uuid.UUID, *, digest: str
) -> Thumbnail:
    """The thumbnail of the image blob ``digest`` that the organization holds, made now if
    it was never made.  ``ResourceNotFoundError`` when the organization does not hold the
    bytes; ``InvalidInputError`` when they are not an image."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        if not tx.blobs.holds(organization_id, digest):
            raise ResourceNotFoundError(f"no picture bytes {digest} in this organization")
        made = tx.blobs.thumbnail(digest)
    if made is None:
        made = _make(db, store, digest)
    return Thumbnail(made[0], THUMBNAIL_MEDIA_TYPE, made[1], made[2])


def _render(store: BlobStore, digest: str) -> BlobEntity:
    """Make and store the thumbnail of ``digest``; its description (not yet recorded)."""
    try:
        with store.open(digest) as source:
            data, width, height = thumbnail(source, longest=LONGEST_SIDE)
    except FileNotFoundError as exc:
        raise ResourceNotFoundError(f"the bytes {digest} are missing from the store") from exc
    except NotAnImageError as exc:
        raise InvalidInputError(f"the bytes {digest} are not an image: {exc}") from exc
    info = store.put_bytes(data)
    return BlobEntity(info.digest, info.size, THUMBNAIL_MEDIA_TYPE, width, height)


def _make(db: Database, store: BlobStore, digest: str) -> tuple[str, int, int]:
    """Make, store and record the thumbnail of ``digest`` (bytes before rows: a crash in
    between leaves a file that garbage collection removes, never a row without bytes)."""
    made = _render(store, digest)
    with db.transaction() as tx:
        tx.blobs.add_thumbnail(digest, made)
        recorded = tx.blobs.thumbnail(digest)
    assert recorded is not None  # recorded just now, or by a concurrent maker
    return recorded


def request_thumbnails(
    db: Database, runner: JobRunner, caller: Caller, organization_id: uuid.UUID
) -> uuid.UUID:
    """Queue the job that makes the organization's missing thumbnails, unless one is queued
    and has not started (it will see these pictures too); the id of the job that will. A
    running one may have passed these pictures' place already: another is queued then."""
    with db.transaction() as tx:
        waiting = tx.jobs.queued_of_kind(organization_id, KIND)
        if waiting is not None:
            return waiting
        job = tx.jobs.add(
            organization_id, created_by=caller.user_id, kind=KIND, params={}, runner=runner.name
        )
    runner.submit(job.id, caller)
    return job.id


def run_thumbnails(ctx: JobContext, params: dict[str, object]) -> dict[str, object]:
    """The job: make every thumbnail the organization's pictures lack."""
    del params
    with ctx.db.read() as tx:
        total = tx.blobs.count_without_thumbnail(ctx.organization_id)
    made = failed = 0
    after = ""
    while True:
        with ctx.db.read() as tx:
            digests = tx.blobs.pictures_without_thumbnail(
                ctx.organization_id, after=after, limit=_BATCH
            )
        if not digests:
            break
        batch: list[tuple[str, BlobEntity]] = []
        for digest in digests:
            try:
                batch.append((digest, _render(ctx.store, digest)))
            except (InvalidInputError, ResourceNotFoundError):
                failed += 1  # bytes gone or not an image: the grid shows its placeholder
            ctx.progress(made + len(batch) + failed, max(total, made + failed), "making thumbnails")
        with ctx.db.transaction() as tx:  # a batch's rows in one transaction, after its bytes
            for digest, entity in batch:
                tx.blobs.add_thumbnail(digest, entity)
        made += len(batch)
        after = digests[-1]
    ctx.progress(made + failed, max(total, made + failed), "done", force=True)
    return {"made": made, "failed": failed}
