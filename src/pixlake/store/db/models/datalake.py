"""Blobs, the organizations that hold them, pictures and tags."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from pixlake.store.db.models.base import Base, timestamp


class BlobRow(Base):
    """Bytes known to the blob store, by SHA-256.  Shared by every organization."""

    __tablename__ = "blobs"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    media_type: Mapped[str] = mapped_column(String(100), nullable=False)
    #: Pixel size when the bytes are a decodable image, else NULL.
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = timestamp()


class OrganizationBlobRow(Base):
    """An organization has uploaded these bytes, and so may reference and read them.

    Bytes are stored once, but each organization proves it holds them by sending them:
    knowing a digest is not enough to read or to reference a blob.
    """

    __tablename__ = "organization_blobs"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(
        ForeignKey("blobs.digest", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = timestamp()


class PictureRow(Base):
    __tablename__ = "pictures"
    __table_args__ = (
        UniqueConstraint("organization_id", "external_url"),
        Index("ix_pictures_organization_id_pk", "organization_id", "pk"),
        Index("ix_pictures_organization_id_source", "organization_id", "source"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    digest: Mapped[str] = mapped_column(
        ForeignKey("blobs.digest", ondelete="RESTRICT"), nullable=False, index=True
    )
    external_url: Mapped[str] = mapped_column(String(255), nullable=False)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str] = mapped_column(String(100), nullable=False, default="sdk")
    created_at: Mapped[datetime] = timestamp()


class TagRow(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)


class PictureTagRow(Base):
    __tablename__ = "picture_tags"
    __table_args__ = (Index("ix_picture_tags_tag_pk_picture_pk", "tag_pk", "picture_pk"),)

    picture_pk: Mapped[int] = mapped_column(
        ForeignKey("pictures.pk", ondelete="CASCADE"), primary_key=True
    )
    tag_pk: Mapped[int] = mapped_column(ForeignKey("tags.pk", ondelete="CASCADE"), primary_key=True)


class ThumbnailRow(Base):
    """The small picture made once from an image blob, for grids: itself a blob.

    The source column does not keep its blob: a thumbnail is kept for its source, not the
    other way round, so garbage collection (``repositories.blobs``) does not count it, and the
    row goes with the source's record.
    """

    __tablename__ = "thumbnails"

    source_digest: Mapped[str] = mapped_column(
        ForeignKey("blobs.digest", ondelete="CASCADE"),
        primary_key=True,
        info={"keeps_blob": False},
    )
    digest: Mapped[str] = mapped_column(
        ForeignKey("blobs.digest", ondelete="RESTRICT"), nullable=False, index=True
    )
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = timestamp()
