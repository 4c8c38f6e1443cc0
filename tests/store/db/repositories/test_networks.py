"""What the network repository does beyond the services' tests: violations named, files
and thumbnails referring to bytes that must exist, pages continued by key."""

from __future__ import annotations

import pytest

from pixlake.clock import utcnow
from pixlake.errors import AlreadyExistsError, ResourceNotFoundError
from pixlake.store.db.repositories import HubFilter, StoredNetwork
from tests.store.db.repositories.conftest import Seed, add_blob


def network(seed: Seed, name: str) -> StoredNetwork:
    with seed.db.transaction() as tx:
        return tx.networks.add(
            seed.organization_id, owner_id=seed.user_id, name=name, type="detection", at=utcnow()
        )


def test_a_duplicate_network_name_is_named(seed: Seed) -> None:
    network(seed, "yolo")
    with pytest.raises(AlreadyExistsError, match="a network named 'yolo' already exists"):
        network(seed, "yolo")
    other = network(seed, "rcnn")
    with pytest.raises(AlreadyExistsError, match="a network named 'yolo' already exists"):
        with seed.db.transaction() as tx:
            tx.networks.update(other.pk, {"name": "yolo"}, at=utcnow())


def test_files_and_thumbnails_need_their_bytes(seed: Seed) -> None:
    made = network(seed, "yolo")
    with pytest.raises(ResourceNotFoundError, match="are gone from the store"):
        with seed.db.transaction() as tx:
            tx.networks.put_file(made.pk, "weights", "c" * 64, at=utcnow())
    with pytest.raises(ResourceNotFoundError, match="thumbnail's bytes are gone"):
        with seed.db.transaction() as tx:
            tx.networks.set_thumbnail(made.pk, digest="c" * 64, original="c" * 64, at=utcnow())
    add_blob(seed.db, "c" * 64)
    with seed.db.transaction() as tx:
        tx.networks.put_file(made.pk, "weights", "c" * 64, at=utcnow())
    with seed.db.read() as tx:
        assert tx.networks.file_digest(made.pk, "weights") == "c" * 64
        assert [f.object_name for f in tx.networks.record(made.pk).files] == [f"{made.id}/weights"]


def test_pages_continue_after_the_last_key_and_the_hub_shows_public_ones(seed: Seed) -> None:
    made = [network(seed, f"net-{i}") for i in range(3)]
    with seed.db.transaction() as tx:
        tx.networks.update(made[1].pk, {"private": False}, at=utcnow())
        tx.networks.set_tags(made[1].pk, ["cars", "yolo"])
    with seed.db.read() as tx:
        first, count, last = tx.networks.page(
            organization_id=seed.organization_id, after=0, limit=2
        )
        assert ([n.name for n in first], count, last) == (["net-0", "net-1"], 3, made[1].pk)
        rest, _count, last = tx.networks.page(
            organization_id=seed.organization_id, after=made[1].pk, limit=2
        )
        assert ([n.name for n in rest], last) == (["net-2"], None)
        hub, count, _last = tx.networks.page(hub=HubFilter(tag="cars"), after=0, limit=10)
        assert ([n.name for n in hub], count) == (["net-1"], 1)
        assert hub[0].tags == ("cars", "yolo")
        assert tx.networks.publishing_organization("acme") is not None
        assert tx.networks.publishing_organization(str(seed.organization_id)) is not None
