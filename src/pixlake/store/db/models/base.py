"""The declarative base and column helpers shared by every row module.

Rows never leave ``pixlake.store`` and the services: the API and the SDK see entities and
wire schemas.  Tables that hold many rows (pictures, tags, annotations) use an integer
surrogate key ``pk`` for joins and keyset pagination and expose a UUID4 ``id``; every row
that belongs to an organization carries ``organization_id``, and queries filter on it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "timestamp", "utcnow"]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def timestamp() -> Mapped[datetime]:
    """A non-null, timezone-aware creation time defaulting to now (UTC)."""
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
