"""Fresh databases for the repository tests: one with an organization, its user and a few
pictures (``stocked``), one with an organization, its user and a project (``seed``)."""

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


@dataclass(frozen=True)
class Seed:
    db: Database
    organization_id: uuid.UUID
    user_id: uuid.UUID
    project_pk: int


@pytest.fixture
def seed(tmp_path: Path) -> Iterator[Seed]:
    db = Database(f"sqlite:///{tmp_path / 'r.sqlite'}")
    ensure_schema(db)
    with db.transaction() as tx:
        org = tx.accounts.add_organization("acme")
        user = tx.accounts.add_user("alice", default_organization_id=org.id)
        project = tx.projects.add(
            org.id, owner_id=user.id, name="street", description="", type="", at=utcnow()
        )
    yield Seed(db, org.id, user.id, project.pk)
    db.dispose()


def add_blob(db: Database, digest: str, size: int = 3) -> None:
    """A blob row (the bytes themselves are not the repositories' concern)."""
    with db.transaction() as tx:
        tx.session.add(BlobRow(digest=digest, size=size, media_type="application/octet-stream"))
