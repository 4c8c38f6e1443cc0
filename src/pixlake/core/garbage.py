"""Garbage collection: removing the bytes that nothing refers to any more.

Deleting a picture, a network file or an experiment removes rows, never bytes: the same bytes
may be referenced elsewhere, by this organization or another (decision 0001).  This job
finds what nothing needs and removes it, in three steps:

1. *Grants* (``organization_blobs``: an organization sent these bytes) of bytes nothing
   needs.  Needed bytes keep every grant of them.
2. *Blob records* of bytes nothing needs and no organization holds any more.
3. *Files*: what the store holds without a blob record (those of step 2, and files left by
   an upload stopped between storing its bytes and recording them), and the temporary files
   of writes that never finished (a server killed mid-upload).

A blob is needed while any row refers to it (every foreign key to ``blobs.digest`` counts,
so a table added later is covered without change), while an experiment's image data names it
(its JSON holds the digest: ``IMAGE_DATA``), while a queued or running job names it in its
parameters (an import document), in both cases only when the naming organization holds the
bytes, or while a composite blob that is needed, or younger than
the grace period, lists it as a part.
Nothing younger than the *grace period* is removed, whether a grant, a record or a file:
bytes uploaded for a reference not yet made are left alone, and the store *freshens* a file
it is asked to store again (``pixlake.store.blobs.local``), so that bytes being stored again
at the moment of the collection are not removed under their writer.  The database side runs
in one transaction; the foreign keys to ``blobs`` refuse the removal of a record that a
concurrent writer has just referred to.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from pixlake.clock import utcnow
from pixlake.store.blobs import BlobStore, LocalBlobStore, StoredBlob
from pixlake.store.blobs.base import DIGEST_RE
from pixlake.store.db.engine import Database
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = ["DEFAULT_GRACE", "IMAGE_DATA", "GarbageReport", "collect_garbage"]

#: Nothing written more recently than this is removed.
DEFAULT_GRACE: Final = timedelta(hours=24)
#: The type of the experiment data whose JSON refers to bytes (``{object_name, sha256}``).
IMAGE_DATA: Final = "image"


@dataclass(frozen=True, slots=True)
class GarbageReport:
    """What a collection removed (or, in a dry run, would remove)."""

    grants: int
    blobs: int
    files: int
    bytes_freed: int
    dry_run: bool
    #: Files no writer finished (uploads stopped by a crash), as old as the grace period.
    temporary: int = 0


def _digests_in(value: Any) -> Iterator[str]:
    """The digests a JSON value names, at any depth."""
    if isinstance(value, str):
        if DIGEST_RE.match(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _digests_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _digests_in(item)


def _protected(tx: UnitOfWork, store: BlobStore, written_before: float) -> set[str]:
    """What is needed without a row referring to it: digests named in JSON (experiments'
    image data, unfinished jobs' parameters) and the parts of composites that are needed or
    within the grace period (one made of parts sent long ago is not referred to yet)."""
    # JSON names bytes only for an organization that holds them: naming a digest one does not
    # hold (the API refuses it; a row written before it did) must not keep another's bytes.
    named = tx.blobs.named_by_data(IMAGE_DATA)
    for organization_id, params in tx.jobs.unfinished_params():
        for digest in _digests_in(params):
            if tx.blobs.holds(organization_id, digest):
                named.add(digest)
    parts: set[str] = set()
    for blob in store.stored(composites_only=True):
        if tx.blobs.referred(blob.digest) or blob.digest in named or blob.mtime >= written_before:
            parts.update(store.parts_of(blob.digest))  # parts are plain blobs
    return named | parts


#: Stored files looked up in the database at a time.
_SWEEP_BATCH: Final = 1000


def collect_garbage(
    db: Database,
    store: BlobStore,
    *,
    grace: timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
) -> GarbageReport:
    """Remove the grants, blob records and stored files that nothing needs and that are
    older than ``grace`` (see the module docstring); with ``dry_run``, only count them.

    Memory grows with what goes and with what only JSON or a composite keeps, not with
    what the rows refer to: the database tells what they do not refer to."""
    if grace < timedelta(0):
        raise ValueError("the grace period cannot be negative")
    cutoff = utcnow() - grace
    written_before = time.time() - grace.total_seconds()
    # A dry run only reads: it takes no write lock (SQLite's writers wait for a transaction).
    with db.read() if dry_run else db.transaction() as tx:
        protected = _protected(tx, store, written_before)
        unneeded_grants = [
            d for d in tx.blobs.unreferred_grants(before=cutoff) if d not in protected
        ]
        unneeded_blobs = [
            d for d in tx.blobs.unreferred_records(before=cutoff) if d not in protected
        ]
        if not dry_run:
            tx.blobs.delete_grants(sorted(set(unneeded_grants)), before=cutoff)
            tx.blobs.delete_records(unneeded_blobs)
    doomed = set(unneeded_blobs) if dry_run else set()  # recorded still, in a dry run
    files = freed = 0
    batch: list[StoredBlob] = []

    def sweep() -> None:
        nonlocal files, freed
        if not batch:
            return
        with db.read() as tx:
            recorded = tx.blobs.recorded([b.digest for b in batch])
        for blob in batch:
            if blob.digest in recorded and blob.digest not in doomed:
                continue
            removed = blob.size if dry_run else store.remove_stale(blob.digest, written_before)
            if removed is not None:
                files, freed = files + 1, freed + removed
        batch.clear()

    for blob in store.stored():
        if blob.mtime < written_before:
            batch.append(blob)
            if len(batch) >= _SWEEP_BATCH:
                sweep()
    sweep()
    temporary = 0
    if isinstance(store, LocalBlobStore):
        seconds = grace.total_seconds()
        temporary = (
            sum(1 for _ in store.temporary_files(seconds))
            if dry_run
            else store.sweep_temporary(seconds)
        )
    return GarbageReport(
        len(unneeded_grants), len(unneeded_blobs), files, freed, dry_run, temporary
    )
