"""Migration 0013 on a database made at 0012: stored files get back the names of the files
they were uploaded from where the database still has them (a key the same bytes were
uploaded under), keep the asset's name elsewhere, and lose them again on the way down."""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from pixlake.store.db.engine import Database
from pixlake.store.db.schema import downgrade, upgrade

ORG = uuid.uuid4()
RUN = uuid.uuid4()
NET = uuid.uuid4()
AT = "2026-12-01 10:00:00.000000"
ONE, TWO, THREE, FOUR = ("1" * 64, "2" * 64, "3" * 64, "4" * 64)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'test.sqlite'}")
    yield database
    database.dispose()


def _stored_at_0012(db: Database) -> None:
    upgrade(db, "0012")
    with contextlib.closing(sqlite3.connect(db.engine.url.database or "")) as plain, plain:
        plain.execute("INSERT INTO organizations VALUES (?, 'acme', ?)", (ORG.hex, AT))
        plain.executemany(
            "INSERT INTO blobs (digest, size, media_type, created_at) "
            "VALUES (?, 1, 'application/octet-stream', ?)",
            [(d, AT) for d in (ONE, TWO, THREE, FOUR)],
        )
        plain.execute(
            "INSERT INTO projects (pk, id, organization_id, name, description, type, "
            "created_at, updated_at) VALUES (1, ?, ?, 'p', '', '', ?, ?)",
            (uuid.uuid4().hex, ORG.hex, AT, AT),
        )
        plain.execute(
            "INSERT INTO experiments (pk, id, project_pk, name, description, status, "
            "created_at, updated_at) VALUES (1, ?, 1, 'run', '', 'started', ?, ?)",
            (RUN.hex, AT, AT),
        )
        plain.executemany(
            "INSERT INTO file_assets (pk, id, experiment_pk, name, digest, object_name, large, "
            "created_at, updated_at) VALUES (?, ?, 1, ?, ?, ?, 0, ?, ?)",
            [
                (1, uuid.uuid4().hex, "weights", ONE, f"{RUN}/weights", AT, AT),
                (2, uuid.uuid4().hex, "model-latest", TWO, f"{RUN}/0/model-latest", AT, AT),
                (3, uuid.uuid4().hex, "notes", THREE, f"{RUN}/notes", AT, AT),
            ],
        )
        plain.execute(
            "INSERT INTO networks (pk, id, organization_id, name, type, framework, private, "
            "description, readme_text, labels, base_parameters, created_at, updated_at) "
            "VALUES (1, ?, ?, 'net', 'detection', '', 1, '', '', '{}', '{}', ?, ?)",
            (NET.hex, ORG.hex, AT, AT),
        )
        plain.executemany(
            "INSERT INTO network_files (network_pk, name, digest, created_at) VALUES (1, ?, ?, ?)",
            [("model-latest", FOUR, AT), ("config", THREE, AT)],
        )
        # what the upstream client uploaded: the bytes of two files under their own names,
        # and other bytes (or a deeper key) that name no file
        plain.executemany(
            "INSERT INTO storage_objects VALUES (?, 'models', ?, ?, 1, ?)",
            [
                (ORG.hex, f"{RUN}/best.pt", ONE, AT),
                (ORG.hex, f"{RUN}/0/saved_model.zip", TWO, AT),
                (ORG.hex, f"{RUN}/sub/notes.txt", THREE, AT),
                (ORG.hex, f"{NET}/0/final.pt", FOUR, AT),
                (ORG.hex, f"{NET}/other.yaml", ONE, AT),
            ],
        )


def _keys(db: Database) -> dict[str, str]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, object_name FROM file_assets")).all()
    return {str(name): str(key) for name, key in rows}


def test_file_names_come_back_where_the_uploads_keep_them(db: Database) -> None:
    _stored_at_0012(db)
    upgrade(db)
    assert _keys(db) == {
        "weights": f"{RUN}/best.pt",
        "model-latest": f"{RUN}/0/saved_model.zip",
        "notes": f"{RUN}/notes",  # stored by digest: no file name to recover
    }
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, file_name FROM network_files")).all()
    names = {str(name): str(file_name) for name, file_name in rows}
    assert names == {"model-latest": "final.pt", "config": "config"}
    with db.read() as tx:
        net = tx.networks.record(1)
        assert {f.name: f.object_name for f in net.files} == {
            "model-latest": f"{NET}/0/final.pt",
            "config": f"{NET}/config",
        }

    downgrade(db, "0012")
    assert _keys(db) == {
        "weights": f"{RUN}/weights",
        "model-latest": f"{RUN}/0/model-latest",
        "notes": f"{RUN}/notes",
    }
    with db.engine.connect() as conn:
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(network_files)"))]
    assert "file_name" not in columns
