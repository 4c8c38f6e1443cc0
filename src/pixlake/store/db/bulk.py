"""Portable bulk statements (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = ["chunked", "insert_ignore", "upsert"]

T = TypeVar("T")

#: Rows per statement: well under SQLite's bound-parameter limit for our widest rows.
CHUNK = 500


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(session: Session, table: Table) -> Any:
    """The dialect's ``INSERT`` with its ``ON CONFLICT`` clauses."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {dialect!r}")  # pragma: no cover


def insert_ignore(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows``, skipping those that would violate a unique constraint."""
    if not rows:
        return
    stmt = _insert(session, table).on_conflict_do_nothing()
    for part in chunked(rows):
        session.execute(stmt, list(part))


def upsert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str],
) -> None:
    """Insert ``rows``; a row whose ``keys`` exist already sets its ``update`` columns."""
    if not rows:
        return
    stmt = _insert(session, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in update}
    )
    for part in chunked(rows):
        session.execute(stmt, list(part))
