"""Networks (the model registry): a network, its stored files and its tags.

A network belongs to one organization and is named uniquely there.  Its files and its
thumbnail are references to blobs (bytes are never copied); its label map and base
parameters are JSON.  A public network (``private`` false) is readable by every organization.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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


class NetworkRow(Base):
    __tablename__ = "networks"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        Index("ix_networks_organization_id_pk", "organization_id", "pk"),
        Index("ix_networks_private_pk", "private", "pk"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    type: Mapped[str] = mapped_column(String(100), nullable=False)
    framework: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    private: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    readme_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: Index (a string, from "1") to label name.
    labels: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    base_parameters: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    #: The thumbnail made by the server (bounded size), and the image it was made from.
    thumbnail_digest: Mapped[str | None] = mapped_column(
        ForeignKey("blobs.digest", ondelete="RESTRICT"), index=True
    )
    thumbnail_original_digest: Mapped[str | None] = mapped_column(
        ForeignKey("blobs.digest", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = timestamp()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, nullable=False)


class NetworkFileRow(Base):
    """A stored file of a network: a name (``model-latest``, ``config``…) and its bytes."""

    __tablename__ = "network_files"

    network_pk: Mapped[int] = mapped_column(
        ForeignKey("networks.pk", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    digest: Mapped[str] = mapped_column(
        ForeignKey("blobs.digest", ondelete="RESTRICT"), nullable=False, index=True
    )
    #: The stored file's own name (``best.pt``, ``saved_model.zip``): its object key ends
    #: with it, and a download writes it.
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[datetime] = timestamp()


class NetworkTagRow(Base):
    __tablename__ = "network_tags"

    network_pk: Mapped[int] = mapped_column(
        ForeignKey("networks.pk", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    #: The tags' order, as the user gave them.
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
