"""Rows 3 and 7 to 12: the datalake through the upstream client (its presigned-POST upload
included), each step seen by pixlake's own SDK too."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from pixlake import Picture
from tests.api.upstream.conftest import Upstream
from tests.conftest import LiveServer, make_image, write_images


def _ours(server: LiveServer, token: str) -> Picture:
    return Picture(api_token=token, host=server.url, interactive=False)


def test_upload_list_fetch_tag_untag_delete(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    paths = write_images(tmp_path / "photos", 5)
    names = sorted(p.name for p in paths)
    listed = upstream.run(
        f"""
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        pic.upload({[str(p) for p in paths]!r}, tags=["street"], source="camera-3")
        emit(pic.list()["pictures"])
        """
    )
    assert sorted(r["external_url"] for r in listed) == names
    assert all(r["tag"] == ["street"] and r["source"] == "camera-3" for r in listed)
    ours = {p["external_url"]: p for p in _ours(server, alice).list()}
    assert sorted(ours) == names
    assert {r["picture_id"] for r in listed} == {p["picture_id"] for p in ours.values()}
    assert all(ours[r["external_url"]]["sha256"] == r["sha256"] for r in listed)
    assert (ours["img_0000.jpg"]["width"], ours["img_0000.jpg"]["height"]) == (64, 48)

    fetched = upstream.run(
        """
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        everything = pic.fetch(quantity=1, tags=["street"])  # its type checker takes an int
        two = everything[1:3]
        pic.add_tags(pictures=two, tags=["reviewed", "night"])
        pic.remove_tags(pictures=two, tags=["night"])
        nothing = pic.fetch(quantity=1, tags=["night"])
        emit([len(everything), [p["external_url"] for p in two], len(nothing)])
        """
    )
    everything, two, nothing = fetched
    assert everything == 5 and len(two) == 2 and nothing == 0
    tags = {p["external_url"]: p["tag"] for p in _ours(server, alice).list()}
    assert all(sorted(tags[name]) == ["reviewed", "street"] for name in two)
    assert all(tags[name] == ["street"] for name in names if name not in two)

    left = upstream.run(
        """
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        pic.delete(pic.fetch(quantity=1, tags=["reviewed"]))
        emit(sorted(p["external_url"] for p in pic.list()["pictures"]))
        """
    )
    assert len(left) == 3 and not set(left) & set(two)
    assert sorted(p["external_url"] for p in _ours(server, alice).list()) == left


def test_a_name_taken_by_other_bytes_is_208_and_the_same_bytes_again_succeed(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    first = write_images(tmp_path / "a", 1, prefix="same")[0]
    other = tmp_path / "b" / first.name  # the same name, other bytes
    other.parent.mkdir()
    other.write_bytes(make_image(7))
    _value, output = upstream.run(
        f"""
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        pic.upload({str(first)!r})
        pic.upload({str(first)!r})
        pic.upload({str(other)!r})
        emit(len(pic.list()["pictures"]))
        """,
        check=False,
    )
    assert _value == 1, output
    assert "A picture in your Datalake already has this name." in output
    assert [p["sha256"] for p in _ours(server, alice).list()] == [
        hashlib.sha256(first.read_bytes()).hexdigest()
    ]


def test_pictures_of_another_organization_are_not_found(
    server: LiveServer, alice: str, bob: str, upstream: Upstream, tmp_path: Path
) -> None:
    upstream.run(
        f"""
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        pic.upload({str(write_images(tmp_path, 1)[0])!r})
        emit(0)
        """
    )
    alices = _ours(server, alice).list()
    org = _ours(server, alice).organization_id
    for method, path, body in [
        ("GET", f"datalake/{org}", None),
        ("POST", f"datalake/search/{org}", {"tags": [], "quantity": 1}),
        ("POST", f"datalake/delete/{org}", {"to_delete": alices}),
        ("POST", f"datalake/tag/{org}", {"tags": ["x"], "to_tag": alices}),
    ]:
        answer = httpx.request(
            method,
            f"{server.url}/sdk/v2/{path}",
            headers={"Authorization": f"Token {bob}"},
            json=body,
        )
        assert answer.status_code == 404, (path, answer.text)
    assert _ours(server, alice).list() == alices
