"""``Network``: the model registry of an organization, and the public hub.

As in the Picsellia SDK contract: ``list``, ``get``, ``create``, ``update``, ``store``,
``update_thumb``, ``labels``, ``delete`` and ``download``; ``deploy`` (hosted inference) is
not provided.  pixlake adds ``hub(...)``: the public networks of every organization.

A public network of another organization is read with
``Network(api_token, organization="<its organization>").get(name)``; it is read-only.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import quote

import httpx

from pixlake.errors import (
    ForbiddenError,
    InvalidInputError,
    InvalidQueryError,
    ResourceNotFoundError,
    UnsupportedFeatureError,
)
from pixlake.imaging import NotAnImageError, probe
from pixlake.names import check_file_name, file_name_problem
from pixlake.schemas.networks import (
    NETWORK_READ_ONLY_FIELDS,
    NETWORK_UPDATABLE_FIELDS,
    check_labels,
)
from pixlake.sdk._base import Context, Resource
from pixlake.sdk._local import existing_path, read_file
from pixlake.sdk._transfer import download, stored_name, upload_file, zipped

__all__ = ["Network", "NetworkRecord"]

PAGE = 1000
#: A thumbnail's source image must be smaller than this (the server checks it too).
MAX_THUMBNAIL_BYTES = 5 * 1024 * 1024

PathLike = str | os.PathLike[str]


class NetworkRecord(TypedDict):
    """One network (the Picsellia network record plus pixlake's fields)."""

    model_id: str
    network_name: str
    description: str
    type: str
    owner: dict[str, str] | None
    organization: dict[str, str]
    private: bool
    framework: str
    tag: list[str]
    files: dict[str, str]
    labels: dict[str, str]
    base_parameters: dict[str, Any]
    readme_text: str
    thumb_object_name: str | None
    date_created: str
    last_update: str
    thumbnail_url: str | None
    file_details: dict[str, dict[str, Any]]


Records = list[NetworkRecord]

_STRING_FIELDS = frozenset({"network_name", "type", "framework", "description", "readme_text"})
_READ_ONLY_HINTS = {
    "files": "use store(name, path)",
    "file_details": "use store(name, path)",
    "thumb_object_name": "use update_thumb(path)",
    "thumbnail_url": "use update_thumb(path)",
}


def _kind(value: object) -> str:
    return type(value).__name__


def _check_str(value: object, name: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {_kind(value)}")


def _check_path(value: object, name: str = "path") -> None:
    if value is not None and not isinstance(value, str | os.PathLike):
        raise TypeError(f"{name} must be a path (str or os.PathLike), not {_kind(value)}")


def _labels_arg(labels: object) -> dict[str, str]:
    """The label map to send: integer keys become strings; then the contract's rules."""
    if not isinstance(labels, Mapping):
        raise TypeError(f'labels must be a dict such as {{"1": "car"}}, not {_kind(labels)}')
    converted: dict[object, object] = {}
    for key, value in labels.items():
        if isinstance(key, int) and not isinstance(key, bool):
            key = str(key)
        converted[key] = value
    return check_labels(converted)


def _check_update(field: str, value: object) -> object:
    """The value to send for ``field``, after checking its type (``TypeError``)."""
    if field in _STRING_FIELDS:
        _check_str(value, field)
        return value
    if field == "private":
        if not isinstance(value, bool):
            raise TypeError(f"private must be True or False, not {_kind(value)}")
        return value
    if field == "tag":
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise TypeError(f"tag must be a list of strings, not {_kind(value)}")
        for item in value:
            if not isinstance(item, str):
                raise TypeError(f"tag must be a list of strings; found {_kind(item)}")
        return list(value)
    if field == "labels":
        return _labels_arg(value)
    if field == "base_parameters":
        if not isinstance(value, Mapping):
            raise TypeError(f"base_parameters must be a dict, not {_kind(value)}")
        return dict(value)
    raise AssertionError(field)  # pragma: no cover - every updatable field is handled above


class Network(Resource):
    """The networks (models) of an organization: create, describe, store files, share.

    >>> net = Network(api_token=token, host=host).create("yolo-cars", "detection")  # doctest: +SKIP
    """

    _greets = True

    def __init__(
        self,
        api_token: str | None = None,
        organization: str | None = None,
        host: str | None = None,
        network_id: str | None = None,
        *,
        interactive: bool = True,
        transport: httpx.BaseTransport | None = None,
        _context: Context | None = None,
    ) -> None:
        _check_str(api_token, "api_token", optional=True)
        _check_str(organization, "organization", optional=True)
        _check_str(host, "host", optional=True)
        _check_str(network_id, "network_id", optional=True)
        if organization is not None and "://" in organization:
            raise InvalidQueryError(
                f"organization {organization!r} looks like a URL: pass the server as host=..."
            )
        opened = _context is None
        base = _context or Context.open(
            api_token, None, host, interactive=interactive, transport=transport
        )
        try:
            context, member = (
                self._in_organization(base, organization) if organization else (base, True)
            )
        except BaseException:
            if opened:
                base.connection.close()
            raise
        # ``context`` may be a copy of ``base`` for another organization: keep ``base``, whose
        # lifetime closes the shared connection.
        self._base_context = base
        #: False when the organization is another one's, read through the hub (read-only).
        self._member = member
        super().__init__(_context=context)
        if opened:
            print(f"Hi {context.username}, welcome back.")
        self.organization: str = context.organization_name
        self.network_id: str | None = network_id
        self.network_name: str = ""
        self.infos: dict[str, Any] = {}
        self.network_list: Records = []
        self.files: dict[str, str] = {}

    @staticmethod
    def _in_organization(context: Context, ref: str) -> tuple[Context, bool]:
        """The context pointed at organization ``ref`` (a name or id), and whether the caller
        belongs to it: one of the caller's, or another one that publishes networks."""
        connection = context.connection
        member = True
        try:
            org = connection.get(f"/organizations/{quote(ref, safe='')}")
        except ResourceNotFoundError:
            org = connection.get(f"/hub/organizations/{quote(ref, safe='')}")
            member = org.get("role") is not None
        changed = dataclasses.replace(
            context, organization_id=str(org["id"]), organization_name=org["name"]
        )
        return changed, member

    def __str__(self) -> str:
        if not self.infos:
            return "No network selected: use get(name_or_id) or create(name, type) first"
        return json.dumps(self.infos, indent=2, default=str)

    # ------------------------------------------------------------------ helpers

    @property
    def _networks_path(self) -> str:
        return f"{self._ctx.org_path}/networks"

    def _selected(self) -> str:
        if not self.network_id:
            raise InvalidQueryError(
                "no network selected: call get(name_or_id) or create(name, type) first"
            )
        return self.network_id

    def _check_member(self) -> None:
        """Refuse, before any byte is sent, to store into another organization's network."""
        if not self._member:
            raise ForbiddenError(
                f"network {self.network_name or self.network_id!r} belongs to organization "
                f"{self.organization}: a public network is read-only to other organizations"
            )

    def _keep(self, record: NetworkRecord) -> None:
        self.infos = dict(record)
        self.network_id = record["model_id"]
        self.network_name = record["network_name"]
        self.files = dict(record["files"])

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[NetworkRecord]:
        params = {"limit": PAGE, **params}
        while True:
            page = self._ctx.connection.get(path, params=params)
            yield from page["data"]
            if not page["next_cursor"]:
                return
            params["cursor"] = page["next_cursor"]

    # ------------------------------------------------------------------ reading

    def list(self, organization: str | None = None) -> Records:
        """The networks of the organization (of ``organization`` when given: all of them for
        its members, its public ones for everybody else); also kept in ``network_list``."""
        _check_str(organization, "organization", optional=True)
        context = self._in_organization(self._ctx, organization)[0] if organization else self._ctx
        records = list(self._pages(f"{context.org_path}/networks", {}))
        self.network_list = records
        for record in records[:5]:
            self._say(
                "%s  framework: %s  tags: %s",
                record["network_name"],
                record["framework"] or "-",
                ", ".join(record["tag"]) or "-",
            )
        if len(records) > 5:
            self._say("... and %d more", len(records) - 5)
        return records

    def get(self, identifier: str | None = None) -> Network:
        """Select a network by id or name (``identifier`` wins over a preset ``network_id``)."""
        _check_str(identifier, "identifier", optional=True)
        ref = identifier or self.network_id
        if not ref:
            raise InvalidQueryError(
                "get needs the network's id or name (or network_id=... in the constructor)"
            )
        record: NetworkRecord = self._ctx.connection.get(
            f"{self._networks_path}/{quote(ref, safe='')}"
        )
        self._keep(record)
        self._say("Successfully fetched network %s", self.network_name)
        self._say("%s", str(self))
        return self

    def hub(
        self,
        search: str | None = None,
        type: str | None = None,
        framework: str | None = None,
        tag: str | None = None,
    ) -> Records:
        """The public networks of every organization: ``search`` in the name (any case),
        ``type`` and ``framework`` (any case), carrying ``tag``.  Every page is fetched."""
        filters = {"search": search, "type": type, "framework": framework, "tag": tag}
        for key, value in filters.items():
            _check_str(value, key, optional=True)
        params = {k: v for k, v in filters.items() if v}
        return list(self._pages("/hub/networks", params))

    # ------------------------------------------------------------------ changes

    def create(self, name: str | None = None, type: str | None = None) -> Network:
        """Create a (private) network and select it."""
        _check_str(name, "name", optional=True)
        _check_str(type, "type", optional=True)
        if not name or not name.strip():
            raise InvalidInputError(
                "create needs a name, e.g. create('yolo-cars', 'detection')",
                details=[{"field": "name", "message": "empty"}],
            )
        if not type or not type.strip():
            raise InvalidInputError(
                "type is empty: give the network's task, e.g. 'detection'",
                details=[{"field": "type", "message": "empty"}],
            )
        record: NetworkRecord = self._ctx.connection.post(
            self._networks_path, json={"name": name, "type": type}
        )
        self._keep(record)
        self._say("Network %s created.", self.network_name)
        self._say("%s", str(self))
        return self

    def update(self, **kwargs: Any) -> Network:
        """Change fields of the selected network: ``network_name``, ``type``, ``framework``,
        ``private``, ``description``, ``readme_text`` (markdown), ``tag``, ``labels``,
        ``base_parameters``.  Unknown or read-only fields are refused, by name."""
        network_id = self._selected()
        if not kwargs:
            raise InvalidQueryError(
                "update needs at least one field, e.g. update(description='...')"
            )
        body: dict[str, object] = {}
        for field, value in kwargs.items():
            if field in NETWORK_READ_ONLY_FIELDS:
                hint = _READ_ONLY_HINTS.get(field, "it is set by the server")
                raise InvalidInputError(
                    f"{field!r} is read-only: {hint}",
                    details=[{"field": field, "message": "read-only"}],
                )
            if field not in NETWORK_UPDATABLE_FIELDS:
                raise InvalidInputError(
                    f"{field!r} is not a field of a network; updatable fields: "
                    f"{', '.join(sorted(NETWORK_UPDATABLE_FIELDS))}",
                    details=[{"field": field, "message": "unknown field"}],
                )
            body[field] = _check_update(field, value)
        record: NetworkRecord = self._ctx.connection.request(
            "PATCH", f"{self._networks_path}/{network_id}", json=body, idempotent=True
        ).json()
        self._keep(record)
        self._say("Network %s updated.", self.network_name)
        return self

    def labels(self, labels: Mapping[str, str]) -> None:
        """Set the label map, e.g. ``{"1": "car", "2": "bus"}`` (indexes from 1, no gaps)."""
        self.update(labels=labels)

    def store(self, name: str = "", path: PathLike | None = None, zip: bool = False) -> None:
        """Store a file (or, with ``zip=True``, a file or folder zipped) under ``name``.

        Reserved names: ``model-latest`` (the exported model, keyed under ``0/``),
        ``config``, ``checkpoint-data-latest``, ``checkpoint-index-latest``.  The file keeps
        its own name (the zip's), which its object key ends with and ``download`` writes.
        Bytes the server already holds are not sent again, and an interrupted upload resumes.
        """
        _check_str(name, "name")
        _check_path(path)
        if not isinstance(zip, bool):
            raise TypeError(f"zip must be True or False, not {_kind(zip)}")
        network_id = self._selected()
        self._check_member()
        problem = file_name_problem(name)
        if problem:
            raise InvalidInputError(
                f"name {name[:80]!r}: {problem}", details=[{"field": "name", "message": problem}]
            )
        local = existing_path(path, "store")
        if local.is_dir() and not zip:
            raise InvalidQueryError(
                f"{local} is a folder: pass zip=True to store it zipped",
                details=[{"file": str(local), "message": "a folder needs zip=True"}],
            )
        if not local.is_file() and not local.is_dir():
            raise InvalidQueryError(
                f"{local} is neither a file nor a folder",
                details=[{"file": str(local), "message": "not a regular file"}],
            )
        file_name = stored_name(local, zip=zip)
        with zipped(local) if zip else nullcontext(local) as source:
            digest, _size = upload_file(
                self._ctx.connection, self._ctx.org_path, source, progress=self.interactive
            )
        record: NetworkRecord = self._ctx.connection.post(
            f"{self._networks_path}/{network_id}/files",
            json={"name": name, "sha256": digest, "file_name": file_name},
            idempotent=True,
        )
        self._keep(record)
        self._say("File %s stored successfully for network %s", name, self.network_name)

    def update_thumb(self, path: PathLike | None = None) -> None:
        """Set the thumbnail from an image file under 5 MiB (the server keeps the image and
        makes a thumbnail of at most 256x256 pixels from it)."""
        _check_path(path)
        network_id = self._selected()
        self._check_member()
        local = existing_path(path, "update_thumb")
        if not local.is_file():
            raise InvalidQueryError(
                f"{local} is not a file; expected an image",
                details=[{"file": str(local), "message": "not a file"}],
            )
        size = local.stat().st_size
        if size >= MAX_THUMBNAIL_BYTES:
            raise InvalidInputError(
                f"{local}: the image is {size} bytes; a thumbnail must be under 5 MiB",
                details=[{"file": str(local), "message": "5 MiB or larger"}],
            )
        try:
            probe(read_file(local))
        except NotAnImageError as exc:
            raise InvalidInputError(
                f"{local}: not a complete image ({exc})",
                details=[{"file": str(local), "message": str(exc)}],
            ) from None
        digest, _size = upload_file(
            self._ctx.connection, self._ctx.org_path, local, progress=self.interactive
        )
        record: NetworkRecord = self._ctx.connection.request(
            "PUT", f"{self._networks_path}/{network_id}/thumbnail", json={"sha256": digest}
        ).json()
        self._keep(record)
        self._say("Thumbnail of network %s updated.", self.network_name)

    def delete(self) -> None:
        """Delete the selected network (its stored files with it)."""
        network_id = self._selected()
        name = self.network_name or network_id
        self._ctx.connection.request("DELETE", f"{self._networks_path}/{network_id}")
        self._say("Network %s deleted.", name)
        self.infos = {}
        self.network_id = None
        self.network_name = ""
        self.files = {}

    def download(self, name: str, path: PathLike | None = None) -> Path:
        """Download the stored file ``name`` under its key's base name in the current
        directory (or to ``path``: a file, or a folder to put it in).  A file already there
        with the right bytes is kept; an interrupted download resumes.  Returns the path."""
        _check_str(name, "name")
        _check_path(path)
        self._selected()
        if name not in self.infos.get("file_details", {}):
            self.get(self.network_id)
        details = self.infos.get("file_details", {}).get(name)
        if details is None:
            stored = ", ".join(sorted(self.files)) or "none"
            raise ResourceNotFoundError(
                f"network {self.network_name!r} has no file named {name!r}; stored: {stored}"
            )
        base_name = check_file_name(
            str(details["object_name"]).rsplit("/", 1)[-1], field="object_name"
        )
        dest = Path(path) if path is not None else Path.cwd() / base_name
        if dest.is_dir():
            dest = dest / base_name
        download(
            self._ctx.connection,
            f"/networks/{self.network_id}/files/{quote(name, safe='')}",
            dest,
            expected_digest=str(details["sha256"]),
            expected_size=int(details["size"]),
            progress=self.interactive,
        )
        self._say("File %s of network %s downloaded to %s", name, self.network_name, dest)
        return dest

    def deploy(self, *_args: Any, **_kwargs: Any) -> None:
        """Hosted inference is not part of pixlake."""
        raise UnsupportedFeatureError(
            "deploy() starts a managed inference deployment on the Picsellia platform; "
            "pixlake does not host inference. Download the model (download('model-latest')) "
            "and serve it with your own tools."
        )
