"""The datalake's pages over HTTP: the grid's filters and actions, a picture's page, its
bytes and thumbnail, each for its own organization only, and user text always escaped."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from pixlake.sdk.datalake import Picture
from tests.conftest import LiveServer, write_images
from tests.web.conftest import Person, Stranger, csrf_of


@pytest.fixture
def lake(server: LiveServer, person: Person, tmp_path: Path) -> Picture:
    """Six pictures: img_0000-0003 tagged "a", img_0002-0005 tagged "b"."""
    files = write_images(tmp_path / "images", 6)
    pic = Picture(api_token=person.token, host=server.url, interactive=False)
    pic.upload([str(f) for f in files[:2]], tags=["a"])
    pic.upload([str(f) for f in files[2:4]], tags=["a", "b"])
    pic.upload([str(f) for f in files[4:]], tags=["b"])
    return pic


def _first(lake: Picture) -> dict[str, str]:
    record = lake.list()[0]
    return {"picture_id": record["picture_id"], "sha256": record["sha256"]}


def _shown(page: str) -> list[str]:
    return sorted(re.findall(r'<span class="name">([^<]*)</span>', page))


def test_the_grid_filters_by_any_or_all_tags(
    signed_in: httpx.Client, person: Person, lake: Picture
) -> None:
    grid = f"/o/{person.organization}/datalake"
    assert len(_shown(signed_in.get(grid).text)) == 6
    assert _shown(signed_in.get(grid, params={"tag": "a"}).text) == [
        f"img_000{i}.jpg" for i in range(4)
    ]
    both = signed_in.get(grid, params=[("tag", "a"), ("tag", "b"), ("match", "all")])
    assert _shown(both.text) == ["img_0002.jpg", "img_0003.jpg"]
    assert "2 pictures of 6" in both.text
    first = signed_in.get(grid, params={"per": 50}).text
    assert 'rel="next"' not in first and 'rel="prev"' not in first


def test_a_bad_filter_is_a_page_that_says_which_field(
    signed_in: httpx.Client, person: Person
) -> None:
    grid = f"/o/{person.organization}/datalake"
    answer = signed_in.get(grid, params={"since": "yesterday"})
    assert answer.status_code == 422 and "since &#39;yesterday&#39; is not a date" in answer.text
    answer = signed_in.get(grid, params={"older": "forged"})
    assert answer.status_code == 422 and "cursor" in answer.text
    assert answer.headers["content-type"].startswith("text/html")


def test_ticked_pictures_are_tagged_untagged_and_deleted(
    signed_in: httpx.Client, person: Person, lake: Picture
) -> None:
    grid = f"/o/{person.organization}/datalake"
    page = signed_in.get(grid).text
    ids = re.findall(r'name="ids" value="([0-9a-f-]{36})"', page)
    csrf = csrf_of(page)
    url = f"{grid}/selection"
    tagged = signed_in.post(
        url,
        data={"csrf": csrf, "action": "tag", "tags": "keep, best", "ids": ids[:2], "back": grid},
    )
    assert tagged.status_code == 303 and tagged.headers["location"] == f"{grid}?done=tagged&n=2"
    assert "2 pictures tagged." in signed_in.get(tagged.headers["location"]).text
    assert len(_shown(signed_in.get(grid, params={"tag": "best"}).text)) == 2
    signed_in.post(url, data={"csrf": csrf, "action": "untag", "tags": "best", "ids": ids[:1]})
    assert len(_shown(signed_in.get(grid, params={"tag": "best"}).text)) == 1
    deleted = signed_in.post(url, data={"csrf": csrf, "action": "delete", "ids": ids[:3]})
    assert deleted.status_code == 303 and "n=3" in deleted.headers["location"]
    assert len(_shown(signed_in.get(grid).text)) == 3


def test_every_match_can_be_acted_on_at_once(
    signed_in: httpx.Client, person: Person, lake: Picture
) -> None:
    grid = f"/o/{person.organization}/datalake"
    csrf = csrf_of(signed_in.get(grid).text)
    answer = signed_in.post(
        f"{grid}/selection",
        data={"csrf": csrf, "action": "delete", "scope": "matching", "tag": "b", "match": "any"},
    )
    assert answer.status_code == 303 and "n=4" in answer.headers["location"]
    assert _shown(signed_in.get(grid).text) == ["img_0000.jpg", "img_0001.jpg"]


def test_tagging_without_tags_says_what_to_write(signed_in: httpx.Client, person: Person) -> None:
    grid = f"/o/{person.organization}/datalake"
    csrf = csrf_of(signed_in.get(grid).text)
    answer = signed_in.post(f"{grid}/selection", data={"csrf": csrf, "action": "tag", "tags": " "})
    assert answer.status_code == 422 and "write one or more tags" in answer.text


def test_a_picture_page_shows_its_facts_bytes_and_thumbnail(
    signed_in: httpx.Client, person: Person, lake: Picture
) -> None:
    record = _first(lake)
    page = signed_in.get(f"/o/{person.organization}/pictures/{record['picture_id']}")
    assert page.status_code == 200 and record["sha256"] in page.text
    original = signed_in.get(f"/o/{person.organization}/pictures/{record['picture_id']}/file")
    assert original.status_code == 200 and original.headers["content-type"] == "image/jpeg"
    thumb_url = f"/o/{person.organization}/thumbnails/{record['sha256']}"
    assert f'src="{thumb_url}"' in signed_in.get(f"/o/{person.organization}/datalake").text
    thumb = signed_in.get(thumb_url)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    assert "immutable" in thumb.headers["cache-control"]
    again = signed_in.get(thumb_url, headers={"If-None-Match": thumb.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_another_organization_gets_404_for_every_page_and_byte(
    person: Person, lake: Picture, stranger: Stranger
) -> None:
    record = _first(lake)
    mine, theirs = f"/o/{stranger.organization}", f"/o/{person.organization}"
    for url in (
        f"{theirs}/datalake",
        f"{theirs}/pictures/{record['picture_id']}",
        f"{theirs}/pictures/{record['picture_id']}/file",
        f"{theirs}/thumbnails/{record['sha256']}",
        f"{mine}/pictures/{record['picture_id']}",
        f"{mine}/pictures/{record['picture_id']}/file",
        f"{mine}/thumbnails/{record['sha256']}",
    ):
        assert stranger.client.get(url).status_code == 404, url


def test_user_text_is_escaped_wherever_it_is_shown(
    signed_in: httpx.Client, person: Person, lake: Picture
) -> None:
    hostile = '<script>alert("x")</script>'
    lake.list()
    lake.add_tags(tags=[hostile])
    grid = signed_in.get(f"/o/{person.organization}/datalake").text
    record = _first(lake)
    page = signed_in.get(f"/o/{person.organization}/pictures/{record['picture_id']}").text
    for text in (grid, page):
        assert hostile not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text


def test_thumbnails_are_made_after_an_upload_before_a_page_asks(
    server: LiveServer, person: Person, lake: Picture
) -> None:
    import time

    from pixlake.core import accounts

    org = accounts.authenticate(server.db, person.token).default_organization.id
    for _ in range(500):
        with server.db.read() as tx:
            if tx.blobs.count_without_thumbnail(org) == 0:
                break
        time.sleep(0.02)
    with server.db.read() as tx:
        assert tx.blobs.count_without_thumbnail(org) == 0
        assert all(tx.blobs.thumbnail(p["sha256"]) for p in lake.list())
