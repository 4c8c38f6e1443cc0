"""Rows 13 to 19 and 21: datasets and their versions through the upstream client (its
download through signed URLs included), each step seen by pixlake's own SDK too."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from pixlake import Dataset
from pixlake.exceptions import ResourceNotFoundError
from tests.api.upstream.conftest import Upstream, wire
from tests.conftest import LiveServer, write_images


def ours(server: LiveServer, token: str) -> Dataset:
    return Dataset(api_token=token, host=server.url, interactive=False)


def upload(upstream: Upstream, paths: list[Path], tags: list[str]) -> None:
    """Pictures into the datalake with the upstream client, one request each as it sends."""
    upstream.run(
        f"""
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        pic.upload({[str(p) for p in paths]!r}, tags={tags!r})
        emit(0)
        """
    )


def test_create_add_version_fetch_list_and_delete(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    upload(upstream, write_images(tmp_path / "a", 3), ["street"])
    upload(upstream, write_images(tmp_path / "b", 2, start=3), ["night"])
    made = upstream.run(
        """
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST)
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        first = ds.create(name="cars", description="street cars",
                          pictures=pic.fetch(quantity=1, tags=["street"]))
        created = dict(first.fetched_dataset)
        ds.add_data(name="cars", version="first", pictures=pic.fetch(quantity=1, tags=["night"]))
        ds.new_version(name="cars", version="v2", pictures=[], from_version="first")
        v2 = dict(ds.fetched_dataset)
        listed = ds.list()
        fetched = ds.fetch("cars", "first").fetched_dataset
        latest = ds.fetch("cars").fetched_dataset
        pictures = ds.fetch("cars", "first").list_pictures()["pictures"]
        emit([created, v2, listed, fetched, latest, pictures])
        """
    )
    created, v2, listed, fetched, latest, pictures = made
    assert created["dataset_name"] == "cars" and created["version"] == "first"
    assert created["size"] == 3 and created["description"] == "street cars"
    assert str(uuid.UUID(created["dataset_id"])) == created["dataset_id"]  # canonical
    mine = ours(server, alice)
    first = mine.fetch("cars", "first").fetched_dataset
    assert str(first["dataset_id"]) == created["dataset_id"] and first["size"] == 5
    assert fetched["dataset_id"] == created["dataset_id"] and fetched["size"] == 5
    second = mine.fetch("cars", "v2").fetched_dataset
    assert v2["dataset_id"] == str(second["dataset_id"]) and second["created_from"] == "first"
    assert latest["dataset_id"] == v2["dataset_id"] and latest["size"] == 5
    assert sorted((d["dataset_name"], d["version"], d["size"]) for d in listed) == [
        ("cars", "first", 5),
        ("cars", "v2", 5),
    ]
    theirs = sorted((p["picture_id"], p["external_url"]) for p in pictures)
    seen = sorted((str(p["picture_id"]), p["external_url"]) for p in mine.list_pictures())
    assert theirs == seen and len(theirs) == 5

    left = upstream.run(
        """
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST)
        ds.delete("cars", "v2")
        emit([(d["dataset_name"], d["version"]) for d in ds.list()])
        """
    )
    assert left == [["cars", "first"]]
    with pytest.raises(ResourceNotFoundError):
        mine.fetch("cars", "v2")
    assert mine.fetch("cars").fetched_dataset["version"] == "first"


def test_add_data_to_the_fetched_version_wins_over_the_name(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    upload(upstream, write_images(tmp_path / "a", 2), ["one"])
    upload(upstream, write_images(tmp_path / "b", 1, start=2), ["two"])
    upstream.run(
        """
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST)
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        ds.create(name="base", pictures=pic.fetch(quantity=1, tags=["one"]))
        ds.new_version(name="base", version="v2", pictures=[])
        ds.fetch("base", "first")
        ds.add_data(name="base", version="v2", pictures=pic.fetch(quantity=1, tags=["two"]))
        emit(0)
        """
    )
    mine = ours(server, alice)
    assert mine.fetch("base", "first").fetched_dataset["size"] == 3
    assert mine.fetch("base", "v2").fetched_dataset["size"] == 2


def test_download_writes_every_image_with_its_bytes(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    paths = write_images(tmp_path / "photos", 4)
    upload(upstream, paths, ["dl"])
    folder = tmp_path / "downloaded"
    upstream.run(
        f"""
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST)
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        ds.create(name="dl", pictures=pic.fetch(quantity=1, tags=["dl"]))
        ds.download("dl/first", {str(folder)!r}, nb_threads=2)
        emit(0)
        """
    )
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)
    assert all((folder / p.name).read_bytes() == p.read_bytes() for p in paths)

    org = ours(server, alice).organization_id
    answer = wire(server, alice, "GET", f"dataset/{org}/dl/latest/download")
    images = answer.json()["images"]
    assert answer.status_code == 200 and len(images) == 4
    assert {"internal_picture_id", "external_picture_url", "signed_url"} <= set(images[0])
    got = httpx.get(images[0]["signed_url"])
    assert got.status_code == 200
    assert got.headers["content-length"] == str(len(got.content))
    assert got.content == (tmp_path / "photos" / images[0]["external_picture_url"]).read_bytes()
    again = httpx.get(images[0]["signed_url"])
    assert again.status_code == 403 and "used already" in again.json()["error"]


def test_names_that_cannot_travel_in_a_path_are_refused_at_creation(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    upload(upstream, write_images(tmp_path, 1), ["n"])
    refused = upstream.run(
        """
        from picsellia.pxl_exceptions import InvalidQueryError
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST)
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        pictures = pic.fetch(quantity=1, tags=["n"])
        errors = {}
        for name in ["what?", "no#1", "100%", "a/b", "..", " padded", "tab\\there"]:
            try:
                ds.create(name=name, pictures=pictures)
                errors[name] = None
            except InvalidQueryError as exc:
                errors[name] = str(exc)
        ds.create(name="fine", pictures=pictures)
        for version in ["v?2", "latest"]:
            try:
                ds.new_version(name="fine", version=version)
                errors[version] = None
            except InvalidQueryError as exc:
                errors[version] = str(exc)
        emit(errors)
        """
    )
    assert all(message and message.startswith("Invalid query : ") for message in refused.values())
    assert "without '/', '?', '#' or '%'" in refused["what?"] and "got '?'" in refused["what?"]
    assert "'#'" in refused["no#1"] and "'%'" in refused["100%"]
    assert "URL paths" in refused["v?2"] and "reserved" in refused["latest"]
    assert "folder" in refused[".."] and "spaces" in refused[" padded"]
    assert "control characters" in refused["tab\there"]
    assert [(d["dataset_name"], d["version"]) for d in ours(server, alice).list()] == [
        ("fine", "first")
    ]


def test_bad_input_is_answered_in_the_clients_words(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    upload(upstream, write_images(tmp_path, 1), ["bad"])
    errors = upstream.run(
        """
        from picsellia.pxl_exceptions import InvalidQueryError, ResourceNotFoundError
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST)
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        pictures = pic.fetch(quantity=1, tags=["bad"])
        ds.create(name="bad", pictures=pictures)
        out = {}
        def attempt(key, call):
            try:
                call()
                out[key] = None
            except (InvalidQueryError, ResourceNotFoundError) as exc:
                out[key] = [type(exc).__name__, str(exc)]
        attempt("taken", lambda: ds.create(name="bad", pictures=pictures))
        attempt("unknown", lambda: ds.fetch("nope", "first"))
        attempt("no version", lambda: ds.fetch("bad", "v9"))
        attempt("delete unknown", lambda: ds.delete("nope", "first"))
        attempt("version of unknown", lambda: ds.new_version(name="nope", version="v2"))
        attempt("unknown picture", lambda: ds.create(
            name="other", pictures=["6b0e53b2-1c55-4f35-9c4b-3a3c1a0c7a51"]))
        attempt("not an id", lambda: ds.create(name="other", pictures=["x"]))
        emit(out)
        """
    )
    assert errors["taken"][0] == "InvalidQueryError" and "bad" in errors["taken"][1]
    assert errors["unknown"][0] == "ResourceNotFoundError"
    assert errors["unknown"][1].startswith("Not found : ") and "'nope'" in errors["unknown"][1]
    assert errors["no version"][0] == "ResourceNotFoundError" and "v9" in errors["no version"][1]
    assert errors["delete unknown"][0] == "ResourceNotFoundError"
    assert errors["version of unknown"][0] == "ResourceNotFoundError"
    assert errors["unknown picture"][0] == "ResourceNotFoundError"
    assert "not in this organization" in errors["unknown picture"][1]
    assert errors["not an id"][0] == "InvalidQueryError" and "pictures[0]" in errors["not an id"][1]
    assert [d["dataset_name"] for d in ours(server, alice).list()] == ["bad"]

    org = ours(server, alice).organization_id
    empty = wire(server, alice, "PUT", f"dataset/{org}", {"dataset_name": "e", "pictures": []})
    assert empty.status_code == 400 and "pictures" in empty.json()["error"]
    nul = wire(server, alice, "PUT", f"dataset/{org}", {"dataset_name": "a\x00b", "pictures": []})
    assert nul.status_code == 400 and "dataset_name" in nul.json()["error"]


def test_another_organizations_datasets_are_not_found(
    upstream: Upstream, server: LiveServer, alice: str, bob: str, tmp_path: Path
) -> None:
    upload(upstream, write_images(tmp_path, 2), ["mine"])
    record = upstream.run(
        """
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST)
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        emit(ds.create(name="private", pictures=pic.fetch(quantity=1, tags=["mine"]))
             .fetched_dataset)
        """
    )
    mine = ours(server, alice)
    org, version = mine.organization_id, record["dataset_id"]
    pictures = [str(p["picture_id"]) for p in mine.fetch("private").list_pictures()]
    other_org, other_version = str(uuid.uuid4()), str(uuid.uuid4())
    for method, path, body in [
        ("GET", "dataset/{org}", None),
        ("PUT", "dataset/{org}", {"dataset_name": "x", "pictures": pictures}),
        ("POST", "dataset/{org}", {"name": "private", "pictures": pictures, "pk": ""}),
        ("PUT", "dataset/{org}/new_version", {"name": "private", "version": "v2"}),
        ("GET", "dataset/{org}/private/first", None),
        ("DELETE", "dataset/{org}/private/first", None),
        ("GET", "dataset/{org}/private/first/download", None),
        ("POST", "dataset/{version}/update_stats", {"nb_objects": 0}),
        ("GET", "picture/{version}", None),
    ]:
        foreign = wire(server, bob, method, path.format(org=org, version=version), body)
        missing = wire(server, bob, method, path.format(org=other_org, version=other_version), body)
        assert foreign.status_code == missing.status_code == 404, (path, foreign.text)
        assert foreign.json()["error"].replace(org, "X").replace(version, "X") == missing.json()[
            "error"
        ].replace(other_org, "X").replace(other_version, "X")
    # bob's own organization does not reach alice's pictures or versions either
    bobs = ours(server, bob).organization_id
    for method, path, body in [
        ("PUT", f"dataset/{bobs}", {"dataset_name": "x", "pictures": pictures}),
        ("POST", f"dataset/{bobs}", {"pictures": pictures, "pk": version}),
    ]:
        answer = wire(server, bob, method, path, body)
        assert answer.status_code == 404, (path, answer.text)
    assert mine.fetch("private").fetched_dataset["size"] == 2
    assert ours(server, bob).list() == []
