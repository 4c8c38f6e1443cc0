"""Fixtures shared by the service-level tests: a database and a store, two organizations."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pixlake.core import accounts, blobs
from pixlake.entities.accounts import Caller
from pixlake.store.blobs import LocalBlobStore
from pixlake.store.db.engine import Database
from pixlake.store.db.schema import ensure_schema


@dataclass
class World:
    db: Database
    store: LocalBlobStore
    alice: Caller
    bob: Caller

    def put(self, caller: Caller, data: bytes) -> str:
        """Send bytes as ``caller``'s organization would (a verified, granted blob)."""
        writer = self.store.writer()
        writer.write(data)
        digest = hashlib.sha256(data).hexdigest()
        blobs.finish_upload(
            self.db,
            self.store,
            caller,
            caller.default_organization.id,
            writer=writer,
            expected_digest=digest,
        )
        return digest


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    db = Database(f"sqlite:///{tmp_path / 'n.sqlite'}")
    ensure_schema(db)
    a, _ = accounts.create_token(db, "alice", organization="acme")
    b, _ = accounts.create_token(db, "bob", organization="globex")
    yield World(
        db,
        LocalBlobStore(tmp_path / "blobs"),
        accounts.authenticate(db, a),
        accounts.authenticate(db, b),
    )
    db.dispose()
