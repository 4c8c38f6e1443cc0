"""A database with one organization, its user and a few pictures, for repository tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pixlake.clock import utcnow
from pixlake.entities.datalake import Picture
from pixlake.store.db.engine import Database
from pixlake.store.db.models import BlobRow
from pixlake.store.db.schema import ensure_schema


@dataclass
class Stocked:
    db: Database
    organization_id: uuid.UUID
    user_id: uuid.UUID
    #: The pictures' keys, by name.
    pictures: dict[str, int]


@pytest.fixture
def stocked(tmp_path: Path) -> Iterator[Stocked]:
    db = Database(f"sqlite:///{tmp_path / 'r.sqlite'}")
    ensure_schema(db)
    now = utcnow()
    with db.transaction() as tx:
        org = tx.accounts.add_organization("acme")
        user = tx.accounts.add_user("alice", default_organization_id=org.id)
        digest = "ab" * 32
        tx.session.add(
            BlobRow(digest=digest, size=10, media_type="image/jpeg", width=64, height=48)
        )
        tx.session.flush()
        stored = tx.pictures.add(
            org.id,
            [
                Picture(uuid.uuid4(), org.id, name, digest, 10, 64, 48, "sdk", now, ())
                for name in ("a.jpg", "b.jpg", "c.jpg")
            ],
        )
    yield Stocked(db, org.id, user.id, {name: pk for name, (pk, _at) in stored.items()})
    db.dispose()
