"""Exports streamed by the server: every check before the first byte, a problem found later
as the archive's last member, and a reader that stops reading stops the writer."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import uuid
import zipfile
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event

from pixlake.core import accounts, exports
from pixlake.entities.accounts import Caller
from pixlake.errors import InvalidInputError, InvalidQueryError, ResourceNotFoundError
from pixlake.store.blobs.registry import open_blob_store
from tests.api.routers.test_accounts import auth
from tests.api.routers.test_blobs import org_of
from tests.api.routers.test_pictures import register, upload
from tests.conftest import LiveServer, make_image


def _version(
    server: LiveServer,
    http: httpx.Client,
    token: str,
    images: dict[str, bytes],
    annotations: list[dict[str, Any]],
) -> tuple[Caller, uuid.UUID, uuid.UUID]:
    """A dataset of ``images`` (name -> bytes) with one rectangle label, ``car``, and
    ``annotations`` (the PUT body's items); the caller, organization and version ids."""
    org = org_of(http, token)
    created = register(
        http, token, org, [(n, upload(http, token, org, d)) for n, d in images.items()]
    )
    record = http.post(
        f"/organizations/{org}/datasets",
        json={"name": "ds", "pictures": [p["picture_id"] for p in created["created"]]},
        headers=auth(token),
    ).json()
    path = f"/organizations/{org}/dataset-versions/{record['dataset_id']}"
    http.post(
        f"{path}/labels",
        json={"labels": [{"name": "car", "type": "rectangle"}]},
        headers=auth(token),
    )
    if annotations:
        answer = http.put(
            f"{path}/annotations", json={"annotations": annotations}, headers=auth(token)
        )
        assert answer.status_code == 200, answer.text
    caller = accounts.authenticate(server.db, token)
    return caller, uuid.UUID(org), uuid.UUID(record["dataset_id"])


def _export(
    server: LiveServer, caller: Caller, org: uuid.UUID, version: uuid.UUID, fmt: str, **kw: Any
) -> exports.ExportStream:
    store = open_blob_store(server.settings.storage_url)
    return exports.export_version(server.db, store, caller, org, version, fmt, **kw)


def _box(name: str, **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "rectangle",
        "label": "car",
        "rectangle": {"top": 1, "left": 2, "width": 10, "height": 5},
    }
    if extra:
        obj["extra"] = extra
    return {"external_url": name, "data": [obj]}


def test_a_tar_export_holds_images_and_annotation_files(
    server: LiveServer, http: httpx.Client, alice: str
) -> None:
    images = {f"im-{i}.jpg": make_image(8100 + i) for i in range(3)}
    caller, org, version = _version(server, http, alice, images, [_box("im-0.jpg")])
    stream = _export(server, caller, org, version, "yolo", archive="tar")
    assert (stream.media_type, stream.filename) == ("application/x-tar", "ds-first-yolo.tar")
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream.chunks)), mode="r:") as archive:
        names = archive.getnames()
        files = {m.name: archive.extractfile(m).read() for m in archive}  # type: ignore[union-attr]
    assert {f"images/{n}" for n in images} <= set(names)
    assert {"labels/im-0.txt", "labels/im-1.txt", "classes.txt", "data.yaml"} <= set(names)
    assert all(files[f"images/{n}"] == data for n, data in images.items())
    assert files["labels/im-0.txt"].startswith(b"0 ") and files["labels/im-1.txt"] == b""
    assert exports.ERROR_MEMBER not in names


def test_problems_found_before_the_first_byte_raise(
    server: LiveServer, http: httpx.Client, alice: str
) -> None:
    images = {"a.jpg": make_image(8200), "a.png": make_image(8201, fmt="PNG")}
    caller, org, version = _version(server, http, alice, images, [])
    with pytest.raises(InvalidQueryError, match="PICSELLIA is an import format"):
        _export(server, caller, org, version, "PICSELLIA")
    with pytest.raises(InvalidInputError, match="unknown"):
        _export(server, caller, org, version, "csv")
    with pytest.raises(InvalidQueryError, match="archive"):
        _export(server, caller, org, version, "COCO", archive="rar")
    with pytest.raises(InvalidInputError) as collision:
        _export(server, caller, org, version, "PASCAL-VOC")
    assert collision.value.details[0]["message"] == (
        "a.jpg and a.png would both write Annotations/a.xml"
    )
    assert b"".join(_export(server, caller, org, version, "COCO").chunks)  # COCO has no clash


def test_missing_bytes_are_named_before_the_first_byte(
    server: LiveServer, http: httpx.Client, alice: str
) -> None:
    lost = make_image(8300)
    caller, org, version = _version(
        server, http, alice, {"kept.jpg": make_image(8301), "lost.jpg": lost}, []
    )
    store = open_blob_store(server.settings.storage_url)
    store.delete(hashlib.sha256(lost).hexdigest())
    with pytest.raises(ResourceNotFoundError, match="missing from storage") as error:
        _export(server, caller, org, version, "COCO")
    assert error.value.details == [{"file": "lost.jpg", "message": "bytes missing from storage"}]


def test_a_problem_found_while_writing_ends_the_archive(
    server: LiveServer, http: httpx.Client, alice: str
) -> None:
    images = {"a.jpg": make_image(8400), "b.jpg": make_image(8401)}
    # PASCAL-VOC cannot hold a control character; the pictures before it are exported
    caller, org, version = _version(server, http, alice, images, [_box("b.jpg", note="bell\x07")])
    stream = _export(server, caller, org, version, "PASCAL-VOC", archive="zip")
    body = b"".join(stream.chunks)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        problem = json.loads(archive.read(exports.ERROR_MEMBER))
    assert names[-1] == exports.ERROR_MEMBER and "Annotations/a.xml" in names
    assert problem["code"] == "invalid_input" and problem["status"] == 422
    assert problem["errors"][0]["file"] == "b.jpg" and "control" in problem["errors"][0]["message"]


def test_a_reader_that_stops_stops_the_writer(
    server: LiveServer, http: httpx.Client, alice: str
) -> None:
    # ~30 photos of noise: several pipe chunks, more than the pipe holds
    images = {f"n-{i}.jpg": make_image(8500 + i, (900, 700)) for i in range(30)}
    caller, org, version = _version(server, http, alice, images, [])
    stream = _export(server, caller, org, version, "COCO", archive="tar")
    first = next(stream.chunks)
    assert len(first) >= exports.CHUNK
    assert any(t.name == "pixlake-export" for t in threading.enumerate())
    stream.close()
    assert not any(t.name == "pixlake-export" for t in threading.enumerate())


def test_bytes_lost_after_the_check_end_the_archive_with_a_problem(
    server: LiveServer, http: httpx.Client, alice: str
) -> None:
    lost = make_image(8600)
    images = {"a.jpg": make_image(8601), "b.jpg": lost}
    caller, org, version = _version(server, http, alice, images, [])
    stream = _export(server, caller, org, version, "COCO", archive="tar")  # checked here
    open_blob_store(server.settings.storage_url).delete(hashlib.sha256(lost).hexdigest())
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream.chunks)), mode="r:") as archive:
        assert archive.getnames()[-1] == exports.ERROR_MEMBER
        member = archive.extractfile(exports.ERROR_MEMBER)
        assert member is not None
        problem = json.loads(member.read())
    assert problem["code"] == "not_found" and problem["errors"][0]["file"] == "b.jpg"


def test_each_page_starts_where_the_last_ended_without_sorting_again(
    server: LiveServer, http: httpx.Client, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages of a version are read in the order of its index: no page sorts the rest of
    the version again, which made an export's reads grow with the square of its size."""
    monkeypatch.setattr(exports, "FIRST_PAGE", 2)
    monkeypatch.setattr(exports, "PAGE", 3)
    images = {f"q-{i}.jpg": make_image(8700 + i) for i in range(5)}
    caller, org, version = _version(server, http, alice, images, [_box("q-0.jpg")])
    pages: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM pictures JOIN version_pictures" in statement:
            pages.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        for status in (None, "accepted"):
            stream = _export(server, caller, org, version, "COCO", archive="tar", status=status)
            b"".join(stream.chunks)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    # pages of 2 and 3 pictures, then an empty one; none accepted: one empty page
    assert len([statement for statement, _ in pages if "LIMIT" in statement]) == 3 + 1
    with server.db.engine.connect() as connection:
        for statement, parameters in pages:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            assert not [row for row in plan if "TEMP B-TREE" in row[-1]], statement


def test_references_go_a_page_at_a_time_the_first_page_small(
    server: LiveServer, http: httpx.Client, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client copying the images from the store starts on the first page's references,
    not once a whole piece of the pipe has filled."""
    monkeypatch.setattr(exports, "FIRST_PAGE", 2)
    monkeypatch.setattr(exports, "PAGE", 3)
    images = {f"p-{i}.jpg": make_image(8600 + i) for i in range(5)}
    caller, org, version = _version(server, http, alice, images, [_box("p-0.jpg")])
    stream = _export(server, caller, org, version, "COCO", archive="tar", images="reference")
    chunks = list(stream.chunks)
    digests = [hashlib.sha256(data).hexdigest().encode() for data in images.values()]
    assert [[digest in chunk for digest in digests] for chunk in chunks[:2]] == [
        [True, True, False, False, False],
        [False, False, True, True, True],
    ]
    assert b"instances_default.json" in b"".join(chunks[2:])
