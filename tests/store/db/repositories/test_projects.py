"""What the project repository does beyond the services' tests: violations named."""

from __future__ import annotations

import uuid

import pytest

from pixlake.clock import utcnow
from pixlake.errors import AlreadyExistsError, ResourceNotFoundError
from tests.store.db.repositories.conftest import Seed


def test_a_duplicate_project_name_is_named(seed: Seed) -> None:
    with pytest.raises(AlreadyExistsError, match="a project named 'street' already exists"):
        with seed.db.transaction() as tx:
            tx.projects.add(
                seed.organization_id,
                owner_id=seed.user_id,
                name="street",
                description="",
                type="",
                at=utcnow(),
            )
    with seed.db.transaction() as tx:
        other = tx.projects.add(
            seed.organization_id,
            owner_id=seed.user_id,
            name="road",
            description="",
            type="",
            at=utcnow(),
        )
    with pytest.raises(AlreadyExistsError, match="a project named 'street' already exists"):
        with seed.db.transaction() as tx:
            tx.projects.update(other.pk, {"name": "street"}, at=utcnow())
    with seed.db.read() as tx:
        assert tx.projects.get(other.pk).name == "road"


def test_a_project_of_no_organization_is_not_found(seed: Seed) -> None:
    gone = uuid.uuid4()
    with pytest.raises(ResourceNotFoundError, match=f"no organization {gone}"):
        with seed.db.transaction() as tx:
            tx.projects.add(
                gone, owner_id=seed.user_id, name="x", description="", type="", at=utcnow()
            )


def test_find_takes_an_id_or_a_name(seed: Seed) -> None:
    with seed.db.read() as tx:
        by_pk = tx.projects.get(seed.project_pk)
        assert tx.projects.find(seed.organization_id, "street") == by_pk
        assert tx.projects.find(seed.organization_id, by_pk.id) == by_pk
        assert tx.projects.find(seed.organization_id, str(by_pk.id)) == by_pk
        assert tx.projects.find(uuid.uuid4(), "street") is None
