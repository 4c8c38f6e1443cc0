"""Object storage for clients written for S3: keys, signed URLs and multipart uploads.

The upstream Picsellia client never sends bytes to the API: it asks for a signed URL for a
key it chose (``<uuid>.jpg`` for a picture, ``<experiment_id>/best.pt`` for a file), sends
the bytes there without its token, then names the key in an API call. Here those URLs are
served by pixlake over the blob store (``docs/decisions/0030``):

- a **ticket** is one signed URL: one method (download, form upload, part upload) on one
  object of one organization, up to a size, for :data:`URL_LIFETIME`, **used once**. The URL
  carries a random token; the database keeps its SHA-256, so a URL changed in any way is
  unknown, and a URL used or expired is refused;
- bytes still land content-addressed, verified and deduplicated in the blob store, granted
  to the organization that owns the key, and the key is recorded as naming them
  (``storage_objects``), so the API call that follows finds them by key;
- a key is signed only under a prefix the caller owns: a bare name (a picture, of the
  caller's organization) or ``<id>/...`` where ``id`` is one of its experiments or a network
  it may write (or read, to download); never with ``..``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO, Final

from pixlake.clock import utcnow
from pixlake.core import blobs
from pixlake.core.accounts import require_organization
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import BlobEntity
from pixlake.entities.storage import Bucket, Method, StoredObject, Ticket, Upload
from pixlake.errors import (
    ForbiddenError,
    InvalidInputError,
    PayloadTooLargeError,
    ResourceNotFoundError,
)
from pixlake.store.blobs import BlobStore, BlobWriter
from pixlake.store.db.engine import Database
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = [
    "MAX_PARTS",
    "URL_LIFETIME",
    "Grant",
    "check_key",
    "complete_upload",
    "open_download",
    "owner_of",
    "receive_form",
    "receive_part",
    "sign_download",
    "sign_downloads",
    "sign_part",
    "sign_upload",
    "start_upload",
    "ticket_for",
    "uploaded",
]

#: How long a signed URL, and a multipart upload, may be used.
URL_LIFETIME: Final = timedelta(hours=1)
#: Parts of one multipart upload (S3's limit).
MAX_PARTS: Final = 10_000
_MAX_KEY = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


@dataclass(frozen=True, slots=True)
class Grant:
    """A signed URL: its token (for the URL, shown once) and what it allows."""

    token: str
    ticket: Ticket


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _bad(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", details=[{"field": field, "message": message}])


def check_key(key: object, field: str = "object_name") -> str:
    """An object key as a client may name one: relative, ``/``-separated, no ``..``."""
    if not isinstance(key, str) or not key:
        raise _bad(field, "expected an object key, such as '<experiment id>/model.pt'")
    if len(key) > _MAX_KEY:
        raise _bad(field, f"an object key is at most {_MAX_KEY} characters")
    if _CONTROL.search(key) or "\\" in key:
        raise _bad(field, "an object key has no control characters and no backslash")
    if key.startswith("/") or any(part in ("..", ".") for part in key.split("/")):
        raise _bad(field, "an object key is relative and has no '.' or '..' segment")
    return key


def owner_of(tx: UnitOfWork, caller: Caller, bucket: Bucket, key: str, *, write: bool) -> uuid.UUID:
    """The organization whose object ``key`` is, when the caller may write (or read) it.

    A bare name in the datalake bucket is a picture's, of the caller's organization; any
    other key starts with the id of an experiment of one of the caller's organizations or
    of a network it may write (read, for a download). Anything else is not found, as an id
    that does not exist is."""
    first, slash, _rest = key.partition("/")
    if not slash:
        if bucket != "datalake":
            raise _bad("object_name", "expected '<experiment or network id>/<file name>'")
        organization_id = caller.default_organization.id
        require_organization(caller, organization_id, write=write)
        return organization_id
    if _UUID.match(first):
        owner = uuid.UUID(first)
        if bucket == "models":
            for organization_id in caller.memberships:
                if tx.experiments.find(organization_id, owner) is not None:
                    require_organization(caller, organization_id, write=write)
                    return organization_id
        network = tx.networks.by_id(owner)
        if network is not None:
            member = caller.role_in(network.organization_id) is not None
            if member or (not write and not network.private):
                if write:
                    if not member:
                        raise ForbiddenError("a public network is read-only to other organizations")
                    require_organization(caller, network.organization_id, write=True)
                return network.organization_id
    raise ResourceNotFoundError(
        f"no experiment or network {first!r} among yours: an object key starts with the id "
        "of one of them"
    )


def _tickets(tx: UnitOfWork, tickets: Sequence[Ticket], *, purge: bool = True) -> list[Grant]:
    if purge:
        tx.storage.purge(now=utcnow())
    grants = [Grant(secrets.token_urlsafe(32), t) for t in tickets]
    tx.storage.add_tickets([(_hash(g.token), g.ticket) for g in grants])
    return grants


def sign_upload(db: Database, caller: Caller, *, bucket: Bucket, key: str, max_size: int) -> Grant:
    """A URL to upload ``key`` by form (S3's presigned POST), once, up to ``max_size``."""
    key = check_key(key)
    with db.transaction() as tx:
        owner = owner_of(tx, caller, bucket, key, write=True)
        ticket = Ticket("POST", owner, bucket, key, utcnow() + URL_LIFETIME, max_size=max_size)
        return _tickets(tx, [ticket])[0]


def ticket_for(db: Database, token: str, method: Method) -> Ticket:
    """The ticket of a storage URL, before its bytes are read: one not used or expired, for
    this method. Anything else is refused alike, saying why it may be."""
    with db.read() as tx:
        ticket = tx.storage.ticket(_hash(token), now=utcnow())
    if ticket is None or ticket.method != method:
        raise ForbiddenError(
            "this storage URL is not valid: it expired, was used already or was altered; "
            "ask for a new one"
        )
    return ticket


def _stored(
    db: Database,
    store: BlobStore,
    token: str,
    ticket: Ticket,
    writer: BlobWriter,
    *,
    record: Callable[[UnitOfWork, BlobEntity], None],
) -> BlobEntity:
    """Store the bytes written for a ticket: the bytes first, then in one transaction the
    ticket used, the blob granted to its organization and what ``record`` adds. A ticket
    used (or expired) since it was found records nothing: using it is the statement that
    checks it again. The writer is aborted unless it was committed."""
    try:
        if ticket.max_size is not None and writer.size > ticket.max_size:
            raise PayloadTooLargeError(
                f"the object is over this URL's limit of {ticket.max_size} bytes"
            )
        info = writer.commit()
    finally:
        writer.abort()
    entity = blobs.describe_stored(store, info.digest, info.size)
    with db.transaction() as tx:
        tx.blobs.add(ticket.organization_id, [entity])
        if not tx.storage.use_ticket(
            _hash(token), now=utcnow(), digest=entity.digest, size=entity.size
        ):
            raise ForbiddenError("this storage URL was used meanwhile; ask for a new one")
        record(tx, entity)
    return entity


def receive_form(
    db: Database, store: BlobStore, *, token: str, ticket: Ticket, key: str, source: BinaryIO
) -> BlobEntity:
    """The bytes of a form upload, for the ticket :func:`ticket_for` found for ``token``
    (``key`` is the form's field, which must be the URL's)."""
    if ticket.method != "POST":
        raise ForbiddenError("this storage URL does not take a form")
    if key != ticket.key:
        raise _bad("key", f"this URL uploads {ticket.key!r}, not {key!r}")
    writer = store.writer()
    try:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            writer.write(chunk)
            if ticket.max_size is not None and writer.size > ticket.max_size:
                break  # refused by _stored, without reading the rest
    except BaseException:
        writer.abort()
        raise

    def record(tx: UnitOfWork, entity: BlobEntity) -> None:
        stored = StoredObject(entity.digest, entity.size)
        tx.storage.put_object(
            ticket.organization_id, ticket.bucket, ticket.key, stored, at=utcnow()
        )

    return _stored(db, store, token, ticket, writer, record=record)


def start_upload(db: Database, caller: Caller, *, key: str, bucket: Bucket = "models") -> Upload:
    """Begin a multipart upload of ``key`` (S3's ``CreateMultipartUpload``)."""
    key = check_key(key)
    with db.transaction() as tx:
        owner = owner_of(tx, caller, bucket, key, write=True)
        upload = Upload(uuid.uuid4(), owner, bucket, key, utcnow() + URL_LIFETIME)
        tx.storage.add_upload(upload, at=utcnow())
        return upload


def _upload(tx: UnitOfWork, caller: Caller, upload_id: object, key: str) -> Upload:
    try:
        parsed = uuid.UUID(str(upload_id))
    except ValueError:
        raise _bad("upload_id", "expected the upload_id that init_multipart_upload gave") from None
    upload = tx.storage.upload(parsed, now=utcnow())
    if upload is None or caller.role_in(upload.organization_id) is None:
        raise ResourceNotFoundError(
            f"no multipart upload {upload_id} under way (they last an hour)"
        )
    require_organization(caller, upload.organization_id, write=True)
    if key != upload.key:
        raise _bad("object_name", f"upload {upload_id} is of {upload.key!r}, not {key!r}")
    return upload


def sign_part(
    db: Database, caller: Caller, *, upload_id: object, key: str, part_no: object, max_size: int
) -> Grant:
    """A URL to upload part ``part_no`` (1 to :data:`MAX_PARTS`) of a multipart upload."""
    if isinstance(part_no, bool) or not isinstance(part_no, int) or not 1 <= part_no <= MAX_PARTS:
        raise _bad("part_no", f"expected a part number from 1 to {MAX_PARTS}")
    with db.transaction() as tx:
        upload = _upload(tx, caller, upload_id, key)
        ticket = Ticket(
            "PUT",
            upload.organization_id,
            upload.bucket,
            upload.key,
            upload.expires_at,
            max_size=max_size,
            upload_id=upload.id,
            part_no=part_no,
        )
        # expired tickets go when uploads start and URLs are signed, not once per part
        return _tickets(tx, [ticket], purge=False)[0]


def receive_part(
    db: Database, store: BlobStore, *, token: str, ticket: Ticket, writer: BlobWriter
) -> BlobEntity:
    """The bytes of one part, written into ``writer``, for the ticket :func:`ticket_for`
    found for ``token``; their digest is the part's ``ETag``."""
    if ticket.method != "PUT":
        raise ForbiddenError("this storage URL does not take a part")
    return _stored(db, store, token, ticket, writer, record=lambda _tx, _entity: None)


def complete_upload(
    db: Database,
    store: BlobStore,
    caller: Caller,
    *,
    upload_id: object,
    key: str,
    parts: Sequence[tuple[int, str]],
    max_size: int,
) -> BlobEntity:
    """Join the parts, by number, into the object (S3's ``CompleteMultipartUpload``):
    ``parts`` are ``(part number, ETag)``, numbered from 1 on, each as its upload answered."""
    with db.read() as tx:
        upload = _upload(tx, caller, upload_id, key)
        received = tx.storage.parts(upload.id)
    if not parts:
        raise _bad("parts", "expected the parts sent, as [{'ETag': ..., 'PartNumber': 1}, ...]")
    digests: list[str] = []
    size = 0
    for position, (number, etag) in enumerate(parts, start=1):
        if number != position:
            raise _bad("parts", f"expected part {position} in position {position}, not {number}")
        part = received.get(number)
        if part is None or etag.strip('"') != part.digest:
            raise _bad("parts", f"part {number} was not received with ETag {etag}; send it again")
        size += part.size
        if part.size:
            digests.append(part.digest)
    if size > max_size:
        raise PayloadTooLargeError(f"the object is {size} bytes, over the limit of {max_size}")
    if len(digests) == 1:
        with db.read() as tx:
            entity = tx.blobs.get(digests[0])
    elif digests:
        entity = blobs.join(db, store, upload.organization_id, parts=digests)
    else:
        info = store.put_bytes(b"")
        entity = blobs.describe_stored(store, info.digest, info.size)
    with db.transaction() as tx:
        tx.blobs.add(upload.organization_id, [entity])
        stored = StoredObject(entity.digest, entity.size)
        tx.storage.put_object(
            upload.organization_id, upload.bucket, upload.key, stored, at=utcnow()
        )
        tx.storage.delete_upload(upload.id)
    return entity


def uploaded(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, bucket: Bucket, key: str
) -> StoredObject:
    """The bytes the caller sent under ``key``, now held by ``organization_id``: the object
    of that organization, or (a picture's key is signed for the caller's default
    organization) of another of the caller's, whose bytes the caller sent just as well."""
    key = check_key(key)
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        found = tx.storage.object(organization_id, bucket, key)
        if found is not None:
            return found
        for other in caller.memberships:
            found = tx.storage.object(other, bucket, key) if other != organization_id else None
            if found is not None:
                tx.blobs.grant(organization_id, found.digest)
                tx.storage.put_object(organization_id, bucket, key, found, at=utcnow())
                return found
    raise ResourceNotFoundError(
        f"nothing was uploaded under {key!r}: upload the bytes to a URL from "
        "generate_presigned_url first"
    )


def sign_download(
    db: Database,
    caller: Caller,
    *,
    bucket: Bucket,
    key: str,
    resolve: Callable[[UnitOfWork, uuid.UUID, str], StoredObject | None] | None = None,
) -> Grant:
    """A URL to download ``key`` once. The key names what was uploaded under it, or what
    ``resolve`` finds for it among the records (a file stored through pixlake's own API)."""
    key = check_key(key)
    with db.transaction() as tx:
        owner = owner_of(tx, caller, bucket, key, write=False)
        found = tx.storage.object(owner, bucket, key)
        if found is None and resolve is not None:
            found = resolve(tx, owner, key)
        if found is None:
            raise ResourceNotFoundError(f"no object {key!r}")
        ticket = Ticket("GET", owner, bucket, key, utcnow() + URL_LIFETIME, digest=found.digest)
        return _tickets(tx, [ticket])[0]


def sign_downloads(
    db: Database, organization_id: uuid.UUID, objects: Sequence[tuple[str, str]]
) -> list[Grant]:
    """URLs to download objects ``(key, digest)`` of the organization that a service has
    just shown the caller (a dataset's pictures): one each, in one statement."""
    now = utcnow()
    with db.transaction() as tx:
        return _tickets(
            tx,
            [
                Ticket("GET", organization_id, "datalake", key, now + URL_LIFETIME, digest=digest)
                for key, digest in objects
            ],
        )


def open_download(db: Database, store: BlobStore, *, token: str) -> tuple[BlobEntity, BinaryIO]:
    """The bytes a download URL names, the URL used."""
    ticket = ticket_for(db, token, "GET")
    assert ticket.digest is not None
    with db.transaction() as tx:
        if not tx.storage.use_ticket(_hash(token), now=utcnow()):
            raise ForbiddenError("this storage URL was used meanwhile; ask for a new one")
        entity = tx.blobs.get(ticket.digest)
    try:
        return entity, store.open(ticket.digest)
    except FileNotFoundError:
        raise ResourceNotFoundError(
            f"the bytes of {ticket.key!r} are missing from storage"
        ) from None
