"""Blobs and the pictures that name them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

__all__ = ["BlobEntity", "Picture"]


@dataclass(frozen=True, slots=True)
class BlobEntity:
    digest: str
    size: int
    media_type: str
    width: int | None
    height: int | None


@dataclass(frozen=True, slots=True)
class Picture:
    id: uuid.UUID
    organization_id: uuid.UUID
    external_url: str
    digest: str
    size: int
    width: int
    height: int
    source: str
    created_at: datetime
    tags: tuple[str, ...]
