"""Datasets, their versions, the pictures in each version, labels and annotations.

A version is a set of pictures plus its labels and annotations.  ``new_version`` copies rows
(never bytes).  A picture has at most one annotation per version, made of shapes; each shape
references a label of that version.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from pixlake.store.db.models.base import Base, UtcDateTime, timestamp, utcnow


class DatasetRow(Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    created_at: Mapped[datetime] = timestamp()


class DatasetVersionRow(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False, default=uuid.uuid4)
    dataset_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    private: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    #: Format-level metadata kept from an import for lossless exports (COCO info, licenses).
    info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: The version this one was copied from (NULL for a first version, or once it is deleted).
    created_from_pk: Mapped[int | None] = mapped_column(
        ForeignKey("dataset_versions.pk", ondelete="SET NULL")
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = timestamp()


class VersionPictureRow(Base):
    __tablename__ = "version_pictures"
    __table_args__ = (Index("ix_version_pictures_picture_pk", "picture_pk"),)

    version_pk: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.pk", ondelete="CASCADE"), primary_key=True
    )
    picture_pk: Mapped[int] = mapped_column(
        ForeignKey("pictures.pk", ondelete="CASCADE"), primary_key=True
    )


class LabelRow(Base):
    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("version_pk", "name"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_pk: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.pk", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    #: rectangle | polygon | classification
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    #: Order of creation: exports number labels by it, so ids are stable between exports.
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    #: Format-level leftovers kept for lossless round trips (COCO id, supercategory, ...).
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AnnotationRow(Base):
    __tablename__ = "annotations"
    __table_args__ = (
        UniqueConstraint("version_pk", "picture_pk"),
        Index("ix_annotations_picture_pk", "picture_pk"),
        Index("ix_annotations_version_pk_status", "version_pk", "status"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_pk: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.pk", ondelete="CASCADE"), nullable=False
    )
    picture_pk: Mapped[int] = mapped_column(
        ForeignKey("pictures.pk", ondelete="CASCADE"), nullable=False
    )
    #: pending | accepted | rejected | review
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    #: The part of the dataset the picture is in (train, val...), NULL for none.
    split: Mapped[str | None] = mapped_column(String(64))
    image_qa: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    nb_instances: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float | None] = mapped_column(Float)
    #: Format-level leftovers of the image (COCO image id, license, ...).
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = timestamp()
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class ShapeRow(Base):
    """One object of an annotation: a box, polygon(s), a mask, or a classification."""

    __tablename__ = "shapes"
    __table_args__ = (
        Index("ix_shapes_annotation_pk", "annotation_pk"),
        Index("ix_shapes_label_pk", "label_pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    annotation_pk: Mapped[int] = mapped_column(
        ForeignKey("annotations.pk", ondelete="CASCADE"), nullable=False
    )
    label_pk: Mapped[int] = mapped_column(
        ForeignKey("labels.pk", ondelete="CASCADE"), nullable=False
    )
    #: classification | rectangle | polygon | mask
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    #: Order of the object within its annotation.
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    #: The object in pixlake's compact form (``pixlake.formats.compact``), less ``type`` and
    #: ``label``: ``box``, ``rings``, ``mask``, ``qa``, ``iscrowd``, ``area``...
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
