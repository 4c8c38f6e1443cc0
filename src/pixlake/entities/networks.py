"""Networks (the model registry and the hub) and their stored files."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pixlake.entities.accounts import Organization

__all__ = ["Network", "NetworkFile", "Owner", "file_name_of", "object_name"]


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


def object_name(owner_id: uuid.UUID, name: str, file_name: str | None = None) -> str:
    """The contract's object key of stored file ``name`` of a network or an experiment, as
    the upstream client makes it: ``<id>/<file name>``, and ``<id>/0/<file name>`` for
    ``model-latest``, where the file name is the stored file's own (``best.pt``), or the
    name itself for a file stored without one."""
    file = file_name or name
    return f"{owner_id}/0/{file}" if name == "model-latest" else f"{owner_id}/{file}"


def file_name_of(key: str) -> str:
    """The file name an object key ends with, which a download writes."""
    return key.rsplit("/", 1)[-1]
