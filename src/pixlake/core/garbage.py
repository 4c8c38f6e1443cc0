"""Garbage collection: removing the bytes that nothing refers to any more.

Deleting a picture, a network file or an experiment removes rows, never bytes: the same bytes
may be referenced elsewhere, by this organization or another (decision 0001).  This job
finds what nothing needs and removes it, in three steps:

1. *Grants* (``organization_blobs``: an organization sent these bytes) of bytes nothing
   needs.  Needed bytes keep every grant of them.
2. *Blob records* of bytes nothing needs and no organization holds any more.
3. *Files*: what the store holds without a blob record (those of step 2, and files left by
   an upload stopped between storing its bytes and recording them).

A blob is needed while any row refers to it (every foreign key to ``blobs.digest`` counts,
so a table added later is covered without change), while an experiment's image data names it
(its JSON holds the digest: ``IMAGE_DATA``), while a queued or running job names it in its
parameters (an import document), or while a needed composite blob lists it as a part.
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

from sqlalchemy import Column, delete, select
from sqlalchemy.orm import Session

from pixlake.store.blobs import BlobStore
from pixlake.store.blobs.base import DIGEST_RE
from pixlake.store.db.bulk import chunked
from pixlake.store.db.engine import Database
from pixlake.store.db.models import BlobRow, DataAssetRow, JobRow, OrganizationBlobRow
from pixlake.store.db.models.base import Base, utcnow

__all__ = ["DEFAULT_GRACE", "IMAGE_DATA", "GarbageReport", "collect_garbage"]

#: Nothing written more recently than this is removed.
DEFAULT_GRACE: Final = timedelta(hours=24)
#: Jobs whose parameters still matter.
_UNFINISHED: Final = ("queued", "running")
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


def _referring_columns() -> list[Column[Any]]:
    """Every column with a foreign key to ``blobs.digest``, but the grants'."""
    target = BlobRow.__table__.c.digest
    grants = OrganizationBlobRow.__table__
    return [
        fk.parent
        for table in Base.metadata.sorted_tables
        if table is not grants
        for fk in table.foreign_keys
        if fk.column is target
    ]


def _digests_in(value: Any) -> Iterator[str]:
    """The digests a job's parameters name, at any depth."""
    if isinstance(value, str):
        if DIGEST_RE.match(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _digests_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _digests_in(item)


def _needed(session: Session, store: BlobStore) -> set[str]:
    """The digests something needs (see the module docstring)."""
    needed: set[str] = set()
    for column in _referring_columns():
        needed.update(session.scalars(select(column).where(column.is_not(None)).distinct()))
    for data in session.scalars(select(DataAssetRow.data).where(DataAssetRow.type == IMAGE_DATA)):
        needed.update(_digests_in(data))
    for params in session.scalars(select(JobRow.params).where(JobRow.status.in_(_UNFINISHED))):
        needed.update(_digests_in(params))
    pending = list(needed)
    while pending:  # the parts of needed composites, and theirs
        for part in store.parts_of(pending.pop()):
            if part not in needed:
                needed.add(part)
                pending.append(part)
    return needed


def collect_garbage(
    db: Database,
    store: BlobStore,
    *,
    grace: timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
) -> GarbageReport:
    """Remove the grants, blob records and stored files that nothing needs and that are
    older than ``grace`` (see the module docstring); with ``dry_run``, only count them."""
    if grace < timedelta(0):
        raise ValueError("the grace period cannot be negative")
    cutoff = utcnow() - grace
    written_before = time.time() - grace.total_seconds()
    # A dry run only reads: it takes no write lock (SQLite's writers wait for a transaction).
    with db.read() if dry_run else db.transaction() as session:
        needed = _needed(session, store)
        old_grants = session.execute(
            select(OrganizationBlobRow.digest, OrganizationBlobRow.created_at)
        ).all()
        unneeded_grants = [d for d, created in old_grants if created < cutoff and d not in needed]
        still_held = {d for d, created in old_grants if created >= cutoff or d in needed}
        unneeded_blobs = [
            digest
            for digest in session.scalars(select(BlobRow.digest).where(BlobRow.created_at < cutoff))
            if digest not in needed and digest not in still_held
        ]
        if not dry_run:
            for part in chunked(sorted(set(unneeded_grants))):
                session.execute(
                    delete(OrganizationBlobRow).where(
                        OrganizationBlobRow.digest.in_(part),
                        OrganizationBlobRow.created_at < cutoff,
                    )
                )
            for part in chunked(unneeded_blobs):
                session.execute(delete(BlobRow).where(BlobRow.digest.in_(part)))
        recorded = set(session.scalars(select(BlobRow.digest)))
    if dry_run:
        recorded.difference_update(unneeded_blobs)
    files = freed = 0
    for blob in store.stored():
        if blob.digest in recorded or blob.mtime >= written_before:
            continue
        if dry_run:
            files, freed = files + 1, freed + blob.size
            continue
        removed = store.remove_stale(blob.digest, written_before)
        if removed is not None:
            files, freed = files + 1, freed + removed
    return GarbageReport(len(unneeded_grants), len(unneeded_blobs), files, freed, dry_run)
