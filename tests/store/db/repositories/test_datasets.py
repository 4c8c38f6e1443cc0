"""The dataset repository names what a violated constraint was about, and finds versions
within one organization only."""

from __future__ import annotations

import uuid

import pytest

from pixlake.entities.datasets import StoredVersion
from pixlake.errors import AlreadyExistsError, ResourceNotFoundError
from pixlake.store.db.unit_of_work import UnitOfWork
from tests.store.db.repositories.conftest import Stocked


def _version(
    tx: UnitOfWork, stocked: Stocked, dataset_id: uuid.UUID, version: str
) -> StoredVersion:
    return tx.datasets.add_version(
        organization_id=stocked.organization_id,
        dataset_id=dataset_id,
        name="cars",
        version=version,
        description="",
        private=True,
        created_by=stocked.user_id,
    )


def test_a_second_dataset_of_the_same_name_is_named(stocked: Stocked) -> None:
    with stocked.db.transaction() as tx:
        tx.datasets.add_dataset(stocked.organization_id, "cars")
    with pytest.raises(AlreadyExistsError, match="a dataset named 'cars' already exists"):
        with stocked.db.transaction() as tx:
            tx.datasets.add_dataset(stocked.organization_id, "cars")


def test_a_second_version_of_the_same_name_is_named(stocked: Stocked) -> None:
    with stocked.db.transaction() as tx:
        dataset_id = tx.datasets.add_dataset(stocked.organization_id, "cars")
        first = _version(tx, stocked, dataset_id, "v1")
    with pytest.raises(AlreadyExistsError, match="dataset 'cars' already has a version 'v1'"):
        with stocked.db.transaction() as tx:
            _version(tx, stocked, dataset_id, "v1")
    with stocked.db.read() as tx:
        assert tx.datasets.version_named(dataset_id, None) == first
        assert tx.datasets.versions(stocked.organization_id) == [first]


def test_a_version_of_a_dataset_gone_is_not_found(stocked: Stocked) -> None:
    with pytest.raises(ResourceNotFoundError, match="no dataset named 'cars'"):
        with stocked.db.transaction() as tx:
            _version(tx, stocked, uuid.uuid4(), "v1")


def test_linking_a_picture_gone_is_not_found_not_a_duplicate(stocked: Stocked) -> None:
    with stocked.db.transaction() as tx:
        dataset_id = tx.datasets.add_dataset(stocked.organization_id, "cars")
        version = _version(tx, stocked, dataset_id, "v1")
        tx.datasets.link(version.pk, [stocked.pictures["a.jpg"]])
        tx.datasets.link(version.pk, [stocked.pictures["a.jpg"]])  # again: nothing new
        assert tx.datasets.size(version.pk) == 1
    with pytest.raises(ResourceNotFoundError, match="deleted from the datalake meanwhile"):
        with stocked.db.transaction() as tx:
            tx.datasets.link(version.pk, [max(stocked.pictures.values()) + 1])
    with stocked.db.read() as tx:
        assert tx.datasets.size(version.pk) == 1


def test_versions_are_found_in_their_organization_only(stocked: Stocked) -> None:
    with stocked.db.transaction() as tx:
        dataset_id = tx.datasets.add_dataset(stocked.organization_id, "cars")
        version = _version(tx, stocked, dataset_id, "v1")
        other = tx.accounts.add_organization("globex")
    with stocked.db.read() as tx:
        assert tx.datasets.version(stocked.organization_id, version.id) == version
        assert tx.datasets.version(other.id, version.id) is None
        assert tx.datasets.dataset_named(other.id, "cars") is None
        assert tx.datasets.versions(other.id) == []
