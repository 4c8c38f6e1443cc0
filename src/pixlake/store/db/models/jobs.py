"""Background jobs (imports, exports): their state, progress and outcome."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from pixlake.store.db.models.base import Base, UtcDateTime, timestamp


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_organization_id_created_at", "organization_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(50), nullable=False)
    #: The process running the job (``host:pid``), to tell an interrupted job from a live one.
    runner: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: queued | running | succeeded | failed
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="queued")
    #: The job's input, as the service that runs it expects it.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: A failed job's error: ``{"code", "detail", "errors"}`` as in a problem document.
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = timestamp()
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
