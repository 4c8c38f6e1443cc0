"""Networks: the model registry of each organization, and the public hub.

A network is named uniquely within its organization.  It records a type, a framework, tags,
a description, a markdown readme, base parameters, a label map (indexes as strings, from
"1", consecutive), stored files (names mapped to blobs, each under the name of the file it
was stored from, which its object key ends with and a download writes) and a thumbnail made
by the server.

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
from typing import Any, BinaryIO

from PIL import Image, ImageOps

from pixlake._text import count_is
from pixlake.clock import utcnow
from pixlake.core import blobs
from pixlake.core.accounts import require_organization
from pixlake.core.pagination import decode_cursor, encode_cursor
from pixlake.entities.accounts import Caller, Organization
from pixlake.entities.datalake import BlobEntity
from pixlake.entities.networks import Network, object_name
from pixlake.entities.storage import StoredObject
from pixlake.errors import (
    AlreadyExistsError,
    ForbiddenError,
    InvalidInputError,
    ResourceNotFoundError,
)
from pixlake.imaging import NotAnImageError, probe
from pixlake.names import file_name_problem, path_problem, tag_problem
from pixlake.schemas.networks import check_labels
from pixlake.store.blobs import BlobStore, check_digest
from pixlake.store.db.engine import Database
from pixlake.store.db.repositories import HubFilter, StoredNetwork
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = [
    "MAX_THUMBNAIL_BYTES",
    "RESERVED_FILES",
    "THUMBNAIL_SIZE",
    "NetworkChanges",
    "NetworkPage",
    "check_labels",
    "check_name",
    "create_network",
    "delete_network",
    "get_network",
    "get_network_by_id",
    "hub_networks",
    "hub_organization",
    "list_networks",
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
MAX_TAGS = 100
MAX_DESCRIPTION = 10_000
MAX_README = 1_000_000
MAX_PARAMETERS_JSON = 1_000_000


# --------------------------------------------------------------------------- entities


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
    if (problem := path_problem(name, what="network name")) is not None:
        raise _invalid(field, problem, name)
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
        problem = tag_problem(tag)
        if problem is not None:
            problems.append({"field": f"tag[{i}]", "message": problem})
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


def _check_file_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str):
        raise _invalid(field, "expected a file name (a string)")
    problem = file_name_problem(name)
    if problem:
        raise _invalid(field, problem, name)
    return name


def _check_digest(digest: str, field: str = "sha256") -> str:
    try:
        return check_digest(digest)
    except ValueError:
        raise _invalid(field, "expected a SHA-256 digest (64 lower-case hex characters)") from None


# --------------------------------------------------------------------------- finding


def _readable(caller: Caller, network: StoredNetwork) -> bool:
    return caller.role_in(network.organization_id) is not None or not network.private


def _not_found(ref: str | uuid.UUID) -> ResourceNotFoundError:
    return ResourceNotFoundError(f"no network {str(ref)!r} in this organization")


def _readable_network(
    tx: UnitOfWork, caller: Caller, organization_id: uuid.UUID, ref: str | uuid.UUID
) -> StoredNetwork:
    found = tx.networks.find(organization_id, ref)
    if found is None or not _readable(caller, found):
        raise _not_found(ref)
    return found


def _writable_network(
    tx: UnitOfWork, caller: Caller, organization_id: uuid.UUID, network_id: uuid.UUID
) -> StoredNetwork:
    """The network, if the caller may change it; else 404 (private or absent) or 403."""
    found = _readable_network(tx, caller, organization_id, network_id)
    if caller.role_in(organization_id) is None:
        org = tx.accounts.organization(organization_id)
        raise ForbiddenError(
            f"network {found.name!r} belongs to organization {org.name}"
            ": a public network is read-only to other organizations"
        )
    require_organization(caller, organization_id, write=True)
    return found


def _page(networks: list[Network], count: int, last: int | None) -> NetworkPage:
    return NetworkPage(networks, count, None if last is None else encode_cursor(last))


# --------------------------------------------------------------------------- use cases


def create_network(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, name: str, type: str
) -> Network:
    """A new private network named ``name`` (unique in the organization)."""
    require_organization(caller, organization_id, write=True)
    name = check_name(name)
    kind = _check_type(type)
    with db.transaction() as tx:
        if tx.networks.find(organization_id, name) is not None:
            raise AlreadyExistsError(
                f"a network named {name!r} already exists in this organization",
                details=[{"field": "name", "message": "network names are unique per organization"}],
            )
        made = tx.networks.add(
            organization_id, owner_id=caller.user_id, name=name, type=kind, at=utcnow()
        )
        return tx.networks.record(made.pk)


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
    after = decode_cursor(cursor)
    with db.read() as tx:
        return _page(
            *tx.networks.page(
                organization_id=organization_id,
                public_only=caller.role_in(organization_id) is None,
                after=after,
                limit=limit,
            )
        )


def get_network(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, ref: str | uuid.UUID
) -> Network:
    """A network of the organization by id or name (a public one for non-members)."""
    with db.read() as tx:
        return tx.networks.record(_readable_network(tx, caller, organization_id, ref).pk)


def _changed_values(changes: NetworkChanges) -> dict[str, Any]:
    """The checked values of an update's fields, by column (tags aside)."""
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
    return values


def update_network(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    network_id: uuid.UUID,
    changes: NetworkChanges,
) -> Network:
    """Change some fields; every value is checked before anything is written."""
    values = _changed_values(changes)
    tags = _check_tags(changes.tag) if changes.tag is not None else None
    with db.transaction() as tx:
        network = _writable_network(tx, caller, organization_id, network_id)
        new_name = values.get("name")
        if new_name is not None and new_name != network.name:
            other = tx.networks.find(organization_id, new_name)
            if other is not None and other.pk != network.pk:
                raise AlreadyExistsError(
                    f"a network named {new_name!r} already exists in this organization",
                    details=[{"field": "network_name", "message": "names are unique"}],
                )
        if tags is not None:
            tx.networks.set_tags(network.pk, tags)
        tx.networks.update(network.pk, values, at=utcnow())
        return tx.networks.record(network.pk)


def delete_network(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, network_id: uuid.UUID
) -> Network:
    """Delete a network and its file list (the bytes stay until ``pixlake gc``)."""
    with db.transaction() as tx:
        network = _writable_network(tx, caller, organization_id, network_id)
        entity = tx.networks.record(network.pk)
        tx.networks.delete(network.pk)
    return entity


def store_file(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    network_id: uuid.UUID,
    name: str,
    digest: str,
    file_name: str | None = None,
) -> Network:
    """Record ``name`` as a file of the network, for bytes the organization already sent,
    stored from a file named ``file_name`` (without one, a new file is named as itself and
    a replaced one keeps its file name).

    Storing a name again replaces its bytes (the same bytes under the same file name again
    change nothing); the same bytes under many names are one blob. The file's object key
    names its bytes from then on, for clients that read it by key, whichever API stored it.
    """
    name = _check_file_name(name)
    if file_name is not None:
        file_name = _check_file_name(file_name, "file_name")
    digest = _check_digest(digest)
    with db.transaction() as tx:
        network = _writable_network(tx, caller, organization_id, network_id)
        blobs.require_held(tx, organization_id, digest)
        current = tx.networks.file_name(network.pk, name)
        if tx.networks.file_digest(network.pk, name) != digest or (
            file_name is not None and file_name != current
        ):
            now = utcnow()
            tx.networks.put_file(network.pk, name, digest, file_name=file_name, at=now)
            key = object_name(network.id, name, file_name or current)
            size = tx.blobs.get(digest).size
            tx.storage.put_object(
                organization_id, "models", key, StoredObject(digest, size), at=now
            )
        return tx.networks.record(network.pk)


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
    *,
    network_id: uuid.UUID,
    digest: str,
) -> Network:
    """Make the network's thumbnail from an image the organization sent (under 5 MiB).

    The server keeps the image and a thumbnail of at most 256x256 pixels made from it.
    """
    digest = _check_digest(digest)
    with db.read() as tx:
        _writable_network(tx, caller, organization_id, network_id)
        blobs.require_held(tx, organization_id, digest)
        size = tx.blobs.get(digest).size
    if size >= MAX_THUMBNAIL_BYTES:
        raise _invalid(
            "thumbnail",
            f"the image is {size} bytes; a thumbnail must be under {MAX_THUMBNAIL_BYTES} bytes "
            "(5 MiB)",
        )
    thumb = _thumbnail_of(store, digest)
    writer = store.writer()
    try:
        writer.write(thumb)
        stored = writer.commit()
    except BaseException:
        writer.abort()
        raise
    blobs.record(db, organization_id, blobs=[blobs.describe(stored.digest, stored.size, thumb)])
    with db.transaction() as tx:
        network = _writable_network(tx, caller, organization_id, network_id)
        tx.networks.set_thumbnail(network.pk, digest=stored.digest, original=digest, at=utcnow())
        return tx.networks.record(network.pk)


def _thumbnail_of(store: BlobStore, digest: str) -> bytes:
    """The thumbnail's bytes, made from the stored image (its size checked already)."""
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
    return thumb


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
    hub = HubFilter(search=search, type=type, framework=framework, tag=tag)
    after = decode_cursor(cursor)
    with db.read() as tx:
        return _page(*tx.networks.page(hub=hub, after=after, limit=limit))


def hub_organization(db: Database, caller: Caller, ref: str) -> Organization:
    """An organization by name or id: one of the caller's, or one that publishes networks.

    Any other organization answers like one that does not exist.
    """
    for org, _role in caller.memberships.values():
        if org.name == ref or str(org.id) == ref:
            return org
    with db.read() as tx:
        found = tx.networks.publishing_organization(ref)
    if found is None:
        raise ResourceNotFoundError(
            f"no organization {ref!r} among yours or among those publishing networks"
        )
    return found


def _visible_by_id(tx: UnitOfWork, caller: Caller, network_id: uuid.UUID) -> StoredNetwork:
    found = tx.networks.by_id(network_id)
    if found is None or not _readable(caller, found):
        raise ResourceNotFoundError(f"no network {network_id} among those you can read")
    return found


def get_network_by_id(db: Database, caller: Caller, *, network_id: uuid.UUID) -> Network:
    """A network the caller can read (its organization's, or a public one), by id alone."""
    with db.read() as tx:
        return tx.networks.record(_visible_by_id(tx, caller, network_id).pk)


def _open(store: BlobStore, tx: UnitOfWork, digest: str) -> tuple[BlobEntity, BinaryIO]:
    entity = tx.blobs.get(digest)
    try:
        return entity, store.open(digest)
    except FileNotFoundError:
        raise ResourceNotFoundError(
            f"the bytes of blob {digest} are missing from storage; store the file again"
        ) from None


def open_file(
    db: Database, store: BlobStore, caller: Caller, *, network_id: uuid.UUID, name: str
) -> tuple[BlobEntity, BinaryIO]:
    """The bytes of a stored file of a network the caller can read (its own or public)."""
    with db.read() as tx:
        network = _visible_by_id(tx, caller, network_id)
        digest = tx.networks.file_digest(network.pk, name)
        if digest is None:
            raise ResourceNotFoundError(f"network {network.name!r} has no file named {name!r}")
        return _open(store, tx, digest)


def open_thumbnail(
    db: Database,
    store: BlobStore,
    caller: Caller,
    *,
    network_id: uuid.UUID,
    original: bool = False,
) -> tuple[BlobEntity, BinaryIO]:
    """A readable network's thumbnail (or the image it was made from)."""
    with db.read() as tx:
        network = _visible_by_id(tx, caller, network_id)
        digest = network.thumbnail_original_digest if original else network.thumbnail_digest
        if digest is None:
            raise ResourceNotFoundError(f"network {network.name!r} has no thumbnail")
        return _open(store, tx, digest)
