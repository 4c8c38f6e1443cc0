"""Networks: the model registry of each organization, and the public hub.

A network is named uniquely within its organization.  It records a type, a framework, tags,
a description, a markdown readme, base parameters, a label map (indexes as strings, from
"1", consecutive), stored files (names mapped to blobs) and a thumbnail made by the server.

Visibility: members of the owning organization read it; when it is public (``private``
false) every authenticated user reads it too, read-only.  A write by a non-member is
refused with ``ForbiddenError`` when the network is public and ``ResourceNotFoundError``
when it is private, so that a private network's existence never leaks.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from PIL import Image, ImageOps
from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from pixlake._text import count_is
from pixlake.core import blobs
from pixlake.core.accounts import require_organization
from pixlake.core.pagination import decode_cursor, encode_cursor
from pixlake.entities.accounts import Caller, Organization
from pixlake.entities.datalake import BlobEntity
from pixlake.errors import (
    AlreadyExistsError,
    ForbiddenError,
    InvalidInputError,
    ResourceNotFoundError,
)
from pixlake.imaging import NotAnImageError, probe
from pixlake.names import file_name_problem
from pixlake.schemas.networks import check_labels
from pixlake.store.blobs import BlobStore, check_digest
from pixlake.store.db.bulk import chunked
from pixlake.store.db.engine import Database
from pixlake.store.db.models import (
    BlobRow,
    NetworkFileRow,
    NetworkRow,
    NetworkTagRow,
    OrganizationRow,
    UserRow,
    utcnow,
)

__all__ = [
    "MAX_THUMBNAIL_BYTES",
    "RESERVED_FILES",
    "THUMBNAIL_SIZE",
    "Network",
    "check_name",
    "NetworkChanges",
    "NetworkFile",
    "NetworkPage",
    "Owner",
    "check_labels",
    "create_network",
    "delete_network",
    "get_network",
    "hub_networks",
    "hub_organization",
    "list_networks",
    "object_name",
    "open_file",
    "open_thumbnail",
    "set_thumbnail",
    "store_file",
    "update_network",
]

#: The contract's reserved file names; ``model-latest`` is keyed under a ``0/`` sub-key.
RESERVED_FILES = ("model-latest", "config", "checkpoint-data-latest", "checkpoint-index-latest")
#: A thumbnail's source image must be smaller than this.
MAX_THUMBNAIL_BYTES = 5 * 1024 * 1024
#: Largest side of the thumbnail the server makes.
THUMBNAIL_SIZE = (256, 256)
#: Source images with more pixels are refused (decoding them would take too much memory).
MAX_THUMBNAIL_PIXELS = 64_000_000

MAX_NAME = 100
MAX_TYPE = 100
MAX_FRAMEWORK = 100
MAX_TAG = 100
MAX_TAGS = 100
MAX_DESCRIPTION = 10_000
MAX_README = 1_000_000
MAX_PARAMETERS_JSON = 1_000_000


# --------------------------------------------------------------------------- entities


@dataclass(frozen=True, slots=True)
class Owner:
    id: uuid.UUID
    username: str


@dataclass(frozen=True, slots=True)
class NetworkFile:
    name: str
    object_name: str
    digest: str
    size: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Network:
    id: uuid.UUID
    organization: Organization
    owner: Owner | None
    name: str
    type: str
    framework: str
    private: bool
    description: str
    readme_text: str
    tags: tuple[str, ...]
    labels: dict[str, str]
    base_parameters: dict[str, Any]
    files: tuple[NetworkFile, ...]
    thumbnail_digest: str | None
    thumbnail_original_digest: str | None
    thumb_object_name: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NetworkPage:
    data: list[Network]
    count: int
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class NetworkChanges:
    """The fields an update may change; ``None`` leaves a field as it is."""

    network_name: str | None = None
    type: str | None = None
    framework: str | None = None
    private: bool | None = None
    description: str | None = None
    readme_text: str | None = None
    tag: Sequence[str] | None = None
    labels: Mapping[str, Any] | None = None
    base_parameters: Mapping[str, Any] | None = None


def object_name(network_id: uuid.UUID, name: str) -> str:
    """The contract's object key of a stored file: ``<network_id>/<name>``, and
    ``<network_id>/0/<name>`` for ``model-latest``."""
    return f"{network_id}/0/{name}" if name == "model-latest" else f"{network_id}/{name}"


# --------------------------------------------------------------------------- validation


def _invalid(field: str, message: str, value: object = None) -> InvalidInputError:
    shown = f" {str(value)[:80]!r}" if isinstance(value, str) else ""
    return InvalidInputError(
        f"{field}{shown}: {message}", details=[{"field": field, "message": message}]
    )


def _has_control(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def check_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise _invalid(field, "expected a non-empty network name, e.g. 'yolo-cars'")
    if name != name.strip():
        raise _invalid(field, "the name starts or ends with white space", name)
    if len(name) > MAX_NAME:
        raise _invalid(field, f"the name is longer than {MAX_NAME} characters", name)
    if "/" in name or "\\" in name or _has_control(name):
        raise _invalid(field, "the name contains '/', '\\' or a control character", name)
    if _is_uuid(name):
        raise _invalid(field, "the name looks like an id (a UUID); choose another", name)
    return name


def _check_text(value: object, field: str, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise _invalid(field, f"expected a string, not {type(value).__name__}")
    if required and not value.strip():
        raise _invalid(field, f"{field} is empty; expected a value, e.g. 'detection'")
    if len(value) > limit:
        raise _invalid(field, f"longer than {limit} characters")
    return value


def _check_type(value: object, field: str = "type") -> str:
    text = _check_text(value, field, MAX_TYPE, required=True)
    if _has_control(text):
        raise _invalid(field, "contains a control character", text)
    return text


def _check_framework(value: object) -> str:
    text = _check_text(value, "framework", MAX_FRAMEWORK)
    if _has_control(text):
        raise _invalid("framework", "contains a control character", text)
    return text


def _check_tags(tags: object) -> list[str]:
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise _invalid("tag", "expected a list of strings")
    clean: list[str] = []
    problems = []
    for i, tag in enumerate(tags):
        if not isinstance(tag, str) or not tag.strip() or len(tag) > MAX_TAG or _has_control(tag):
            problems.append(
                {"field": f"tag[{i}]", "message": f"expected a tag of 1 to {MAX_TAG} characters"}
            )
        elif tag not in clean:
            clean.append(tag)
    if problems:
        raise InvalidInputError(f"{count_is(len(problems), 'tag')} not valid", details=problems)
    if len(clean) > MAX_TAGS:
        raise _invalid("tag", f"more than {MAX_TAGS} tags")
    return clean


def _check_parameters(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise _invalid("base_parameters", "expected an object (a dict)")
    try:
        text = json.dumps(dict(value))
    except (TypeError, ValueError) as exc:
        raise _invalid("base_parameters", f"not JSON-serializable ({exc})") from None
    if len(text) > MAX_PARAMETERS_JSON:
        raise _invalid("base_parameters", f"over {MAX_PARAMETERS_JSON} characters as JSON")
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def _check_file_name(name: object) -> str:
    if not isinstance(name, str):
        raise _invalid("name", "expected a file name (a string)")
    problem = file_name_problem(name)
    if problem:
        raise _invalid("name", problem, name)
    return name


def _check_digest(digest: str, field: str = "sha256") -> str:
    try:
        return check_digest(digest)
    except ValueError:
        raise _invalid(field, "expected a SHA-256 digest (64 lower-case hex characters)") from None


# --------------------------------------------------------------------------- reading rows


def _entities(session: Session, rows: Sequence[NetworkRow]) -> list[Network]:
    """Entities for rows, with their tags, files, organization, owner (a few queries)."""
    if not rows:
        return []
    pks = [r.pk for r in rows]
    tags: dict[int, list[str]] = {}
    files: dict[int, list[tuple[str, str, int, datetime]]] = {}
    for part in chunked(pks):
        for network_pk, tag in session.execute(
            select(NetworkTagRow.network_pk, NetworkTagRow.tag)
            .where(NetworkTagRow.network_pk.in_(part))
            .order_by(NetworkTagRow.network_pk, NetworkTagRow.position)
        ):
            tags.setdefault(network_pk, []).append(tag)
        for network_pk, name, digest, size, created_at in session.execute(
            select(
                NetworkFileRow.network_pk,
                NetworkFileRow.name,
                NetworkFileRow.digest,
                BlobRow.size,
                NetworkFileRow.created_at,
            )
            .join(BlobRow, BlobRow.digest == NetworkFileRow.digest)
            .where(NetworkFileRow.network_pk.in_(part))
            .order_by(NetworkFileRow.network_pk, NetworkFileRow.name)
        ):
            files.setdefault(network_pk, []).append((name, digest, size, created_at))
    org_ids = sorted({r.organization_id for r in rows})
    orgs = dict(
        session.execute(
            select(OrganizationRow.id, OrganizationRow.name).where(OrganizationRow.id.in_(org_ids))
        ).all()
    )
    owner_ids = sorted({r.owner_id for r in rows if r.owner_id is not None})
    owners = dict(
        session.execute(select(UserRow.id, UserRow.username).where(UserRow.id.in_(owner_ids))).all()
    )
    thumbs = sorted({r.thumbnail_digest for r in rows if r.thumbnail_digest})
    thumb_types = dict(
        session.execute(
            select(BlobRow.digest, BlobRow.media_type).where(BlobRow.digest.in_(thumbs))
        ).all()
    )
    out = []
    for r in rows:
        thumb_name = None
        if r.thumbnail_digest:
            ext = "png" if thumb_types.get(r.thumbnail_digest) == "image/png" else "jpg"
            thumb_name = f"{r.id}/thumb.{ext}"
        out.append(
            Network(
                id=r.id,
                organization=Organization(r.organization_id, orgs.get(r.organization_id, "")),
                owner=Owner(r.owner_id, owners[r.owner_id]) if r.owner_id in owners else None,
                name=r.name,
                type=r.type,
                framework=r.framework,
                private=r.private,
                description=r.description,
                readme_text=r.readme_text,
                tags=tuple(tags.get(r.pk, ())),
                labels=dict(r.labels or {}),
                base_parameters=dict(r.base_parameters or {}),
                files=tuple(
                    NetworkFile(name, object_name(r.id, name), digest, size, created_at)
                    for name, digest, size, created_at in files.get(r.pk, ())
                ),
                thumbnail_digest=r.thumbnail_digest,
                thumbnail_original_digest=r.thumbnail_original_digest,
                thumb_object_name=thumb_name,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
        )
    return out


def _entity(session: Session, row: NetworkRow) -> Network:
    return _entities(session, [row])[0]


def _find(session: Session, organization_id: uuid.UUID, ref: str | uuid.UUID) -> NetworkRow | None:
    """A network of the organization by id, else by name."""
    base = select(NetworkRow).where(NetworkRow.organization_id == organization_id)
    as_id: uuid.UUID | None = ref if isinstance(ref, uuid.UUID) else None
    if as_id is None and isinstance(ref, str) and _is_uuid(ref):
        as_id = uuid.UUID(ref)
    if as_id is not None:
        row = session.scalar(base.where(NetworkRow.id == as_id))
        if row is not None or isinstance(ref, uuid.UUID):
            return row
    return session.scalar(base.where(NetworkRow.name == str(ref)))


def _readable(caller: Caller, row: NetworkRow) -> bool:
    return caller.role_in(row.organization_id) is not None or not row.private


def _not_found(ref: str | uuid.UUID) -> ResourceNotFoundError:
    return ResourceNotFoundError(f"no network {str(ref)!r} in this organization")


def _read_row(
    session: Session, caller: Caller, organization_id: uuid.UUID, ref: str | uuid.UUID
) -> NetworkRow:
    row = _find(session, organization_id, ref)
    if row is None or not _readable(caller, row):
        raise _not_found(ref)
    return row


def _write_row(
    session: Session, caller: Caller, organization_id: uuid.UUID, network_id: uuid.UUID
) -> NetworkRow:
    """The network, if the caller may change it; else 404 (private or absent) or 403."""
    row = _find(session, organization_id, network_id)
    if row is None or not _readable(caller, row):
        raise _not_found(network_id)
    if caller.role_in(organization_id) is None:
        org = session.get(OrganizationRow, organization_id)
        raise ForbiddenError(
            f"network {row.name!r} belongs to organization {org.name if org else organization_id}"
            ": a public network is read-only to other organizations"
        )
    require_organization(caller, organization_id, write=True)
    return row


def _page(
    session: Session,
    query: Select[NetworkRow],
    count_query: Select[int],
    *,
    limit: int,
    cursor: str | None,
) -> NetworkPage:
    after = decode_cursor(cursor)
    rows = list(
        session.scalars(query.where(NetworkRow.pk > after).order_by(NetworkRow.pk).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    count = session.scalar(count_query) or 0
    next_cursor = encode_cursor(rows[-1].pk) if more and rows else None
    return NetworkPage(_entities(session, rows), count, next_cursor)


# --------------------------------------------------------------------------- use cases


def create_network(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, name: str, type: str
) -> Network:
    """A new private network named ``name`` (unique in the organization)."""
    require_organization(caller, organization_id, write=True)
    name = check_name(name)
    kind = _check_type(type)
    with db.transaction() as tx:
        session = tx.session
        if _find(session, organization_id, name) is not None:
            raise AlreadyExistsError(
                f"a network named {name!r} already exists in this organization",
                details=[{"field": "name", "message": "network names are unique per organization"}],
            )
        now = utcnow()
        row = NetworkRow(
            id=uuid.uuid4(),
            organization_id=organization_id,
            owner_id=caller.user_id,
            name=name,
            type=kind,
            framework="",
            private=True,
            description="",
            readme_text="",
            labels={},
            base_parameters={},
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return _entity(session, row)


def list_networks(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None = None,
) -> NetworkPage:
    """A page of the organization's networks in creation order: all of them for its members,
    its public ones for everybody else."""
    where = [NetworkRow.organization_id == organization_id]
    if caller.role_in(organization_id) is None:
        where.append(NetworkRow.private.is_(False))
    with db.read() as tx:
        session = tx.session
        return _page(
            session,
            select(NetworkRow).where(*where),
            select(func.count()).select_from(NetworkRow).where(*where),
            limit=limit,
            cursor=cursor,
        )


def get_network(
    db: Database, caller: Caller, organization_id: uuid.UUID, ref: str | uuid.UUID
) -> Network:
    """A network of the organization by id or name (a public one for non-members)."""
    with db.read() as tx:
        session = tx.session
        return _entity(session, _read_row(session, caller, organization_id, ref))


def update_network(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    network_id: uuid.UUID,
    changes: NetworkChanges,
) -> Network:
    """Change some fields; every value is checked before anything is written."""
    values: dict[str, Any] = {}
    if changes.network_name is not None:
        values["name"] = check_name(changes.network_name, "network_name")
    if changes.type is not None:
        values["type"] = _check_type(changes.type)
    if changes.framework is not None:
        values["framework"] = _check_framework(changes.framework)
    if changes.private is not None:
        if not isinstance(changes.private, bool):
            raise _invalid("private", "expected true or false")
        values["private"] = changes.private
    if changes.description is not None:
        values["description"] = _check_text(changes.description, "description", MAX_DESCRIPTION)
    if changes.readme_text is not None:
        values["readme_text"] = _check_text(changes.readme_text, "readme_text", MAX_README)
    if changes.labels is not None:
        values["labels"] = check_labels(changes.labels)
    if changes.base_parameters is not None:
        values["base_parameters"] = _check_parameters(changes.base_parameters)
    tags = _check_tags(changes.tag) if changes.tag is not None else None
    with db.transaction() as tx:
        session = tx.session
        row = _write_row(session, caller, organization_id, network_id)
        new_name = values.get("name")
        if new_name is not None and new_name != row.name:
            other = _find(session, organization_id, new_name)
            if other is not None and other.pk != row.pk:
                raise AlreadyExistsError(
                    f"a network named {new_name!r} already exists in this organization",
                    details=[{"field": "network_name", "message": "names are unique"}],
                )
        for key, value in values.items():
            setattr(row, key, value)
        if tags is not None:
            session.execute(delete(NetworkTagRow).where(NetworkTagRow.network_pk == row.pk))
            session.add_all(
                NetworkTagRow(network_pk=row.pk, tag=t, position=i) for i, t in enumerate(tags)
            )
        row.updated_at = utcnow()
        session.flush()
        return _entity(session, row)


def delete_network(
    db: Database, caller: Caller, organization_id: uuid.UUID, network_id: uuid.UUID
) -> Network:
    """Delete a network and its file list (the bytes stay until ``pixlake gc``)."""
    with db.transaction() as tx:
        session = tx.session
        row = _write_row(session, caller, organization_id, network_id)
        entity = _entity(session, row)
        session.execute(delete(NetworkRow).where(NetworkRow.pk == row.pk))
    return entity


def store_file(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    network_id: uuid.UUID,
    *,
    name: str,
    digest: str,
) -> Network:
    """Record ``name`` as a file of the network, for bytes the organization already sent.

    Storing a name again replaces its bytes (the same bytes again change nothing); the same
    bytes under many names are one blob.
    """
    name = _check_file_name(name)
    digest = _check_digest(digest)
    with db.transaction() as tx:
        session = tx.session
        row = _write_row(session, caller, organization_id, network_id)
        blobs.require_held(tx, organization_id, digest)
        existing = session.get(NetworkFileRow, (row.pk, name))
        if existing is None:
            session.add(NetworkFileRow(network_pk=row.pk, name=name, digest=digest))
            row.updated_at = utcnow()
        elif existing.digest != digest:  # the same bytes again change nothing
            existing.digest = digest
            existing.created_at = row.updated_at = utcnow()
        session.flush()
        return _entity(session, row)


def _make_thumbnail(data: bytes) -> tuple[bytes, str]:
    """A thumbnail of at most ``THUMBNAIL_SIZE``: PNG when the image has transparency,
    else JPEG.  Returns its bytes and media type."""
    with Image.open(io.BytesIO(data)) as source:
        source.draft("RGB", THUMBNAIL_SIZE)  # JPEG: decode at a reduced scale
        image = ImageOps.exif_transpose(source)
    transparent = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if transparent else "RGB")
    image.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    if transparent:
        image.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    image.save(out, "JPEG", quality=85)
    return out.getvalue(), "image/jpeg"


def set_thumbnail(
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    network_id: uuid.UUID,
    *,
    digest: str,
) -> Network:
    """Make the network's thumbnail from an image the organization sent (under 5 MiB).

    The server keeps the image and a thumbnail of at most 256x256 pixels made from it.
    """
    digest = _check_digest(digest)
    with db.read() as tx:
        session = tx.session
        _write_row(session, caller, organization_id, network_id)
        blobs.require_held(tx, organization_id, digest)
        size = session.get_one(BlobRow, digest).size
    if size >= MAX_THUMBNAIL_BYTES:
        raise _invalid(
            "thumbnail",
            f"the image is {size} bytes; a thumbnail must be under {MAX_THUMBNAIL_BYTES} bytes "
            "(5 MiB)",
        )
    try:
        with store.open(digest) as f:
            data = f.read(MAX_THUMBNAIL_BYTES)
    except FileNotFoundError:
        raise _invalid(
            "sha256", "the image's bytes are missing from storage; upload again"
        ) from None
    try:
        info = probe(data)
    except NotAnImageError as exc:
        raise _invalid("thumbnail", f"not a complete image: {exc}") from None
    if info.width * info.height > MAX_THUMBNAIL_PIXELS:
        raise _invalid(
            "thumbnail",
            f"the image is {info.width}x{info.height} pixels; a thumbnail source may have at "
            f"most {MAX_THUMBNAIL_PIXELS} pixels",
        )
    try:
        thumb, _media_type = _make_thumbnail(data)
    except (OSError, ValueError, SyntaxError) as exc:
        raise _invalid("thumbnail", f"the image cannot be decoded ({exc})") from None
    writer = store.writer()
    try:
        writer.write(thumb)
        stored = writer.commit()
    except BaseException:
        writer.abort()
        raise
    blobs.record(db, organization_id, blobs=[blobs.describe(stored.digest, stored.size, thumb)])
    with db.transaction() as tx:
        session = tx.session
        row = _write_row(session, caller, organization_id, network_id)
        row.thumbnail_digest = stored.digest
        row.thumbnail_original_digest = digest
        row.updated_at = utcnow()
        session.flush()
        return _entity(session, row)


def _hub_query(
    search: str | None, type: str | None, framework: str | None, tag: str | None
) -> list[Any]:
    where: list[Any] = [NetworkRow.private.is_(False)]
    if search:
        where.append(func.lower(NetworkRow.name).contains(search.lower(), autoescape=True))
    if type:
        where.append(func.lower(NetworkRow.type) == type.lower())
    if framework:
        where.append(func.lower(NetworkRow.framework) == framework.lower())
    if tag:
        where.append(
            NetworkRow.pk.in_(select(NetworkTagRow.network_pk).where(NetworkTagRow.tag == tag))
        )
    return where


def hub_networks(
    db: Database,
    caller: Caller,
    *,
    search: str | None = None,
    type: str | None = None,
    framework: str | None = None,
    tag: str | None = None,
    limit: int,
    cursor: str | None = None,
) -> NetworkPage:
    """A page of the public networks of every organization: ``search`` in the name (any
    case), ``type`` and ``framework`` (any case), ``tag`` (exact)."""
    where = _hub_query(search, type, framework, tag)
    with db.read() as tx:
        session = tx.session
        return _page(
            session,
            select(NetworkRow).where(*where),
            select(func.count()).select_from(NetworkRow).where(*where),
            limit=limit,
            cursor=cursor,
        )


def hub_organization(db: Database, caller: Caller, ref: str) -> Organization:
    """An organization by name or id: one of the caller's, or one that publishes networks.

    Any other organization answers like one that does not exist.
    """
    for org, _role in caller.memberships.values():
        if org.name == ref or str(org.id) == ref:
            return org
    with db.read() as tx:
        session = tx.session
        query = select(OrganizationRow.id, OrganizationRow.name).where(
            OrganizationRow.id.in_(
                select(NetworkRow.organization_id).where(NetworkRow.private.is_(False))
            )
        )
        if _is_uuid(ref):
            query = query.where(OrganizationRow.id == uuid.UUID(ref))
        else:
            query = query.where(OrganizationRow.name == ref)
        found = session.execute(query).first()
    if found is None:
        raise ResourceNotFoundError(
            f"no organization {ref!r} among yours or among those publishing networks"
        )
    return Organization(found[0], found[1])


def _visible_by_id(session: Session, caller: Caller, network_id: uuid.UUID) -> NetworkRow:
    row = session.scalar(select(NetworkRow).where(NetworkRow.id == network_id))
    if row is None or not _readable(caller, row):
        raise ResourceNotFoundError(f"no network {network_id} among those you can read")
    return row


def _open(store: BlobStore, session: Session, digest: str) -> tuple[BlobEntity, BinaryIO]:
    blob = session.get_one(BlobRow, digest)
    entity = BlobEntity(blob.digest, blob.size, blob.media_type, blob.width, blob.height)
    try:
        return entity, store.open(digest)
    except FileNotFoundError:
        raise ResourceNotFoundError(
            f"the bytes of blob {digest} are missing from storage; store the file again"
        ) from None


def open_file(
    db: Database, store: BlobStore, caller: Caller, network_id: uuid.UUID, name: str
) -> tuple[BlobEntity, BinaryIO]:
    """The bytes of a stored file of a network the caller can read (its own or public)."""
    with db.read() as tx:
        session = tx.session
        row = _visible_by_id(session, caller, network_id)
        file = session.get(NetworkFileRow, (row.pk, name))
        if file is None:
            raise ResourceNotFoundError(f"network {row.name!r} has no file named {name!r}")
        return _open(store, session, file.digest)


def open_thumbnail(
    db: Database,
    store: BlobStore,
    caller: Caller,
    network_id: uuid.UUID,
    *,
    original: bool = False,
) -> tuple[BlobEntity, BinaryIO]:
    """A readable network's thumbnail (or the image it was made from)."""
    with db.read() as tx:
        session = tx.session
        row = _visible_by_id(session, caller, network_id)
        digest = row.thumbnail_original_digest if original else row.thumbnail_digest
        if digest is None:
            raise ResourceNotFoundError(f"network {row.name!r} has no thumbnail")
        return _open(store, session, digest)
