"""A fresh database for each repository test, and an organization with a user in it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pixlake.clock import utcnow
from pixlake.store.db.engine import Database
from pixlake.store.db.models import BlobRow
from pixlake.store.db.schema import ensure_schema


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
