"""Engines and managed transactions.

``Database.transaction()`` and ``Database.read()`` are the only ways services reach the
database: each yields a ``UnitOfWork`` (the transaction's repositories), commits on success
and rolls back on any exception.  A repository maps the integrity violations of its own calls
to errors naming the resource; one that no call mapped becomes the domain error of its kind
here (``integrity_error``), never a raw database exception.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pixlake.store.db.repositories import integrity_error
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = ["Database", "make_engine"]


def make_engine(url: str, *, writer: bool = True) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout.

    On SQLite a *writer* engine opens its transactions with ``BEGIN IMMEDIATE`` so that
    concurrent writers queue on the busy timeout instead of failing half-way when a reader
    upgrades its lock; a reader engine opens plain deferred transactions, which WAL lets run
    beside a writer.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            _private_file(Path(path))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, open transactions (BEGIN IMMEDIATE below).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._reader = make_engine(url, writer=False) if url.startswith("sqlite") else self.engine
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._read_sessions = sessionmaker(self._reader, expire_on_commit=False, autoflush=False)

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """One read-write transaction: commit on success, roll back on any exception."""
        with self._run(self._sessions()) as session:
            yield UnitOfWork(session)

    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        """One read-only transaction (a consistent snapshot; never blocks a writer)."""
        with self._run(self._read_sessions()) as session:
            yield UnitOfWork(session)

    def ping(self) -> str:
        """One round trip to the database in a read-only transaction (raising when it does not
        answer); the name of its dialect ("sqlite", "postgresql")."""
        with self._run(self._read_sessions()) as session:
            session.connection().exec_driver_sql("SELECT 1")
        return self.engine.dialect.name

    @contextmanager
    def _run(self, session: Session) -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise integrity_error(exc) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        self._reader.dispose()


def _private_file(path: Path) -> None:
    """Create the SQLite file (and its folder) for its owner alone, before SQLite does with
    the process's umask; its ``-wal`` and ``-shm`` files take the database's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
