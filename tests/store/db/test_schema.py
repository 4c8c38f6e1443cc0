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

from pixlake.store.db import lines
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


def test_lines_stored_before_their_blocks_are_summarized(db: Database) -> None:
    upgrade(db, "0010")
    lines_of: dict[int, list[float | str]] = {
        1: [float(i % 7) for i in range(3 * lines.BLOCK + 5)],
        2: ["NaN", 4.0, "-Infinity", 1.0],
    }
    # lines without their experiments: a plain connection checks no foreign keys
    with contextlib.closing(sqlite3.connect(db.engine.url.database or "")) as plain, plain:
        plain.executemany(
            "INSERT INTO data_assets (pk, id, experiment_pk, name, type, has_x, created_at, "
            "updated_at) VALUES (?, ?, 1, ?, 'line', 0, '2026-01-01', '2026-01-01')",
            [(asset, f"{asset:032x}", f"line{asset}") for asset in lines_of],
        )
        plain.executemany(
            "INSERT INTO line_points (asset_pk, idx, value, special) VALUES (?, ?, ?, ?)",
            [
                (asset, i, None if isinstance(y, str) else y, y if isinstance(y, str) else None)
                for asset, ys in lines_of.items()
                for i, y in enumerate(ys)
            ],
        )
    upgrade(db)
    columns = ", ".join(lines.COLUMNS)
    with db.engine.connect() as conn:
        for asset, ys in lines_of.items():
            stored = conn.execute(
                text(f"SELECT {columns} FROM line_blocks WHERE asset_pk = {asset} ORDER BY block")
            ).all()
            assert [dict(zip(lines.COLUMNS, row, strict=True)) for row in stored] == [
                lines.summarize(start, ys[start : start + lines.BLOCK]).block_row()
                for start in range(0, len(ys), lines.BLOCK)
            ]
