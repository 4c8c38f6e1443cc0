"""What every repository shares: its session, and integrity violations told apart.

A repository turns a violated constraint into the domain error of the call that violated it,
naming the resource: a duplicate name is ``AlreadyExistsError`` ("a dataset named 'cars'
exists"), a row that refers to something gone is ``ResourceNotFoundError``.  The database's
message is kept as the cause, never shown as the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pixlake.errors import (
    AlreadyExistsError,
    InvalidInputError,
    PicselliaError,
    ResourceNotFoundError,
)

__all__ = ["IntegrityKind", "Repository", "integrity_error", "integrity_kind"]

IntegrityKind = Literal["unique", "foreign_key", "not_null", "check", "other"]

#: SQLSTATE classes (PostgreSQL) and message prefixes (SQLite) of each kind of violation.
_SQLSTATES: dict[str, IntegrityKind] = {
    "23505": "unique",
    "23503": "foreign_key",
    "23502": "not_null",
    "23514": "check",
}
_SQLITE_MESSAGES: tuple[tuple[str, IntegrityKind], ...] = (
    ("UNIQUE constraint failed", "unique"),
    ("FOREIGN KEY constraint failed", "foreign_key"),
    ("NOT NULL constraint failed", "not_null"),
    ("CHECK constraint failed", "check"),
)


def integrity_kind(exc: IntegrityError) -> IntegrityKind:
    """Which kind of constraint ``exc`` violated, on SQLite and on PostgreSQL."""
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if isinstance(state, str) and state in _SQLSTATES:
        return _SQLSTATES[state]
    text = str(exc.orig)
    for prefix, kind in _SQLITE_MESSAGES:
        if text.startswith(prefix):
            return kind
    return "other"


class Repository:
    """A repository over one transaction's session (``UnitOfWork`` builds them)."""

    __slots__ = ("session",)

    def __init__(self, session: Session) -> None:
        self.session = session

    @contextmanager
    def _guard(
        self,
        *,
        exists: str | None = None,
        missing: str | None = None,
    ) -> Iterator[None]:
        """Map an integrity violation inside the block to the call's own error.

        ``exists`` is the message when a unique constraint fails ("a dataset named 'cars'
        already exists"), ``missing`` when a referenced row is gone.  The block's statements
        are flushed before it ends, so a violation surfaces here and not at commit.  Any other
        violation is left to the transaction, which rolls back and reports it by its kind
        (``integrity_error``).
        """
        try:
            yield
            self.session.flush()
        except IntegrityError as exc:
            kind = integrity_kind(exc)
            if kind == "unique" and exists is not None:
                raise AlreadyExistsError(exists) from exc
            if kind == "foreign_key" and missing is not None:
                raise ResourceNotFoundError(missing) from exc
            raise


def integrity_error(exc: IntegrityError) -> PicselliaError:
    """The domain error for a violation no repository call mapped: by its kind, never
    "already exists" for what is not a duplicate."""
    kind = integrity_kind(exc)
    first = str(exc.orig).splitlines()[0] if str(exc.orig) else kind
    if kind == "unique":
        return AlreadyExistsError(f"this would duplicate an existing record ({first})")
    if kind == "foreign_key":
        return ResourceNotFoundError(f"this refers to a record that no longer exists ({first})")
    return InvalidInputError(f"this breaks a rule of the stored data ({first})")
