"""Import jobs: the streamed way and the whole way give the same rows and the same errors.

The streamed way (``core.imports._run_streamed``) reads the import document a piece at a time
and spools validated rows before one short transaction; it hands every unusual document to the
whole way.  These tests run the same documents both ways (forcing one or the other) and
compare what a client sees: the job's outcome and the version's annotations.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest

from pixlake.core import imports
from pixlake.core.datasets import prepare_annotation
from pixlake.formats import from_wire, to_compact
from pixlake.jsonstream import NotStreamable
from pixlake.problems import Problems
from tests.api.routers.test_accounts import auth
from tests.api.routers.test_blobs import org_of, sha
from tests.api.routers.test_datasets import wait
from tests.api.routers.test_pictures import register, upload
from tests.conftest import make_image

Way = Callable[..., dict[str, Any]]


def _whole_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def unusual(*_args: Any) -> dict[str, Any]:
        raise NotStreamable

    monkeypatch.setattr(imports, "_run_streamed", unusual)


def _streamed_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*_args: Any) -> dict[str, Any]:
        raise AssertionError("this document should have been streamed")

    monkeypatch.setattr(imports, "_run_whole", forbidden)


def _small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny reads and batches, so that values and batches straddle every boundary."""
    monkeypatch.setattr(imports, "READ_BYTES", 7)
    monkeypatch.setattr(imports, "BATCH", 2)


def _pictures(http: httpx.Client, token: str, org: str, count: int) -> list[dict[str, Any]]:
    items = [(f"im-{i}.jpg", upload(http, token, org, make_image(7000 + i))) for i in range(count)]
    created: list[dict[str, Any]] = register(http, token, org, items)["created"]
    return sorted(created, key=lambda p: p["external_url"])


def _compact(document: dict[str, Any]) -> dict[str, Any]:
    """The same document in the second format: objects in the compact form."""
    images = [
        {**image, "objects": [to_compact(from_wire(o)) for o in image["objects"]]}
        for image in document["images"]
    ]
    return {**document, "format": "pixlake-import/2", "images": images}


def _document(pictures: list[dict[str, Any]]) -> dict[str, Any]:
    images = []
    for i, picture in enumerate(pictures):
        objects: list[dict[str, Any]] = [
            {
                "type": "rectangle",
                "label": "car",
                "qa": [],
                "rectangle": {"top": 1, "left": 2.5, "width": 10, "height": 12.25},
                "area": 122.5,
            },
            {
                "type": "polygon",
                "label": "person",
                "qa": [{"question": "q", "answer": "a"}],
                "polygon": {"geometry": [{"x": 1, "y": 1}, {"x": 9.5, "y": 1}, {"x": 5, "y": 8}]},
                "rectangle": {"top": 1, "left": 1, "width": 8.5, "height": 7},
                "extra": {"note": "é \u2603", "n": [1, 2.5e-3]},
            },
            {"type": "classification", "label": "day", "qa": []},
        ]
        images.append(
            {
                "external_url": picture["external_url"],
                "objects": objects[: 1 + i % 3],
                "image_qa": [{"question": "weather", "answer": "sun"}] if i % 2 else [],
                "status": "accepted" if i % 2 else None,
                "nb_instances": i,
                "duration": 1.5 * i,
                "extra": {"id": i} if i % 2 else None,
            }
        )
    return {
        "format": "pixlake-import/1",
        "labels": [
            {"name": "car", "type": "rectangle"},
            {"name": "person", "type": "polygon", "extra": {"id": 1}},
            {"name": "day", "type": "classification"},
        ],
        "pictures": [p["picture_id"] for p in pictures],
        "images": images,
        "info": {"coco": {"info": {"year": 2024}}},
    }


def _run(http: httpx.Client, token: str, org: str, data: bytes, **params: Any) -> dict[str, Any]:
    http.put(f"/organizations/{org}/blobs/{sha(data)}", content=data, headers=auth(token))
    job = http.post(
        f"/organizations/{org}/imports", json={"document": sha(data), **params}, headers=auth(token)
    ).json()
    return wait(http, token, org, job)


def _outcome(job: dict[str, Any]) -> Any:
    if job["status"] == "succeeded":
        result = dict(job["result"])
        result.pop("dataset_id")
        result.pop("dataset_name")
        return "succeeded", result
    return job["status"], job["error"]


def _annotations(http: httpx.Client, token: str, org: str, version_id: str) -> Any:
    base = f"/organizations/{org}/dataset-versions/{version_id}"
    page = http.get(f"{base}/annotations", params={"limit": 1000}, headers=auth(token)).json()
    meta = http.get(f"{base}/metadata", headers=auth(token)).json()
    record = http.get(base, headers=auth(token)).json()
    for a in page["data"]:
        a.pop("updated_at")
    return (
        page["data"],
        meta,
        {k: record[k] for k in ("size", "nb_annotations", "nb_objects", "repartition", "labels")},
    )


@pytest.mark.parametrize(
    ("held", "version"), [("in memory", 1), ("spooled", 1), ("in memory", 2), ("spooled", 2)]
)
def test_sdk_documents_are_streamed_and_give_the_same_rows(
    http: httpx.Client, alice: str, monkeypatch: pytest.MonkeyPatch, held: str, version: int
) -> None:
    org = org_of(http, alice)
    pictures = _pictures(http, alice, org, 7)
    document = _document(pictures) if version == 1 else _compact(_document(pictures))
    data = json.dumps(document, separators=(",", ":")).encode()
    with monkeypatch.context() as m:
        _whole_only(m)
        whole = _run(http, alice, org, data, name="whole")
    with monkeypatch.context() as m:
        _streamed_only(m)
        _small_pieces(m)
        if held == "spooled":  # past the objects an import keeps in memory
            m.setattr(imports, "MEMORY_OBJECTS", 3)
        streamed = _run(http, alice, org, data, name="streamed")
    assert whole["status"] == streamed["status"] == "succeeded", (whole, streamed)
    assert _outcome(whole) == _outcome(streamed)
    assert streamed["result"]["nb_objects"] == 1 + 2 + 3 + 1 + 2 + 3 + 1
    assert _annotations(http, alice, org, whole["result"]["dataset_id"]) == _annotations(
        http, alice, org, streamed["result"]["dataset_id"]
    )


def test_both_document_formats_give_the_same_annotations(http: httpx.Client, alice: str) -> None:
    org = org_of(http, alice)
    pictures = _pictures(http, alice, org, 5)
    first = _run(http, alice, org, json.dumps(_document(pictures)).encode(), name="v1")
    second = _run(http, alice, org, json.dumps(_compact(_document(pictures))).encode(), name="v2")
    assert first["status"] == second["status"] == "succeeded", (first, second)
    assert _annotations(http, alice, org, first["result"]["dataset_id"]) == _annotations(
        http, alice, org, second["result"]["dataset_id"]
    )


def test_annotations_only_imports_are_streamed_too(
    http: httpx.Client, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = org_of(http, alice)
    pictures = _pictures(http, alice, org, 4)
    document = _document(pictures)
    first = _run(http, alice, org, json.dumps(document).encode(), name="twice")
    assert first["status"] == "succeeded"
    version_id = first["result"]["dataset_id"]
    document["pictures"] = []
    document["images"] = document["images"][1:3]
    document["images"][0]["objects"] = document["images"][0]["objects"][:1]
    data = json.dumps(document, indent=1).encode("utf-16")  # any encoding json.load reads
    with monkeypatch.context() as m:
        _streamed_only(m)
        _small_pieces(m)
        again = _run(http, alice, org, data, version_id=version_id)
    assert again["status"] == "succeeded", again
    assert again["result"]["nb_annotations"] == 2 and again["result"]["nb_objects"] == 4
    records = _annotations(http, alice, org, version_id)[0]
    assert [len(r["annotations"]) for r in records] == [1, 1, 3, 1]


def _mutations() -> list[tuple[str, Callable[[dict[str, Any], bytes], bytes]]]:
    def dump(d: dict[str, Any]) -> bytes:
        return json.dumps(d).encode()

    def edit(fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any], bytes], bytes]:
        def apply(d: dict[str, Any], _raw: bytes) -> bytes:
            fn(d)
            return dump(d)

        return apply

    def images_first(d: dict[str, Any], _raw: bytes) -> bytes:
        return dump({"images": d["images"], **{k: v for k, v in d.items() if k != "images"}})

    def duplicate_key(d: dict[str, Any], raw: bytes) -> bytes:
        return raw[:-1] + b', "images": []}'

    def truncated(_d: dict[str, Any], raw: bytes) -> bytes:
        return raw[: len(raw) * 2 // 3]

    def trailing(_d: dict[str, Any], raw: bytes) -> bytes:
        return raw + b" []"

    def bad_byte(_d: dict[str, Any], raw: bytes) -> bytes:
        middle = len(raw) // 2
        return raw[:middle] + b"\xff" + raw[middle:]

    return [
        ("unknown label", edit(lambda d: d["images"][3]["objects"][0].update(label="plane"))),
        ("outside", edit(lambda d: d["images"][4]["objects"][0]["rectangle"].update(left=900))),
        ("twice", edit(lambda d: d["images"][5].update(external_url="im-0.jpg"))),
        ("not in version", edit(lambda d: d["pictures"].pop())),
        ("bad status", edit(lambda d: d["images"][2].update(status="done"))),
        ("bad object", edit(lambda d: d["images"][4]["objects"][0].update(type="circle"))),
        ("bad point", edit(lambda d: d["images"][5]["objects"][1]["polygon"].update(geometry=[]))),
        ("bad picture id", edit(lambda d: d["pictures"].append("nope"))),
        ("bad label", edit(lambda d: d["labels"].append({"name": "x", "type": "circle"}))),
        ("no format", edit(lambda d: d.pop("format"))),
        ("wrong format", edit(lambda d: d.update(format="other/1"))),
        ("no labels", edit(lambda d: d.pop("labels"))),
        ("images not a list", edit(lambda d: d.update(images={"a": 1}))),
        ("images null", edit(lambda d: d.update(images=None))),
        ("images first", images_first),
        ("duplicate key", duplicate_key),
        ("truncated", truncated),
        ("trailing data", trailing),
        ("bad byte", bad_byte),
    ]


@pytest.mark.parametrize(("name", "mutate"), _mutations(), ids=[m[0] for m in _mutations()])
def test_every_other_document_ends_as_the_whole_way_says(
    http: httpx.Client,
    alice: str,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    mutate: Callable[[dict[str, Any], bytes], bytes],
) -> None:
    org = org_of(http, alice)
    pictures = _pictures(http, alice, org, 7)
    document = _document(pictures)
    data = mutate(document, json.dumps(_document(pictures)).encode())
    with monkeypatch.context() as m:
        _whole_only(m)
        whole = _run(http, alice, org, data, name=f"{name}-whole")
    with monkeypatch.context() as m:
        _small_pieces(m)
        streamed = _run(http, alice, org, data, name=f"{name}-streamed")
    assert _outcome(whole) == _outcome(streamed)
    if whole["status"] == "failed":
        names = {
            d["dataset_name"]
            for d in http.get(f"/organizations/{org}/datasets", headers=auth(alice)).json()["data"]
        }
        assert not names & {f"{name}-whole", f"{name}-streamed"}  # nothing written


@pytest.mark.parametrize("spooled", [False, True])
def test_the_sdk_writes_the_document_json_dump_would(tmp_path: Any, spooled: bool) -> None:
    import threading

    from pixlake.formats import (
        QA,
        AnnotatedImage,
        Annotations,
        Box,
        LabelSpec,
        Obj,
        SpooledImages,
        to_compact,
    )
    from pixlake.sdk import _import

    images = [
        AnnotatedImage(
            file_name=f"é-{i}.jpg",
            width=640,
            height=480,
            objects=tuple(
                Obj(label="car", kind="rectangle", box=Box(1.5 * j, 2.0, 3.25, 4.0))
                for j in range(i % 4)
            ),
            qa=(QA("q", "a"),) if i % 3 else (),
            status="accepted" if i % 2 else None,
            extra={"id": i, "nb_instances": i} if i % 5 else {},
        )
        for i in range(600)  # more than one batch
    ]
    held: Sequence[AnnotatedImage] = images
    if spooled:  # objects added out of image order, as a COCO file may list them
        spool = SpooledImages([dataclasses.replace(i, objects=()) for i in images])
        for j in reversed(range(4)):
            for i, image in enumerate(images):
                if j < len(image.objects):
                    spool.add(i, image.objects[j])
        spool.seal()
        held = spool
    annotations = Annotations(
        labels=[LabelSpec("car", "rectangle")], images=held, info={"coco": {"x": [1, None]}}
    )
    ids = [f"id-{i}" for i in range(600)]
    part = tmp_path / "images.json"
    with part.open("w", encoding="utf-8") as out:
        _import._write_images(out, annotations, threading.Event())
    written = io.StringIO()
    _import._write_document(written, annotations, ids, part)
    expected = {
        "format": _import.DOCUMENT_FORMAT,
        "labels": [{"name": "car", "type": "rectangle"}],
        "pictures": ids,
        "images": [
            _import._image_record(
                i, [to_compact(o) for o in (i.objects[::-1] if spooled else i.objects)]
            )
            for i in images
        ],
        "info": {"coco": {"x": [1, None]}},
    }
    if spooled:  # the spooled objects keep non-ASCII characters as they are
        assert json.loads(written.getvalue()) == expected
    else:
        assert written.getvalue() == json.dumps(expected, separators=(",", ":"))


_BOX = {"type": "rectangle", "label": "car", "box": [2.5, 1, 10, 12.25], "area": 122.5}
_ZONE = {"type": "polygon", "label": "zone", "box": [1, 1, 8.5, 7], "rings": [[1, 1, 9.5, 1, 5, 8]]}
_QA = {"question": "q", "answer": "a"}
#: (image, plain): images whose objects are all plain, and images that need the general way.
_IMAGES = [
    ({"external_url": "a.jpg", "objects": [_BOX, {**_ZONE, "iscrowd": True}]}, True),
    ({"external_url": "a.jpg", "objects": [], "image_qa": [], "status": "accepted"}, True),
    ({"external_url": "a.jpg", "nb_instances": 2, "duration": 1.5, "extra": {"id": 7}}, True),
    ({"external_url": "a.jpg", "objects": [_BOX], "extra": {}}, True),
    ({"external_url": "a.jpg", "objects": [_BOX], "image_qa": [_QA]}, False),
    ({"external_url": "a.jpg", "objects": [_BOX, {**_ZONE, "score": 0.5}]}, False),
    ({"external_url": "a.jpg", "objects": [{"type": "classification", "label": "day"}]}, False),
    ({"external_url": "a.jpg", "objects": [{**_BOX, "box": [1, 2, -3, 4]}]}, False),
    ({"external_url": "a.jpg", "objects": _BOX}, False),
    ({"external_url": "a.jpg", "image_qa": ""}, False),
    ({"external_url": "a.jpg", "extra": [1]}, False),
    ({"external_url": 3}, False),
]


@pytest.mark.parametrize(("image", "plain"), _IMAGES, ids=[f"case{i}" for i in range(len(_IMAGES))])
def test_plain_images_are_prepared_as_the_general_way_prepares_them(
    image: dict[str, Any], plain: bool
) -> None:
    prepared = imports._prepare_plain(copy.deepcopy(image))
    if not plain:
        assert prepared is None
        return
    item = imports._parse_image(0, copy.deepcopy(image), Problems(), True)
    assert item is not None and prepared == prepare_annotation(item)
