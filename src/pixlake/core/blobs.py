"""Blobs: receiving bytes, telling what an organization lacks, reading them back.

Bytes are stored once for everybody, but an organization may reference or read a blob only
after it has sent those bytes itself (an ``organization_blobs`` grant).  Knowing a digest is
therefore never enough to read someone else's file, and ``missing`` answers for the caller's
organization only, so it reveals nothing about what other organizations hold.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from pixlake._text import count_is
from pixlake.core.accounts import require_organization
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import BlobEntity
from pixlake.errors import InvalidInputError, PayloadTooLargeError, ResourceNotFoundError
from pixlake.imaging import NotAnImageError, probe
from pixlake.store.blobs import BlobStore, BlobWriter, DigestMismatch, check_digest
from pixlake.store.blobs.local import AdoptionRefused, LocalBlobStore
from pixlake.store.db.engine import Database
from pixlake.store.db.unit_of_work import UnitOfWork
from pixlake.tarstream import TarFormatError, TooManyMembers, read_body

__all__ = [
    "BlobRejection",
    "adopt_files",
    "held",
    "join",
    "MAX_PROBE_BYTES",
    "compose",
    "describe",
    "describe_stored",
    "finish_upload",
    "missing",
    "open_blob",
    "receive_archive",
    "record",
    "require_held",
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
        raise InvalidInputError(f"{count_is(len(bad), 'digest')} malformed", details=bad)
    return out


def missing(
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    digests: Sequence[str],
) -> list[str]:
    """The digests, in the given order, whose bytes this organization has not sent yet."""
    require_organization(caller, organization_id, write=False)
    wanted = _checked_digests(digests)
    with db.read() as tx:
        held = tx.blobs.granted(organization_id, sorted(set(wanted)))
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


def record(db: Database, organization_id: uuid.UUID, *, blobs: Sequence[BlobEntity]) -> None:
    """Register stored bytes and grant them to the organization (idempotent)."""
    with db.transaction() as tx:
        tx.blobs.add(organization_id, blobs)


def finish_upload(
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
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
    record(db, organization_id, blobs=[entity])
    return entity


def _store_member(
    store: BlobStore,
    name: str,
    data: bytes,
    stored: list[BlobEntity],
    rejected: list[BlobRejection],
) -> None:
    try:
        info = store.put_bytes(data, name)
    except DigestMismatch as exc:
        rejected.append(BlobRejection(name, str(exc)))
        return
    stored.append(describe(info.digest, info.size, data))


def _too_many(max_items: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"more than {max_items} blobs in one request; send smaller batches")


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
        members = read_body(body, max_members=max_items)  # all counted before any is stored
    except TooManyMembers:
        raise _too_many(max_items) from None
    except TarFormatError as exc:
        raise InvalidInputError(
            f"the request body is {exc}",
            details=[{"field": "body", "message": "expected application/x-tar"}],
        ) from None
    for member in members:
        name = member.name
        try:
            check_digest(name)
        except ValueError:
            rejected.append(BlobRejection(name[:80], "member name is not a SHA-256 digest"))
            continue
        if not member.regular:
            rejected.append(BlobRejection(name, "member is not a regular file"))
        elif member.data is None:
            rejected.append(BlobRejection(name, "member is truncated"))
        else:
            _store_member(store, name, member.data, stored, rejected)
    record(db, organization_id, blobs=stored)
    return stored, rejected


def adopt_files(
    db: Database,
    store: LocalBlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    files: Sequence[tuple[str, str]],
    max_items: int,
    max_size: int,
) -> tuple[list[BlobEntity], list[BlobRejection]]:
    """Store blobs whose bytes a client on this machine wrote into the store, as
    ``(name, digest)`` pairs (see ``LocalBlobStore.adopt``): each verified on its own, a
    refused one reported by digest and the others kept, as for an archive."""
    require_organization(caller, organization_id, write=True)
    if len(files) > max_items:
        raise _too_many(max_items)
    stored: list[BlobEntity] = []
    rejected: list[BlobRejection] = []
    for name, digest in files:
        try:
            info, data = store.adopt(name, check_digest(digest), max_size)
        except (AdoptionRefused, DigestMismatch) as exc:
            rejected.append(BlobRejection(digest, str(exc)))
            continue
        stored.append(describe(info.digest, info.size, data))
    record(db, organization_id, blobs=stored)
    return stored, rejected


def require_held(
    tx: UnitOfWork, organization_id: uuid.UUID, digest: object, *, field: str = "sha256"
) -> str:
    """``digest``, checked, when the organization holds those bytes; else the
    ``InvalidInputError`` naming ``field``.  Every row, job or asset that names bytes by
    their digest goes through here first: knowing a digest is not holding the bytes."""
    try:
        checked = check_digest(digest if isinstance(digest, str) else "")
    except ValueError:
        raise InvalidInputError(
            f"{field}: expected a SHA-256 digest (64 lower-case hex characters)",
            details=[{"field": field, "message": "expected a SHA-256 digest"}],
        ) from None
    if not tx.blobs.holds(organization_id, checked):
        message = f"the bytes {checked[:12]}… were not uploaded first: send them to /blobs"
        raise InvalidInputError(
            f"{field}: {message}", details=[{"field": field, "message": message}]
        )
    return checked


def held(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, digests: Sequence[str]
) -> list[BlobEntity]:
    """The descriptions of blobs the organization holds, in the order asked; one
    ``ResourceNotFoundError`` lists every digest it does not hold."""
    require_organization(caller, organization_id, write=False)
    wanted = _checked_digests(digests)
    with db.read() as tx:
        found = tx.blobs.described(organization_id, sorted(set(wanted)))
    unknown = [d for d in wanted if d not in found]
    if unknown:
        raise ResourceNotFoundError(
            f"{count_is(len(unknown), 'blob')} not in this organization",
            details=[{"field": "digests", "message": f"no blob {d}"} for d in unknown[:50]],
        )
    return [found[d] for d in wanted]


def open_blob(
    db: Database, store: BlobStore, caller: Caller, organization_id: uuid.UUID, *, digest: str
) -> tuple[BlobEntity, BinaryIO]:
    """The description and bytes of a blob the organization holds."""
    require_organization(caller, organization_id, write=False)
    check_digest(digest)
    with db.read() as tx:
        entity = tx.blobs.description(organization_id, digest)
    if entity is None:
        raise ResourceNotFoundError(f"no blob {digest} in this organization")
    try:
        return entity, store.open(digest)
    except FileNotFoundError:
        raise ResourceNotFoundError(
            f"the bytes of blob {digest} are missing from storage; upload them again"
        ) from None


# --------------------------------------------------------------------------- compose

#: A composed blob is sniffed for an image type only up to this size (it is read whole),
#: and only when it starts like an image.
MAX_COMPOSE_PROBE_BYTES = 32 * 1024 * 1024
_IMAGE_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"RIFF",  # WebP
    b"BM",
    b"II*\x00",  # TIFF
    b"MM\x00*",
)


def _compose_problems(parts: Sequence[str], expected_digest: str) -> list[dict[str, str]]:
    problems = []
    for i, digest in enumerate(parts):
        try:
            check_digest(digest)
        except ValueError:
            problems.append(
                {"field": f"parts[{i}]", "message": "expected a SHA-256 digest (64 hex characters)"}
            )
    try:
        check_digest(expected_digest)
    except ValueError:
        problems.append(
            {"field": "sha256", "message": "expected a SHA-256 digest (64 hex characters)"}
        )
    return problems


def compose(
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    parts: Sequence[str],
    expected_digest: str,
    expected_size: int,
    max_parts: int,
    max_size: int,
) -> BlobEntity:
    """Concatenate part blobs the organization holds into one blob, in the order given.

    This is how large files travel: the client sends parts (each verified on arrival, so an
    interrupted upload resumes by sending the missing parts only), then composes them.  The
    parts are read one after the other in 1 MiB chunks, so memory stays bounded whatever the
    size, and the result is verified against ``expected_digest`` and ``expected_size`` before
    it gets its name: a wrong digest or size stores nothing.  A final blob the organization
    already holds is returned at once.  Parts stay ordinary blobs (collected later, like any
    blob nothing references).
    """
    require_organization(caller, organization_id, write=True)
    _check_compose_request(parts, expected_digest, expected_size, max_parts, max_size)
    with db.read() as tx:
        described = tx.blobs.described(organization_id, sorted({*parts, expected_digest}))
    held = {digest: blob.size for digest, blob in described.items()}
    if expected_digest in held and store.exists(expected_digest):
        final = held[expected_digest]
        if final != expected_size:
            raise InvalidInputError(
                f"blob {expected_digest} is {final} bytes, not the announced {expected_size}",
                details=[{"field": "size", "message": f"expected {final}"}],
            )
        return described[expected_digest]
    _check_parts(store, parts, held, expected_size)
    try:
        info = store.compose(parts, expected_digest)
    except FileNotFoundError as exc:
        raise InvalidInputError(
            f"a part's bytes are missing from storage ({exc.filename}); upload it again",
            details=[{"field": "parts", "message": "every part must be a blob sent with PUT"}],
        ) from None
    except DigestMismatch as exc:
        raise InvalidInputError(
            f"compose into {expected_digest} refused: {exc}",
            details=[{"field": "sha256", "message": str(exc)}],
        ) from None
    entity = describe(info.digest, info.size, _image_head(store, info.digest, info.size))
    record(db, organization_id, blobs=[entity])
    return entity


def join(
    db: Database, store: BlobStore, organization_id: uuid.UUID, *, parts: Sequence[str]
) -> BlobEntity:
    """Concatenate part blobs, which the organization holds, into the blob they make, named
    by the digest of their bytes joined (computed as they are read, once): the composing of
    a client that knows its parts but not the whole (S3's multipart upload)."""
    with db.read() as tx:
        held = set(tx.blobs.described(organization_id, sorted(set(parts))))
    if lacking := sorted(set(parts) - held):
        raise ResourceNotFoundError(f"parts not received: {', '.join(lacking[:5])}")
    try:
        info = store.compose(parts)
    except FileNotFoundError as exc:
        raise InvalidInputError(
            f"a part's bytes are missing from storage ({exc.filename}); upload it again",
            details=[{"field": "parts", "message": "every part must be sent again"}],
        ) from None
    entity = describe_stored(store, info.digest, info.size)
    record(db, organization_id, blobs=[entity])
    return entity


def describe_stored(store: BlobStore, digest: str, size: int) -> BlobEntity:
    """What bytes just stored are (an image's type and pixel size), reading them whole only
    when they start as an image does and are small enough to be one."""
    return describe(digest, size, _image_head(store, digest, size))


def _check_compose_request(
    parts: Sequence[str], expected_digest: str, expected_size: int, max_parts: int, max_size: int
) -> None:
    """Refuse a compose request that is wrong whatever the organization holds."""
    if not parts:
        raise InvalidInputError(
            "compose needs at least one part",
            details=[{"field": "parts", "message": "expected a non-empty list of digests"}],
        )
    if len(parts) > max_parts:
        raise PayloadTooLargeError(
            f"{len(parts)} parts in one compose; use at most {max_parts} (larger parts)"
        )
    problems = _compose_problems(parts, expected_digest)
    if problems:
        raise InvalidInputError(f"{count_is(len(problems), 'digest')} malformed", details=problems)
    if expected_size < 0:
        raise InvalidInputError(
            f"size {expected_size} is negative",
            details=[{"field": "size", "message": "expected the final size in bytes, >= 0"}],
        )
    if expected_size > max_size:
        raise PayloadTooLargeError(
            f"the blob would be {expected_size} bytes, over the limit of {max_size} bytes"
        )


def _check_parts(
    store: BlobStore, parts: Sequence[str], held: dict[str, int], expected_size: int
) -> None:
    """Refuse parts the organization does not hold (``held``: digest to size), whose sizes
    do not add up to ``expected_size``, or whose bytes are not in ``store``."""
    absent = [
        {"field": f"parts[{i}]", "message": f"no blob {d} in this organization: PUT it first"}
        for i, d in enumerate(parts)
        if d not in held
    ]
    if absent:
        raise InvalidInputError(
            f"{len(absent)} of {len(parts)} parts were not uploaded first", details=absent
        )
    total = sum(held[d] for d in parts)
    if total != expected_size:
        raise InvalidInputError(
            f"the parts add up to {total} bytes, not the announced {expected_size}",
            details=[{"field": "size", "message": f"the parts hold {total} bytes"}],
        )
    gone = [(i, d) for i, d in enumerate(parts) if not store.exists(d)]
    if gone:
        raise InvalidInputError(
            f"the bytes of {len(gone)} parts are missing from storage; upload them again",
            details=[
                {"field": f"parts[{i}]", "message": f"bytes of {d} missing from storage"}
                for i, d in gone
            ],
        )


def _image_head(store: BlobStore, digest: str, size: int) -> bytes | None:
    """The bytes of a composed blob for :func:`describe` to probe: all of them for a small
    enough image, else none."""
    if size > MAX_COMPOSE_PROBE_BYTES:
        return None
    with store.open(digest) as f:
        if f.read(16).startswith(_IMAGE_SIGNATURES):  # read it whole only for an image
            f.seek(0)
            return f.read()
    return None
