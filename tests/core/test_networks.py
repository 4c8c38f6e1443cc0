"""Networks at the service level: validation, visibility across organizations, files as blob
references, thumbnails, the hub, and composing large blobs from parts."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable

import pytest
from PIL import Image
from sqlalchemy import func, select

from pixlake.core import accounts, blobs, networks
from pixlake.entities.networks import Network
from pixlake.errors import (
    AlreadyExistsError,
    ForbiddenError,
    InvalidInputError,
    PayloadTooLargeError,
    ResourceNotFoundError,
)
from pixlake.schemas.networks import check_labels
from pixlake.store.db.models import BlobRow, MembershipRow, NetworkFileRow
from tests.conftest import make_image
from tests.core.conftest import World


def create(w: World, name: str = "yolo-cars") -> Network:
    return networks.create_network(
        w.db, w.alice, w.alice.default_organization.id, name=name, type="detection"
    )


def png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (10, 200, 30, 128) if mode == "RGBA" else (10, 200, 30)).save(
        buffer, "PNG"
    )
    return buffer.getvalue()


# --------------------------------------------------------------------------- labels


def test_label_maps_are_ordered_by_index() -> None:
    assert list(check_labels({"2": "bus", "1": "car"}).items()) == [("1", "car"), ("2", "bus")]
    assert check_labels({}) == {}


@pytest.mark.parametrize(
    ("labels", "field", "words"),
    [
        ({"0": "car"}, "labels['0']", "start at"),
        ({"1": "car", "3": "bus"}, "labels", 'missing "2"'),
        ({"1": "car", "2": 7}, "labels['2']", "not int"),
        ({"one": "car"}, "labels['one']", "index as a string"),
        ({"01": "car"}, "labels['01']", "leading zeros"),
        ({"1": "  "}, "labels['1']", "label name"),
    ],
)
def test_bad_label_maps_name_the_key(labels: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_labels(labels)
    assert caught.value.details[0]["field"] == field
    assert words in caught.value.details[0]["message"]


# --------------------------------------------------------------------------- create, update


def test_create_then_get_by_name_or_id(world: World) -> None:
    made = create(world)
    assert made.private and made.type == "detection" and made.owner is not None
    assert made.owner.username == "alice" and made.organization.name == "acme"
    by_name = networks.get_network(world.db, world.alice, made.organization.id, ref="yolo-cars")
    by_id = networks.get_network(world.db, world.alice, made.organization.id, ref=str(made.id))
    assert by_name.id == by_id.id == made.id


@pytest.mark.parametrize(
    ("name", "kind", "field"),
    [
        ("yolo", "", "type"),
        ("yolo", "   ", "type"),
        ("", "detection", "name"),
        ("a/b", "detection", "name"),
        ("x" * 101, "detection", "name"),
        ("6f1c1a0e-55a2-4d8c-9b0e-0a3c1f0f4b11", "detection", "name"),
    ],
)
def test_create_refuses_bad_names_and_types(world: World, name: str, kind: str, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        networks.create_network(
            world.db, world.alice, world.alice.default_organization.id, name=name, type=kind
        )
    assert caught.value.details[0]["field"] == field
    page = networks.list_networks(
        world.db, world.alice, world.alice.default_organization.id, limit=10
    )
    assert page.count == 0


def test_names_are_unique_per_organization_only(world: World) -> None:
    create(world)
    with pytest.raises(AlreadyExistsError, match="yolo-cars"):
        create(world)
    other = networks.create_network(
        world.db, world.bob, world.bob.default_organization.id, name="yolo-cars", type="x"
    )
    assert other.organization.name == "globex"


def test_update_checks_everything_before_writing(world: World) -> None:
    made = create(world)
    oid = made.organization.id
    changes = networks.NetworkChanges(description="new", labels={"1": "car", "3": "bus"})
    with pytest.raises(InvalidInputError):
        networks.update_network(world.db, world.alice, oid, network_id=made.id, changes=changes)
    assert networks.get_network(world.db, world.alice, oid, ref=made.id).description == ""
    done = networks.update_network(
        world.db,
        world.alice,
        oid,
        network_id=made.id,
        changes=networks.NetworkChanges(
            description="new",
            tag=["cars", "yolo", "cars"],
            labels={"1": "car"},
            readme_text="# Title\n\n*markdown*",
            base_parameters={"lr": 0.01, "layers": [1, 2]},
        ),
    )
    assert done.tags == ("cars", "yolo")
    assert done.readme_text == "# Title\n\n*markdown*"
    assert done.base_parameters == {"lr": 0.01, "layers": [1, 2]}
    assert done.updated_at >= made.updated_at


def test_rename_to_an_existing_name_is_refused(world: World) -> None:
    create(world, "one")
    two = create(world, "two")
    with pytest.raises(AlreadyExistsError, match="one"):
        networks.update_network(
            world.db,
            world.alice,
            two.organization.id,
            network_id=two.id,
            changes=networks.NetworkChanges(network_name="one"),
        )


# --------------------------------------------------------------------------- visibility


def test_private_networks_are_invisible_to_other_organizations(world: World) -> None:
    made = create(world)
    oid = made.organization.id
    with pytest.raises(ResourceNotFoundError):
        networks.get_network(world.db, world.bob, oid, ref="yolo-cars")
    with pytest.raises(ResourceNotFoundError):
        networks.update_network(
            world.db,
            world.bob,
            oid,
            network_id=made.id,
            changes=networks.NetworkChanges(description="x"),
        )
    with pytest.raises(ResourceNotFoundError):
        networks.hub_organization(world.db, world.bob, "acme")
    assert networks.list_networks(world.db, world.bob, oid, limit=10).count == 0


def test_public_networks_are_read_only_to_other_organizations(world: World) -> None:
    made = create(world)
    oid = made.organization.id
    networks.update_network(
        world.db,
        world.alice,
        oid,
        network_id=made.id,
        changes=networks.NetworkChanges(private=False),
    )
    assert networks.get_network(world.db, world.bob, oid, ref="yolo-cars").id == made.id
    assert networks.hub_organization(world.db, world.bob, "acme").id == oid
    digest = world.put(world.bob, b"bob's weights")
    attempts: list[Callable[[], object]] = [
        lambda: networks.update_network(
            world.db,
            world.bob,
            oid,
            network_id=made.id,
            changes=networks.NetworkChanges(description="x"),
        ),
        lambda: networks.delete_network(world.db, world.bob, oid, network_id=made.id),
        lambda: networks.store_file(
            world.db, world.bob, oid, network_id=made.id, name="config", digest=digest
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ForbiddenError, match="read-only"):
            attempt()
    after = networks.get_network(world.db, world.alice, oid, ref=made.id)
    assert after.description == "" and after.files == ()


def test_viewers_read_but_do_not_write(world: World) -> None:
    made = create(world)
    token, _ = accounts.create_token(world.db, "vera", organization="acme")
    vera = accounts.authenticate(world.db, token)
    with world.db.transaction() as tx:
        session = tx.session
        session.get_one(MembershipRow, (vera.user_id, made.organization.id)).role = "viewer"
    vera = accounts.authenticate(world.db, token)
    assert networks.get_network(world.db, vera, made.organization.id, ref=made.id).id == made.id
    with pytest.raises(ForbiddenError, match="viewer"):
        networks.update_network(
            world.db,
            vera,
            made.organization.id,
            network_id=made.id,
            changes=networks.NetworkChanges(description="x"),
        )


# --------------------------------------------------------------------------- files


def test_a_file_stored_under_two_names_is_one_blob(world: World) -> None:
    made = create(world)
    oid = made.organization.id
    digest = world.put(world.alice, b"weights" * 1000)
    networks.store_file(
        world.db, world.alice, oid, network_id=made.id, name="model-latest", digest=digest
    )
    done = networks.store_file(
        world.db, world.alice, oid, network_id=made.id, name="backup", digest=digest
    )
    assert {f.name: f.object_name for f in done.files} == {
        "backup": f"{made.id}/backup",
        "model-latest": f"{made.id}/0/model-latest",
    }
    with world.db.read() as tx:
        session = tx.session
        assert session.scalar(select(func.count()).select_from(BlobRow)) == 1
        assert session.scalar(select(func.count()).select_from(NetworkFileRow)) == 2


@pytest.mark.parametrize("name", ["../escape", "a/b", "a\\b", "..", "", "nul\x00"])
def test_file_names_must_be_base_names(world: World, name: str) -> None:
    made = create(world)
    digest = world.put(world.alice, b"x")
    with pytest.raises(InvalidInputError) as caught:
        networks.store_file(
            world.db,
            world.alice,
            made.organization.id,
            network_id=made.id,
            name=name,
            digest=digest,
        )
    assert caught.value.details[0]["field"] == "name"


def test_bytes_must_be_sent_by_the_organization_first(world: World) -> None:
    made = create(world)
    bobs = world.put(world.bob, b"bob's bytes")  # stored, but not granted to acme
    with pytest.raises(InvalidInputError, match="not uploaded first"):
        networks.store_file(
            world.db,
            world.alice,
            made.organization.id,
            network_id=made.id,
            name="config",
            digest=bobs,
        )


# --------------------------------------------------------------------------- thumbnails


def test_thumbnail_is_made_small_and_the_original_kept(world: World) -> None:
    made = create(world)
    source = png((1024, 512), "RGBA")
    digest = world.put(world.alice, source)
    done = networks.set_thumbnail(
        world.db, world.store, world.alice, made.organization.id, network_id=made.id, digest=digest
    )
    assert done.thumbnail_original_digest == digest
    assert done.thumb_object_name == f"{made.id}/thumb.png"
    entity, stream = networks.open_thumbnail(world.db, world.store, world.alice, network_id=made.id)
    with stream, Image.open(stream) as image:
        assert image.size == (256, 128) and image.mode == "RGBA"
    assert entity.media_type == "image/png"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"definitely not an image", "not a complete image"),
        (make_image(3, (300, 200))[:-400], "truncated"),
    ],
)
def test_thumbnail_must_be_a_complete_image(world: World, data: bytes, words: str) -> None:
    made = create(world)
    digest = world.put(world.alice, data)
    with pytest.raises(InvalidInputError, match=words) as caught:
        networks.set_thumbnail(
            world.db,
            world.store,
            world.alice,
            made.organization.id,
            network_id=made.id,
            digest=digest,
        )
    assert caught.value.details[0]["field"] == "thumbnail"
    after = networks.get_network(world.db, world.alice, made.organization.id, ref=made.id)
    assert after.thumbnail_digest is None


def test_thumbnail_must_be_under_5_mib(world: World) -> None:
    made = create(world)
    digest = world.put(world.alice, make_image(1) + os.urandom(networks.MAX_THUMBNAIL_BYTES))
    with pytest.raises(InvalidInputError, match="5 MiB"):
        networks.set_thumbnail(
            world.db,
            world.store,
            world.alice,
            made.organization.id,
            network_id=made.id,
            digest=digest,
        )


# --------------------------------------------------------------------------- hub


def test_hub_filters_and_pages(world: World) -> None:
    oid = world.alice.default_organization.id
    for i, (kind, framework, tag) in enumerate(
        [("detection", "pytorch", "cars"), ("segmentation", "tensorflow2", "roads")] * 3
    ):
        made = networks.create_network(world.db, world.alice, oid, name=f"Net-{i}", type=kind)
        networks.update_network(
            world.db,
            world.alice,
            oid,
            network_id=made.id,
            changes=networks.NetworkChanges(private=i == 5, framework=framework, tag=[tag]),
        )
    hub = networks.hub_networks(world.db, world.bob, limit=2)
    assert hub.count == 5 and len(hub.data) == 2 and hub.next_cursor
    seen = [n.name for n in hub.data]
    while hub.next_cursor:
        hub = networks.hub_networks(world.db, world.bob, limit=2, cursor=hub.next_cursor)
        seen += [n.name for n in hub.data]
    assert seen == ["Net-0", "Net-1", "Net-2", "Net-3", "Net-4"]
    assert networks.hub_networks(world.db, world.bob, framework="PyTorch", limit=10).count == 3
    assert networks.hub_networks(world.db, world.bob, tag="roads", limit=10).count == 2
    assert networks.hub_networks(world.db, world.bob, search="net-4", limit=10).count == 1
    assert networks.hub_networks(world.db, world.bob, search="%", limit=10).count == 0
    assert networks.hub_networks(world.db, world.bob, type="Detection", limit=10).count == 3
    assert networks.hub_networks(world.db, world.bob, type="segmentation", limit=10).count == 2
    with pytest.raises(InvalidInputError, match="cursor"):
        networks.hub_networks(world.db, world.bob, limit=2, cursor="garbage")


# --------------------------------------------------------------------------- compose


def test_compose_concatenates_parts_and_verifies_the_digest(world: World) -> None:
    oid = world.alice.default_organization.id
    parts = [os.urandom(1000), os.urandom(10), os.urandom(1000)]
    digests = [world.put(world.alice, p) for p in parts]
    whole = b"".join(parts)
    final = hashlib.sha256(whole).hexdigest()
    bad = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(InvalidInputError, match="hash to"):
        blobs.compose(
            world.db,
            world.store,
            world.alice,
            oid,
            parts=digests,
            expected_digest=bad,
            expected_size=len(whole),
            max_parts=10,
            max_size=10**6,
        )
    assert not world.store.exists(bad)
    assert blobs.missing(world.db, world.store, world.alice, oid, digests=[bad]) == [bad]
    with pytest.raises(InvalidInputError, match="add up to"):
        blobs.compose(
            world.db,
            world.store,
            world.alice,
            oid,
            parts=digests,
            expected_digest=final,
            expected_size=len(whole) + 1,
            max_parts=10,
            max_size=10**6,
        )
    with pytest.raises(PayloadTooLargeError):
        blobs.compose(
            world.db,
            world.store,
            world.alice,
            oid,
            parts=digests,
            expected_digest=final,
            expected_size=len(whole),
            max_parts=2,
            max_size=10**6,
        )
    made = blobs.compose(
        world.db,
        world.store,
        world.alice,
        oid,
        parts=digests,
        expected_digest=final,
        expected_size=len(whole),
        max_parts=10,
        max_size=10**6,
    )
    assert made.size == len(whole)
    with world.store.open(final) as f:
        assert f.read() == whole
    again = blobs.compose(
        world.db,
        world.store,
        world.alice,
        oid,
        parts=digests,
        expected_digest=final,
        expected_size=len(whole),
        max_parts=10,
        max_size=10**6,
    )
    assert again == made


def test_compose_needs_parts_the_organization_sent(world: World) -> None:
    bobs = world.put(world.bob, b"part")
    with pytest.raises(InvalidInputError) as caught:
        blobs.compose(
            world.db,
            world.store,
            world.alice,
            world.alice.default_organization.id,
            parts=[bobs],
            expected_digest=hashlib.sha256(b"part").hexdigest(),
            expected_size=4,
            max_parts=10,
            max_size=100,
        )
    assert caught.value.details == [
        {"field": "parts[0]", "message": f"no blob {bobs} in this organization: PUT it first"}
    ]


def test_a_composed_image_is_described_as_one(world: World) -> None:
    oid = world.alice.default_organization.id
    image = make_image(8, (320, 200), "PNG")
    half = len(image) // 2
    digests = [world.put(world.alice, image[:half]), world.put(world.alice, image[half:])]
    made = blobs.compose(
        world.db,
        world.store,
        world.alice,
        oid,
        parts=digests,
        expected_digest=hashlib.sha256(image).hexdigest(),
        expected_size=len(image),
        max_parts=10,
        max_size=10**7,
    )
    assert (made.media_type, made.width, made.height) == ("image/png", 320, 200)
