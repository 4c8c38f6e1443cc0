"""Blobs: receiving bytes, telling what an organization lacks, reading them back.

Bytes are stored once for everybody, but an organization may reference or read a blob only
after it has sent those bytes itself (an ``organization_blobs`` grant).  Knowing a digest is
therefore never enough to read someone else's file, and ``missing`` answers for the caller's
organization only, so it reveals nothing about what other organizations hold.
"""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select

from pixlake.core.accounts import require_organization
from pixlake.core.entities import BlobEntity, Caller
from pixlake.errors import InvalidInputError, PayloadTooLargeError, ResourceNotFoundError
from pixlake.imaging import NotAnImageError, probe
from pixlake.store.blobs import BlobStore, BlobWriter, DigestMismatch, check_digest
from pixlake.store.db.bulk import chunked, insert_ignore
from pixlake.store.db.engine import Database
from pixlake.store.db.models import BlobRow, OrganizationBlobRow

__all__ = [
    "BlobRejection",
    "MAX_PROBE_BYTES",
    "describe",
    "finish_upload",
    "missing",
    "open_blob",
    "receive_archive",
    "record",
]

#: Blobs up to this size are sniffed for an image type and pixel size when they arrive.
MAX_PROBE_BYTES = 256 * 1024 * 1024
OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class BlobRejection:
    digest: str
    reason: str


def _checked_digests(digests: Iterable[str]) -> list[str]:
    out: list[str] = []
    bad: list[dict[str, str]] = []
    for i, digest in enumerate(digests):
        try:
            out.append(check_digest(digest))
        except ValueError:
            bad.append(
                {
                    "field": f"digests[{i}]",
                    "message": "expected a SHA-256 digest: 64 lower-case hex characters",
                }
            )
    if bad:
        raise InvalidInputError(f"{len(bad)} digests are malformed", details=bad)
    return out


def missing(
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    digests: Sequence[str],
) -> list[str]:
    """The digests, in the given order, whose bytes this organization has not sent yet."""
    require_organization(caller, organization_id, write=False)
    wanted = _checked_digests(digests)
    held: set[str] = set()
    with db.read() as session:
        for part in chunked(sorted(set(wanted))):
            held.update(
                session.scalars(
                    select(OrganizationBlobRow.digest).where(
                        OrganizationBlobRow.organization_id == organization_id,
                        OrganizationBlobRow.digest.in_(part),
                    )
                )
            )
    # A grant whose bytes vanished from the store (lost disk, manual deletion) is re-requested.
    held -= store.missing(held)
    seen: set[str] = set()
    out = []
    for digest in wanted:
        if digest not in held and digest not in seen:
            seen.add(digest)
            out.append(digest)
    return out


def describe(digest: str, size: int, head: bytes | None) -> BlobEntity:
    """A blob's description: an image's type and size when the bytes are one."""
    if head is not None:
        try:
            info = probe(head)
        except NotAnImageError:
            pass
        else:
            return BlobEntity(digest, size, info.media_type, info.width, info.height)
    return BlobEntity(digest, size, OCTET_STREAM, None, None)


def record(db: Database, organization_id: uuid.UUID, blobs: Sequence[BlobEntity]) -> None:
    """Register stored bytes and grant them to the organization (idempotent)."""
    with db.transaction() as session:
        insert_ignore(
            session,
            BlobRow.__table__,  # type: ignore[arg-type]
            [
                {
                    "digest": b.digest,
                    "size": b.size,
                    "media_type": b.media_type,
                    "width": b.width,
                    "height": b.height,
                }
                for b in blobs
            ],
        )
        insert_ignore(
            session,
            OrganizationBlobRow.__table__,  # type: ignore[arg-type]
            [{"organization_id": organization_id, "digest": b.digest} for b in blobs],
        )


def finish_upload(
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    writer: BlobWriter,
    expected_digest: str,
) -> BlobEntity:
    """Verify and publish a streamed upload, then record it.  A mismatch stores nothing."""
    require_organization(caller, organization_id, write=True)
    try:
        info = writer.commit(expected_digest)
    except DigestMismatch as exc:
        raise InvalidInputError(
            f"upload of {expected_digest} refused: {exc}",
            details=[{"field": "body", "message": str(exc)}],
        ) from None
    head: bytes | None = None
    if info.size <= MAX_PROBE_BYTES:
        with store.open(info.digest) as f:
            head = f.read()
    entity = describe(info.digest, info.size, head)
    record(db, organization_id, [entity])
    return entity


def receive_archive(
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    body: bytes,
    *,
    max_items: int,
) -> tuple[list[BlobEntity], list[BlobRejection]]:
    """Store many small blobs sent as one uncompressed tar, each member named by its digest.

    Each member is verified on its own: a corrupt member is rejected by digest and the others
    are kept.  Only regular files named by a SHA-256 digest are accepted.
    """
    require_organization(caller, organization_id, write=True)
    stored: list[BlobEntity] = []
    rejected: list[BlobRejection] = []
    try:
        archive = tarfile.open(fileobj=io.BytesIO(body), mode="r:")
    except tarfile.TarError as exc:
        raise InvalidInputError(
            f"the request body is not an uncompressed tar archive ({exc})",
            details=[{"field": "body", "message": "expected application/x-tar"}],
        ) from None
    with archive:
        for count, member in enumerate(archive, start=1):
            if count > max_items:
                raise PayloadTooLargeError(
                    f"more than {max_items} blobs in one request; send smaller batches"
                )
            name = member.name
            try:
                check_digest(name)
            except ValueError:
                rejected.append(BlobRejection(name[:80], "member name is not a SHA-256 digest"))
                continue
            if not member.isreg():
                rejected.append(BlobRejection(name, "member is not a regular file"))
                continue
            extracted = archive.extractfile(member)
            assert extracted is not None  # regular files always extract
            data = extracted.read()
            writer = store.writer()
            try:
                writer.write(data)
                info = writer.commit(name)
            except DigestMismatch as exc:
                rejected.append(BlobRejection(name, str(exc)))
                continue
            except BaseException:
                writer.abort()
                raise
            stored.append(describe(info.digest, info.size, data))
    record(db, organization_id, stored)
    return stored, rejected


def open_blob(
    db: Database, store: BlobStore, caller: Caller, organization_id: uuid.UUID, digest: str
) -> tuple[BlobEntity, BinaryIO]:
    """The description and bytes of a blob the organization holds."""
    require_organization(caller, organization_id, write=False)
    check_digest(digest)
    with db.read() as session:
        row = session.execute(
            select(BlobRow)
            .join(OrganizationBlobRow, OrganizationBlobRow.digest == BlobRow.digest)
            .where(
                OrganizationBlobRow.organization_id == organization_id,
                BlobRow.digest == digest,
            )
        ).scalar_one_or_none()
        if row is None:
            raise ResourceNotFoundError(f"no blob {digest} in this organization")
        entity = BlobEntity(row.digest, row.size, row.media_type, row.width, row.height)
    try:
        return entity, store.open(digest)
    except FileNotFoundError:
        raise ResourceNotFoundError(
            f"the bytes of blob {digest} are missing from storage; upload them again"
        ) from None
