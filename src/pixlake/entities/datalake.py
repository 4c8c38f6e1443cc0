"""Blobs and the pictures that name them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

__all__ = ["BlobEntity", "Picture", "PictureFilter"]


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


@dataclass(frozen=True, slots=True)
class PictureFilter:
    """Which pictures of an organization to show: those with any of ``tags`` (all of them
    with ``all_tags``), from ``source``, uploaded in ``[since, until)``; ``None`` and empty
    leave a criterion out."""

    tags: tuple[str, ...] = ()
    all_tags: bool = False
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
