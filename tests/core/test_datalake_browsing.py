"""Browsing the datalake as its pages do: filters, and actions on every match."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from pixlake.clock import utcnow
from pixlake.core import datalake
from pixlake.core.datalake import NewPicture
from pixlake.entities.datalake import PictureFilter
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from tests.conftest import make_image
from tests.core.conftest import World


@pytest.fixture
def lake(world: World) -> uuid.UUID:
    """Six pictures: 0-3 tagged "a", 2-5 tagged "b"; 0-2 from the SDK, 3-5 from "camera"."""
    org = world.alice.default_organization.id
    for i in range(6):
        digest = world.put(world.alice, make_image(100 + i))
        tags = [t for t, keep in (("a", i < 4), ("b", i >= 2)) if keep]
        datalake.add_pictures(
            world.db,
            world.alice,
            org,
            [NewPicture(f"p{i}.jpg", digest)],
            tags=tags,
            source="sdk" if i < 3 else "camera",
        )
    return org


def _names(world: World, org: uuid.UUID, where: PictureFilter) -> list[str]:
    window = datalake.browse_pictures(world.db, world.alice, org, where=where, limit=100)
    pictures = window.pictures
    assert window.total == len(pictures) and window.older is None and window.newer is None
    return sorted(p.external_url for p in pictures)


def test_tags_filter_by_any_or_all(world: World, lake: uuid.UUID) -> None:
    assert _names(world, lake, PictureFilter(tags=("a",))) == [
        "p0.jpg",
        "p1.jpg",
        "p2.jpg",
        "p3.jpg",
    ]
    assert len(_names(world, lake, PictureFilter(tags=("a", "b")))) == 6
    assert _names(world, lake, PictureFilter(tags=("a", "b"), all_tags=True)) == [
        "p2.jpg",
        "p3.jpg",
    ]
    assert _names(world, lake, PictureFilter(tags=("a", "nobody"), all_tags=True)) == []
    assert _names(world, lake, PictureFilter(tags=("nobody",))) == []


def test_source_and_upload_dates_filter(world: World, lake: uuid.UUID) -> None:
    facets = datalake.datalake_facets(world.db, world.alice, lake)
    assert facets.sources == ["camera", "sdk"]
    assert facets.tags == [("a", 4), ("b", 4)]
    assert _names(world, lake, PictureFilter(source="camera")) == ["p3.jpg", "p4.jpg", "p5.jpg"]
    now = utcnow()
    assert len(_names(world, lake, PictureFilter(since=now - timedelta(hours=1)))) == 6
    assert _names(world, lake, PictureFilter(until=now - timedelta(hours=1))) == []


def test_pages_are_newest_first_keyset_both_ways(world: World, lake: uuid.UUID) -> None:
    def page(**cursor: str | None) -> datalake.PictureWindow:
        return datalake.browse_pictures(
            world.db, world.alice, lake, where=PictureFilter(), limit=4, **cursor
        )

    first = page()
    assert first.total == 6 and first.newer is None and first.older is not None
    second = page(older_than=first.older)
    assert second.older is None and second.newer is not None
    names = [p.external_url for p in first.pictures + second.pictures]
    assert names == [f"p{i}.jpg" for i in range(5, -1, -1)]
    back = page(newer_than=second.newer)
    assert back.pictures == first.pictures and back.newer is None and back.older == first.older
    with pytest.raises(InvalidInputError, match="cursor"):
        page(older_than="not-a-cursor")


def test_actions_apply_to_every_match(world: World, lake: uuid.UUID) -> None:
    both = PictureFilter(tags=("a", "b"), all_tags=True)
    assert datalake.tag_matching(world.db, world.alice, lake, where=both, tags=["both"]) == 2
    assert _names(world, lake, PictureFilter(tags=("both",))) == ["p2.jpg", "p3.jpg"]
    only_a = PictureFilter(tags=("a",))
    assert datalake.untag_matching(world.db, world.alice, lake, where=only_a, tags=["a"]) == 4
    assert _names(world, lake, only_a) == []
    camera = PictureFilter(source="camera")
    assert datalake.delete_matching(world.db, world.alice, lake, where=camera) == 3
    assert _names(world, lake, PictureFilter()) == ["p0.jpg", "p1.jpg", "p2.jpg"]


def test_a_bad_tag_in_a_filter_is_refused_before_anything_changes(
    world: World, lake: uuid.UUID
) -> None:
    with pytest.raises(InvalidInputError, match="tag"):
        datalake.tag_matching(
            world.db, world.alice, lake, where=PictureFilter(tags=("a",)), tags=["x" * 500]
        )
    assert _names(world, lake, PictureFilter(tags=("a",))) == [
        "p0.jpg",
        "p1.jpg",
        "p2.jpg",
        "p3.jpg",
    ]


def test_another_organization_sees_and_changes_nothing(world: World, lake: uuid.UUID) -> None:
    with pytest.raises(ResourceNotFoundError):
        datalake.browse_pictures(world.db, world.bob, lake, where=PictureFilter(), limit=9)
    with pytest.raises(ResourceNotFoundError):
        datalake.delete_matching(world.db, world.bob, lake, where=PictureFilter())
    mine = world.bob.default_organization.id
    assert datalake.delete_matching(world.db, world.bob, mine, where=PictureFilter()) == 0
    assert len(_names(world, lake, PictureFilter())) == 6
    (picture,) = datalake.browse_pictures(
        world.db, world.alice, lake, where=PictureFilter(), limit=1
    ).pictures
    with pytest.raises(ResourceNotFoundError, match="no picture"):
        datalake.picture_versions(world.db, world.bob, mine, picture_id=picture.id)
    found, versions = datalake.picture_versions(world.db, world.alice, lake, picture_id=picture.id)
    assert found == picture and versions == []
