"""Projects and experiments: a project groups experiments over attached dataset versions.

An experiment holds file assets (references to blobs, never copies), data assets (JSON for
every type but ``line``, whose points are rows of ``line_points`` so that an append inserts
rows instead of rewriting the series, summarized by block in ``line_blocks``) and its run
log (numbered lines).
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
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from pixlake.store.db.models.base import Base, UtcDateTime, timestamp, utcnow


class ProjectRow(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    type: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at: Mapped[datetime] = timestamp()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, nullable=False)


class ProjectDatasetRow(Base):
    """A dataset version attached to a project."""

    __tablename__ = "project_datasets"

    project_pk: Mapped[int] = mapped_column(
        ForeignKey("projects.pk", ondelete="CASCADE"), primary_key=True
    )
    version_pk: Mapped[int] = mapped_column(
        ForeignKey("dataset_versions.pk", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = timestamp()


class ExperimentRow(Base):
    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("project_pk", "name"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False, default=uuid.uuid4)
    project_pk: Mapped[int] = mapped_column(
        ForeignKey("projects.pk", ondelete="CASCADE"), nullable=False
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(100), nullable=False, default="started")
    previous_pk: Mapped[int | None] = mapped_column(
        ForeignKey("experiments.pk", ondelete="SET NULL"), index=True
    )
    dataset_version_pk: Mapped[int | None] = mapped_column(
        ForeignKey("dataset_versions.pk", ondelete="SET NULL"), index=True
    )
    source_network_pk: Mapped[int | None] = mapped_column(
        ForeignKey("networks.pk", ondelete="SET NULL"), index=True
    )
    exit_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = timestamp()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, nullable=False)


class FileAssetRow(Base):
    __tablename__ = "file_assets"
    __table_args__ = (UniqueConstraint("experiment_pk", "name"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False, default=uuid.uuid4)
    experiment_pk: Mapped[int] = mapped_column(
        ForeignKey("experiments.pk", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    digest: Mapped[str] = mapped_column(
        ForeignKey("blobs.digest", ondelete="RESTRICT"), nullable=False, index=True
    )
    object_name: Mapped[str] = mapped_column(String(400), nullable=False)
    large: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = timestamp()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, nullable=False)


class DataAssetRow(Base):
    __tablename__ = "data_assets"
    __table_args__ = (UniqueConstraint("experiment_pk", "name"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, nullable=False, default=uuid.uuid4)
    experiment_pk: Mapped[int] = mapped_column(
        ForeignKey("experiments.pk", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    #: The data of every type but ``line`` (whose points are ``LinePointRow`` rows).
    data: Mapped[Any] = mapped_column(JSON, nullable=True)
    #: For ``line``: whether points carry x values (``{x, y}`` form).
    has_x: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = timestamp()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, nullable=False)


class LinePointRow(Base):
    """One point of a ``line`` data asset.  A non-finite y is ``value`` NULL and ``special``
    one of ``NaN``, ``Infinity``, ``-Infinity``."""

    __tablename__ = "line_points"

    asset_pk: Mapped[int] = mapped_column(
        ForeignKey("data_assets.pk", ondelete="CASCADE"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    special: Mapped[str | None] = mapped_column(String(9))
    x: Mapped[Any] = mapped_column(JSON, nullable=True)


class LineBlockRow(Base):
    """The summary of ``pixlake.store.db.lines.BLOCK`` consecutive points of a line (block
    ``block`` holds indexes ``block * BLOCK`` onwards): its first and last points, its lowest
    and highest, and the first index of each non-finite value; written with the points, so
    that a chart of a wide range reads blocks instead of points."""

    __tablename__ = "line_blocks"

    asset_pk: Mapped[int] = mapped_column(
        ForeignKey("data_assets.pk", ondelete="CASCADE"), primary_key=True
    )
    block: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_value: Mapped[float | None] = mapped_column(Float)
    first_special: Mapped[str | None] = mapped_column(String(9))
    last_idx: Mapped[int] = mapped_column(Integer, nullable=False)
    last_value: Mapped[float | None] = mapped_column(Float)
    last_special: Mapped[str | None] = mapped_column(String(9))
    low_idx: Mapped[int | None] = mapped_column(Integer)
    low: Mapped[float | None] = mapped_column(Float)
    high_idx: Mapped[int | None] = mapped_column(Integer)
    high: Mapped[float | None] = mapped_column(Float)
    nan_idx: Mapped[int | None] = mapped_column(Integer)
    inf_idx: Mapped[int | None] = mapped_column(Integer)
    ninf_idx: Mapped[int | None] = mapped_column(Integer)


class LogLineRow(Base):
    """One numbered line of an experiment's run log."""

    __tablename__ = "log_lines"

    experiment_pk: Mapped[int] = mapped_column(
        ForeignKey("experiments.pk", ondelete="CASCADE"), primary_key=True
    )
    line_nb: Mapped[int] = mapped_column(Integer, primary_key=True)
    part: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    text: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = timestamp()
