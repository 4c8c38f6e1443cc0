"""The declarative base and column helpers shared by every row module.

Rows never leave ``pixlake.store`` and the services: the API and the SDK see entities and
wire schemas.  Tables that hold many rows (pictures, tags, annotations) use an integer
surrogate key ``pk`` for joins and keyset pagination and expose a UUID4 ``id``; every row
that belongs to an organization carries ``organization_id``, and queries filter on it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from pixlake.clock import utcnow

__all__ = ["Base", "UtcDateTime", "timestamp", "utcnow"]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database.

    PostgreSQL keeps the zone (``timestamptz``); SQLite stores text without one, so values read
    back are marked UTC here (pixlake only ever writes UTC).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: pixlake stores UTC times only")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value  # type: ignore[no-any-return]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def timestamp() -> Mapped[datetime]:
    """A non-null, timezone-aware creation time defaulting to now (UTC)."""
    return mapped_column(UtcDateTime(), default=utcnow, nullable=False)
