"""Datasets and their versions, labels, and the annotations of a version's pictures."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "AnnotationRecord",
    "DatasetVersion",
    "ExportItem",
    "Label",
    "StoredAnnotation",
    "StoredLabel",
    "StoredVersion",
]


@dataclass(frozen=True, slots=True)
class Label:
    name: str
    type: str
    position: int
    extra: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class StoredLabel:
    """A label with its internal key (what shapes refer to)."""

    pk: int
    name: str
    type: str
    position: int


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A version as stored, with the internal key its pictures, labels and annotations
    refer to, and its dataset's id and name."""

    pk: int
    id: uuid.UUID
    dataset_id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    version: str
    description: str
    private: bool
    created_at: datetime
    created_from_pk: int | None
    info: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    id: uuid.UUID
    dataset_id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    version: str
    description: str
    private: bool
    created_at: datetime
    created_from: str | None
    size: int
    labels: tuple[Label, ...]
    nb_annotations: int
    nb_objects: int
    repartition: Mapping[str, int]
    #: Pictures per split, for the pictures that have one.
    splits: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class StoredAnnotation:
    """An annotation as stored: its picture's key, and its objects in the compact form as
    ``(kind, label, data)`` (data less ``type`` and ``label``)."""

    picture_pk: int
    status: str
    objects: list[tuple[str, str, dict[str, Any]]]
    image_qa: list[dict[str, str]]
    nb_instances: int | None
    duration: float | None
    extra: Mapping[str, Any]
    updated_at: datetime
    split: str | None


@dataclass(frozen=True, slots=True)
class AnnotationRecord:
    picture_id: uuid.UUID
    external_url: str
    width: int
    height: int
    digest: str
    status: str
    objects: list[dict[str, Any]]
    image_qa: list[dict[str, str]]
    nb_instances: int | None
    duration: float | None
    extra: Mapping[str, Any]
    updated_at: datetime
    split: str | None = None


@dataclass(frozen=True, slots=True)
class ExportItem:
    """A picture of a version and its annotation, as an export reads them."""

    external_url: str
    digest: str
    size: int
    width: int
    height: int
    #: ``None`` when the picture has no annotation in the version.
    status: str | None
    image_qa: list[dict[str, str]]
    nb_instances: int | None
    duration: float | None
    extra: dict[str, Any]
    #: ``(kind, label, data)``: data in the compact form less ``type`` and ``label``.
    objects: list[tuple[str, str, dict[str, Any]]]
    split: str | None = None
