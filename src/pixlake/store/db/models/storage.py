"""Object storage as S3 clients see it: keys in buckets, and the signed URLs that move bytes.

pixlake stores bytes by digest (``blobs``); a client written for S3 names them by key and
sends them to short-lived signed URLs. ``storage_objects`` maps an organization's keys to
the blobs sent under them; ``storage_tickets`` holds each signed URL handed out (by the
SHA-256 of its token: the token itself is never stored), bound to one method, object, size
limit and expiry, and used once; ``storage_uploads`` holds a multipart upload under way,
whose parts are the part tickets used for it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pixlake.store.db.models.base import Base, UtcDateTime, timestamp


class StorageObjectRow(Base):
    """Bytes an organization sent under a key of a bucket (the last sent, when many were)."""

    __tablename__ = "storage_objects"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    bucket: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(1024), primary_key=True)
    #: A key names bytes without keeping them: what refers to them (a picture, a file)
    #: keeps them, and a key whose bytes are collected goes with them.
    digest: Mapped[str] = mapped_column(
        ForeignKey("blobs.digest", ondelete="CASCADE"),
        nullable=False,
        index=True,
        info={"keeps_blob": False},
    )
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = timestamp()


class StorageUploadRow(Base):
    """A multipart upload under way: parts sent one by one, then completed into an object."""

    __tablename__ = "storage_uploads"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    bucket: Mapped[str] = mapped_column(String(10), nullable=False)
    key: Mapped[str] = mapped_column(String(1024), nullable=False)
    created_at: Mapped[datetime] = timestamp()
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)


class StorageTicketRow(Base):
    """A signed storage URL: what it lets its bearer do, once, until it expires."""

    __tablename__ = "storage_tickets"

    #: The SHA-256 (hex) of the URL's token.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    method: Mapped[str] = mapped_column(String(6), nullable=False)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    bucket: Mapped[str] = mapped_column(String(10), nullable=False)
    key: Mapped[str] = mapped_column(String(1024), nullable=False)
    #: The bytes a download sends, or those a part upload received.
    digest: Mapped[str | None] = mapped_column(
        ForeignKey("blobs.digest", ondelete="CASCADE"), index=True, info={"keeps_blob": False}
    )
    max_size: Mapped[int | None] = mapped_column(BigInteger)
    upload_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("storage_uploads.id", ondelete="CASCADE"), index=True
    )
    part_no: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int | None] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
