"""Migrations: they build exactly the schema the rows describe, and outdated databases are
refused until ``pixlake migrate`` upgrades them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from pixlake.store.db.engine import Database
from pixlake.store.db.models import Base
from pixlake.store.db.schema import OutdatedSchemaError, ensure_schema, schema_state, upgrade


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'test.sqlite'}")
    yield database
    database.dispose()


def test_new_database_is_created_at_head(db: Database) -> None:
    state = ensure_schema(db)
    assert state.up_to_date
    assert state.current == state.head


def test_migrations_match_the_rows(db: Database) -> None:
    upgrade(db)
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_outdated_database_is_refused_then_upgraded(db: Database) -> None:
    upgrade(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    with pytest.raises(OutdatedSchemaError, match="pixlake migrate"):
        ensure_schema(db)


def test_foreign_tables_without_version_are_refused(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE stranger (id INTEGER)"))
    with pytest.raises(OutdatedSchemaError, match="no pixlake schema version"):
        ensure_schema(db)
    assert schema_state(db).current is None
