"""Networks (the model registry and the hub) and their stored files."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pixlake.entities.accounts import Organization

__all__ = ["Network", "NetworkFile", "Owner", "object_name"]


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


def object_name(owner_id: uuid.UUID, name: str) -> str:
    """The contract's object key of a stored file of a network or an experiment:
    ``<id>/<name>``, and ``<id>/0/<name>`` for ``model-latest``."""
    return f"{owner_id}/0/{name}" if name == "model-latest" else f"{owner_id}/{name}"
