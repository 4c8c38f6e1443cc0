"""Migrations: they build exactly the schema the rows describe, and outdated databases are
refused until ``pixlake migrate`` upgrades them."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from pixlake.store.db.engine import Database
from pixlake.store.db.models import Base
from pixlake.store.db.schema import (
    OutdatedSchemaError,
    downgrade,
    ensure_schema,
    schema_state,
    upgrade,
)


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


WIRE_SHAPES = [
    {"rectangle": {"top": 2, "left": 1, "width": 10.5, "height": 4}, "qa": []},
    {
        "polygon": {
            "geometry": [{"x": 1, "y": 2}, {"x": 3.5, "y": 4}, {"x": 5, "y": 0}],
            "parts": [[{"x": 9, "y": 9}, {"x": 10, "y": 9}, {"x": 10, "y": 10}]],
        },
        "rectangle": {"top": 0, "left": 1, "width": 9, "height": 10},
        "qa": [{"question": "occluded?", "answer": "no"}],
        "area": 12.5,
        "score": 0.75,
        "extra": {"difficult": 1},
    },
    {"mask": {"size": [4, 6], "counts": "PPYo0"}, "qa": [], "iscrowd": True, "area": 3},
    {"qa": []},  # a classification
]


def _shape_data(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT data FROM shapes ORDER BY pk"))
        return [json.loads(data) for (data,) in rows]


def test_shapes_move_to_the_compact_form_and_back(db: Database) -> None:
    upgrade(db, "0004")
    # shapes alone, without their owners: a plain connection checks no foreign keys
    with contextlib.closing(sqlite3.connect(db.engine.url.database or "")) as plain, plain:
        plain.executemany(
            "INSERT INTO shapes (pk, annotation_pk, label_pk, kind, position, data) "
            "VALUES (?, 1, 1, 'polygon', ?, ?)",
            [(pk, pk, json.dumps(data)) for pk, data in enumerate(WIRE_SHAPES, start=1)],
        )
    upgrade(db)
    assert _shape_data(db) == [
        {"box": [1, 2, 10.5, 4]},
        {
            "box": [1, 0, 9, 10],
            "rings": [[1, 2, 3.5, 4, 5, 0], [9, 9, 10, 9, 10, 10]],
            "qa": [{"question": "occluded?", "answer": "no"}],
            "area": 12.5,
            "score": 0.75,
            "extra": {"difficult": 1},
        },
        {"mask": {"size": [4, 6], "counts": "PPYo0"}, "iscrowd": True, "area": 3},
        {},
    ]
    downgrade(db, "0004")
    assert _shape_data(db) == WIRE_SHAPES
