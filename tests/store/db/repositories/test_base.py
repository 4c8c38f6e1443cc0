"""Integrity violations are told apart and named: a duplicate is "already exists", a
reference to something gone is "not found", on the call that made them or at commit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from pixlake.errors import AlreadyExistsError, ResourceNotFoundError
from pixlake.store.db.engine import Database
from pixlake.store.db.models import MembershipRow
from pixlake.store.db.schema import ensure_schema


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'r.sqlite'}")
    ensure_schema(database)
    yield database
    database.dispose()


def test_a_duplicate_is_named_by_the_call(db: Database) -> None:
    with db.transaction() as tx:
        tx.accounts.add_organization("acme")
    with pytest.raises(AlreadyExistsError, match="an organization named 'acme' already exists"):
        with db.transaction() as tx:
            tx.accounts.add_organization("acme")
    with db.read() as tx:
        assert tx.accounts.organization_named("acme") is not None


def test_a_missing_reference_is_not_found_not_a_duplicate(db: Database) -> None:
    gone = uuid.uuid4()
    with pytest.raises(ResourceNotFoundError, match=f"no organization {gone}"):
        with db.transaction() as tx:
            tx.accounts.add_user("alice", default_organization_id=gone)
    with db.read() as tx:
        assert tx.accounts.user_named("alice") is None


def test_a_violation_no_call_mapped_is_reported_by_its_kind(db: Database) -> None:
    with pytest.raises(ResourceNotFoundError, match="refers to a record that no longer exists"):
        with db.transaction() as tx:
            tx.session.execute(
                insert(MembershipRow).values(
                    user_id=uuid.uuid4(), organization_id=uuid.uuid4(), role="owner"
                )
            )
    with db.transaction() as tx:
        org = tx.accounts.add_organization("acme")
        user = tx.accounts.add_user("alice", default_organization_id=org.id)
        tx.accounts.set_role(user.id, org.id, "owner")
    with pytest.raises(AlreadyExistsError, match="duplicate an existing record"):
        with db.transaction() as tx:
            tx.session.execute(
                insert(MembershipRow).values(user_id=user.id, organization_id=org.id, role="member")
            )
