"""Reading a version for an export: its files, then its pictures with their annotations a
page at a time; and keeping a snapshot of it as a blob, for a client to download."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator

from pixlake.core import blobs
from pixlake.core.accounts import require_organization
from pixlake.core.datasets._rules import require_status
from pixlake.core.datasets._versions import version_by_id
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import BlobEntity
from pixlake.entities.datasets import ExportItem
from pixlake.store.blobs import BlobStore
from pixlake.store.db.engine import Database

__all__ = ["iter_export", "store_snapshot", "version_files"]

#: What a snapshot is stored as.
SNAPSHOT_MEDIA_TYPE = "application/json"


def iter_export(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    page: int = 500,
    first_page: int | None = None,
    status: str | None = None,
) -> Iterator[list[ExportItem]]:
    """The version's pictures with their annotations, ``page`` at a time (``first_page``
    the first time, when given), in picture order; each page is one short read (plain
    columns, JSON decoded in bulk).  With ``status``, only the pictures whose annotation
    has that review status."""
    require_organization(caller, organization_id, write=False)
    after = 0
    size = first_page or page
    while True:
        with db.read() as tx:
            # Each page finds the version again: one deleted meanwhile is an error, not an end.
            version_pk = version_by_id(tx, organization_id, version_id).pk
            items, last = tx.datasets.export_page(
                version_pk, after=after, limit=size, status=status
            )
        if last is None:
            return
        yield items
        after, size = last, page


def version_files(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    status: str | None = None,
) -> list[tuple[str, str, str | None]]:
    """The file name, digest and split of every picture of a version (with ``status``, of
    those whose annotation has that review status), in picture order."""
    require_organization(caller, organization_id, write=False)
    require_status(status)
    with db.read() as tx:
        version_pk = version_by_id(tx, organization_id, version_id).pk
        return tx.datasets.files(version_pk, status=status)


def store_snapshot(
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    chunks: Iterable[bytes],
) -> BlobEntity:
    """Store ``chunks``, a document written from the version (its annotations, for a
    client that downloads them as one file), as a blob granted to the organization: a
    signed URL can then hand it out, and the garbage collection removes it a day later,
    as it does an export's zip."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        version_by_id(tx, organization_id, version_id)
    writer = store.writer()
    try:
        for chunk in chunks:
            writer.write(chunk)
        info = writer.commit()
    except BaseException:
        writer.abort()
        raise
    entity = BlobEntity(info.digest, info.size, SNAPSHOT_MEDIA_TYPE, None, None)
    blobs.record(db, organization_id, blobs=[entity])
    return entity
