"""Blobs and grants: recording is idempotent, a grant to an organization that is gone is
"not found" (naming it), and what the whole-store questions of gc and fsck answer (the
damage fsck finds is made and checked in tests/core/test_fsck.py)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from pixlake.clock import utcnow
from pixlake.entities.accounts import Organization
from pixlake.entities.datalake import BlobEntity
from pixlake.errors import ResourceNotFoundError
from pixlake.store.db.engine import Database
from pixlake.store.db.schema import ensure_schema


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'r.sqlite'}")
    ensure_schema(database)
    yield database
    database.dispose()


def _blob(data: bytes, media_type: str = "application/octet-stream") -> BlobEntity:
    return BlobEntity(hashlib.sha256(data).hexdigest(), len(data), media_type, None, None)


def _org(db: Database, name: str) -> Organization:
    with db.transaction() as tx:
        return tx.accounts.add_organization(name)


def test_recording_is_idempotent_and_grants_per_organization(db: Database) -> None:
    acme, globex = _org(db, "acme"), _org(db, "globex")
    first, second = _blob(b"one"), _blob(b"two")
    with db.transaction() as tx:
        tx.blobs.add(acme.id, [first, second])
    with db.transaction() as tx:  # again, and described otherwise: the first record stays
        tx.blobs.add(acme.id, [BlobEntity(first.digest, first.size, "image/png", 1, 1)])
        tx.blobs.add(globex.id, [second])
    with db.read() as tx:
        assert tx.blobs.described(acme.id, [first.digest, second.digest]) == {
            first.digest: first,
            second.digest: second,
        }
        assert tx.blobs.description(acme.id, first.digest) == first
        assert tx.blobs.description(globex.id, first.digest) is None
        assert tx.blobs.granted(globex.id, [first.digest, second.digest]) == {second.digest}
        assert tx.blobs.holds(globex.id, second.digest)
        assert not tx.blobs.holds(globex.id, first.digest)
        assert tx.blobs.recorded([first.digest, "0" * 64]) == {first.digest}


def test_a_grant_to_an_organization_that_is_gone_is_not_found(db: Database) -> None:
    gone = uuid.uuid4()
    blob = _blob(b"orphan")
    with pytest.raises(ResourceNotFoundError, match=f"no organization {gone}"):
        with db.transaction() as tx:
            tx.blobs.add(gone, [blob])
    with db.read() as tx:  # nothing of the call stayed
        assert tx.blobs.recorded([blob.digest]) == set()


def test_records_page_in_digest_order(db: Database) -> None:
    acme = _org(db, "acme")
    blobs = sorted((_blob(bytes([i])) for i in range(5)), key=lambda b: b.digest)
    with db.transaction() as tx:
        tx.blobs.add(acme.id, blobs)
    with db.read() as tx:
        first = tx.blobs.records_after("", limit=3)
        rest = tx.blobs.records_after(first[-1][0], limit=3)
    assert first + rest == [(b.digest, b.size) for b in blobs]


def test_what_nothing_refers_to_is_told_by_age(db: Database) -> None:
    acme = _org(db, "acme")
    blob = _blob(b"unreferred")
    with db.transaction() as tx:
        tx.blobs.add(acme.id, [blob])
    later, earlier = utcnow() + timedelta(hours=1), utcnow() - timedelta(hours=1)
    with db.read() as tx:
        assert not tx.blobs.referred(blob.digest)
        assert tx.blobs.unreferred_grants(before=later) == [blob.digest]
        assert tx.blobs.unreferred_grants(before=earlier) == []
        assert tx.blobs.unreferred_records(before=later) == [blob.digest]
        # a grant made since the cut-off keeps the record
        assert tx.blobs.unreferred_records(before=earlier) == []
    with db.transaction() as tx:
        tx.blobs.delete_grants([blob.digest], before=earlier)  # too young: stays
        assert tx.blobs.granted(acme.id, [blob.digest]) == {blob.digest}
        tx.blobs.delete_grants([blob.digest], before=later)
        tx.blobs.delete_records([blob.digest])
    with db.read() as tx:
        assert tx.blobs.recorded([blob.digest]) == set()
