"""Rows 20, 22, 23, 25 to 28 and 67: labels and annotations through the upstream client,
its ``Datalake.upload`` of COCO, PASCAL-VOC and PICSELLIA files onto pictures it uploaded,
and an experiment's ``dl_annotations``, each seen by pixlake's own SDK too."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from pixlake import Dataset, Picture
from pixlake.core import accounts, experiments, projects
from pixlake.exceptions import ResourceNotFoundError
from tests.api.upstream.conftest import Upstream, wire
from tests.api.upstream.test_datasets import ours, upload
from tests.conftest import LiveServer, write_images

#: The pictures' size (``write_images``).
W, H = 64, 48

CAR = {
    "type": "rectangle",
    "label": "car",
    "rectangle": {"top": 2, "left": 3, "width": 20, "height": 10},
    "qa": [{"question": "colour?", "answer": "red"}],
}
ROAD = {
    "type": "polygon",
    "label": "road",
    "polygon": {"geometry": [{"x": 0, "y": 40}, {"x": 63, "y": 40}, {"x": 63, "y": 47}]},
}
ADULT = {
    "type": "rectangle",
    "label": "person/adult",
    "rectangle": {"top": 5, "left": 30, "width": 8, "height": 20},
}
SUNNY = {"type": "classification", "label": "sunny"}


def dataset(upstream: Upstream, tmp_path: Path, name: str, count: int = 3) -> dict[str, Any]:
    """A dataset of ``count`` new pictures (``img_0000.jpg``...), made by the upstream client."""
    upload(upstream, write_images(tmp_path / name, count), [name])
    record: dict[str, Any] = upstream.run(
        f"""
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST)
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        emit(ds.create(name={name!r}, pictures=pic.fetch(quantity=1, tags=[{name!r}]))
             .fetched_dataset)
        """
    )
    return record


def plain(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objects less what may be left out: an empty ``qa`` (the importers send ``qa: []``)
    and pixlake's ``extra``."""
    return [{k: v for k, v in o.items() if k != "extra" and (k != "qa" or v)} for o in objs]


def objects(record: dict[str, Any]) -> list[dict[str, Any]]:
    """An annotation record's objects, as :func:`plain`."""
    return plain(record["annotations"])


def test_labels_and_annotations_of_every_kind(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    record = dataset(upstream, tmp_path, "shapes")
    seen = upstream.run(
        f"""
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST).fetch("shapes")
        for name, kind in [("car", "rectangle"), ("road", "polygon"),
                           ("sunny", "classification"), ("person/adult", "rectangle"),
                           ("car", "rectangle")]:
            ds.create_labels(name, kind)
        saved = ds.add_annotation("img_0000.jpg", data=[{CAR!r}, {ROAD!r}])
        ds.add_annotation("img_0000.jpg", data=[{ADULT!r}])  # adds to the picture's
        ds.add_annotation("img_0001.jpg", data=[{SUNNY!r}],
                          image_qa=[{{"question": "weather?", "answer": "sunny"}}])
        one = ds.get_annotations(picture_name="img_0000.jpg")
        every = ds.get_annotations()
        page = ds.get_annotations(limit=1, offset=1)
        ds.get_annotations(from_snapshot=True)
        emit([saved, one, every, page, ds.annotations, ds.nb_annotations])
        """
    )
    saved, one, every, page, snapshot, total = seen
    assert saved == {"message": "annotation saved", "objects": 2}
    mine = ours(server, alice).fetch("shapes")
    assert [(label["name"], label["type"]) for label in mine.fetched_dataset["labels"]] == [
        ("car", "rectangle"),
        ("road", "polygon"),
        ("sunny", "classification"),
        ("person/adult", "rectangle"),
    ]
    assert mine.fetched_dataset["nb_objects"] == 4
    ours_one = mine.get_annotations(picture_name="img_0000.jpg")
    assert one["external_picture_url"] == ours_one["external_picture_url"] == "img_0000.jpg"
    assert one["internal_picture_id"] == str(ours_one["internal_picture_id"])
    assert objects(one) == objects(ours_one) == [CAR, ROAD, ADULT]
    second = mine.get_annotations(picture_name="img_0001.jpg")
    assert second["image_qa"] == [{"question": "weather?", "answer": "sunny"}]
    assert [o["type"] for o in second["annotations"]] == ["classification"]

    ours_every = mine.get_annotations()
    assert [a["internal_picture_id"] for a in every] == [
        str(a["internal_picture_id"]) for a in ours_every
    ]
    assert [objects(a) for a in every] == [objects(a) for a in ours_every]
    assert [a["external_picture_url"] for a in page] == ["img_0001.jpg"]
    assert [objects(a) for a in snapshot] == [objects(a) for a in every] and total == 2
    saved_file = upstream.workdir / f"annotations-{record['dataset_id']}.json"
    assert json.loads(saved_file.read_text())["annotations"] == snapshot
    assert str(record["dataset_id"]) == str(mine.dataset_id)

    picture_id = str(second["internal_picture_id"])
    deleted = upstream.run(
        f"""
        from picsellia.pxl_exceptions import ResourceNotFoundError
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST).fetch("shapes")
        one = ds.delete_annotations(picture_id={picture_id!r})
        try:
            ds.get_annotations(picture_name="img_0001.jpg")
            gone = None
        except ResourceNotFoundError as exc:
            gone = str(exc)
        rest = ds.delete_annotations(all_annotations=True)
        emit([one, gone, rest, ds.get_annotations()])
        """
    )
    one_deleted, gone, rest, left = deleted
    assert one_deleted["count"] == 1 and rest["count"] == 1 and left == []
    assert gone is not None and gone.startswith("Not found : ") and "img_0001.jpg" in gone
    assert mine.get_annotations() == []
    with pytest.raises(ResourceNotFoundError):
        mine.get_annotations(picture_name="img_0001.jpg")


def test_a_version_without_annotations_has_one_empty_page(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    record = dataset(upstream, tmp_path, "bare", count=1)
    answer = wire(server, alice, "GET", f"annotation/{record['dataset_id']}?limit=200&offset=0")
    assert answer.status_code == 200
    assert answer.json()["nb_pages"] == 1 and answer.json()["annotations"] == []
    every = upstream.run(
        """
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST).fetch("bare")
        emit(ds.get_annotations())
        """
    )
    assert every == [] == ours(server, alice).fetch("bare").get_annotations()


def test_pages_of_annotations_cover_every_picture(
    server: LiveServer, alice: str, upstream: Upstream, tmp_path: Path
) -> None:
    record = dataset(upstream, tmp_path, "paged", count=5)
    version = record["dataset_id"]
    assert wire(server, alice, "PUT", f"label/{version}/car/rectangle").status_code == 200
    for i in range(5):
        saved = wire(
            server, alice, "PUT", f"annotation/new/{version}/img_{i:04d}.jpg", {"data": [CAR]}
        )
        assert saved.status_code == 200, saved.text
    pages = [
        wire(server, alice, "GET", f"annotation/{version}?limit=2&offset={offset}").json()
        for offset in (0, 2, 4)
    ]
    assert [p["nb_pages"] for p in pages] == [3, 3, 3]
    names = [a["external_picture_url"] for p in pages for a in p["annotations"]]
    assert names == [f"img_{i:04d}.jpg" for i in range(5)]
    too_long = wire(server, alice, "GET", f"annotation/{version}?limit=5000&offset=0")
    assert too_long.status_code == 400 and "at most 1000" in too_long.json()["error"]


def test_file_names_with_spaces_and_accents_travel_in_the_path(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    path = tmp_path / "my car été.jpg"
    path.write_bytes(write_images(tmp_path / "src", 1)[0].read_bytes())
    upload(upstream, [path], ["spaced"])
    found = upstream.run(
        f"""
        from picsellia.pxl_exceptions import ResourceNotFoundError
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST)
        pic = Client.Datalake.Picture(api_token=TOKEN, host=HOST)
        ds.create(name="spaced", pictures=pic.fetch(quantity=1, tags=["spaced"]))
        ds.create_labels("car", "rectangle")
        ds.add_annotation("my car été.jpg", data=[{CAR!r}])
        try:
            ds.add_annotation("photos/my car été.jpg", data=[{CAR!r}])
            folder = None
        except ResourceNotFoundError as exc:
            folder = str(exc)
        emit([ds.get_annotations(picture_name="my car été.jpg"), folder])
        """
    )
    record, folder = found
    assert objects(record) == [CAR] and record["external_picture_url"] == "my car été.jpg"
    assert folder is not None and "no picture 'photos/my car été.jpg'" in folder
    mine = ours(server, alice).fetch("spaced")
    assert objects(mine.get_annotations(picture_name="my car été.jpg")) == [CAR]


def test_bad_annotations_are_refused_and_nothing_is_half_written(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    record = dataset(upstream, tmp_path, "strict", count=2)
    version = record["dataset_id"]
    errors = upstream.run(
        f"""
        from picsellia.pxl_exceptions import InvalidQueryError, ResourceNotFoundError
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST).fetch("strict")
        ds.create_labels("car", "rectangle")
        ds.add_annotation("img_0000.jpg", data=[{CAR!r}])
        out = {{}}
        def attempt(key, call):
            try:
                call()
                out[key] = None
            except (InvalidQueryError, ResourceNotFoundError) as exc:
                out[key] = [type(exc).__name__, str(exc)]
        attempt("unknown label", lambda: ds.add_annotation("img_0000.jpg", data=[
            {{"type": "rectangle", "label": "cat",
              "rectangle": {{"top": 0, "left": 0, "width": 2, "height": 2}}}}]))
        attempt("unknown picture", lambda: ds.add_annotation("nope.jpg", data=[{CAR!r}]))
        attempt("half bad", lambda: ds.add_annotation("img_0000.jpg", data=[{CAR!r},
            {{"type": "rectangle", "label": "car",
              "rectangle": {{"top": 0, "left": 0, "width": -4, "height": 2}}}}]))
        attempt("outside", lambda: ds.add_annotation("img_0001.jpg", data=[
            {{"type": "rectangle", "label": "car",
              "rectangle": {{"top": 0, "left": 0, "width": 500, "height": 2}}}}]))
        attempt("label type", lambda: ds.create_labels("circle", "circle"))
        attempt("label clash", lambda: ds.create_labels("car", "polygon"))
        attempt("no such picture", lambda: ds.delete_annotations(
            picture_id="6b0e53b2-1c55-4f35-9c4b-3a3c1a0c7a51"))
        attempt("no annotation", lambda: ds.get_annotations(picture_name="img_0001.jpg"))
        emit(out)
        """
    )
    assert errors["unknown label"][0] == "InvalidQueryError"
    assert "unknown label 'cat'" in errors["unknown label"][1]
    assert errors["unknown picture"][0] == "ResourceNotFoundError"
    assert "nope.jpg" in errors["unknown picture"][1]
    assert errors["half bad"][0] == "InvalidQueryError"
    assert "data[1].rectangle" in errors["half bad"][1]
    assert errors["outside"][0] == "InvalidQueryError"
    assert "outside its 64x48 picture" in errors["outside"][1]
    assert errors["label type"][0] == "InvalidQueryError"
    assert "expected a type among rectangle, polygon, classification" in errors["label type"][1]
    assert errors["label clash"][0] == "InvalidQueryError"
    assert "already exists with type 'rectangle'" in errors["label clash"][1]
    assert errors["no such picture"][0] == "ResourceNotFoundError"
    assert errors["no annotation"][0] == "ResourceNotFoundError"
    mine = ours(server, alice).fetch("strict")
    assert [objects(a) for a in mine.get_annotations()] == [[CAR]]
    assert [label["name"] for label in mine.fetched_dataset["labels"]] == ["car"]

    for method, path, body, expected in [
        ("PUT", f"annotation/new/{version}/img_0000.jpg", {}, "data: expected a list"),
        ("PUT", f"annotation/new/{version}/img_0000.jpg", {"data": "car"}, "list of objects"),
        ("PUT", f"annotation/new/{version}/img_0000.jpg", {"data": [{"type": "circle"}]}, "type"),
        ("PUT", f"label/{version}/car", None, "label/<dataset id>/<label name>/<type>"),
        ("GET", f"annotation/{version}?limit=0", None, "limit"),
        ("POST", f"dataset/{version}/update_stats", {"nb_objects": -1}, "nb_objects"),
        ("GET", f"experiment/{uuid.uuid4()}/dl_annotations/some", None, "option"),
    ]:
        answer = wire(server, alice, method, path, body)
        assert answer.status_code == 400, (path, answer.text)
        assert expected in answer.json()["error"], (path, answer.text)
    assert [objects(a) for a in mine.get_annotations()] == [[CAR]]


def test_another_organizations_annotations_are_not_found(
    upstream: Upstream, server: LiveServer, alice: str, bob: str, tmp_path: Path, unique: str
) -> None:
    record = dataset(upstream, tmp_path, "theirs", count=1)
    version = record["dataset_id"]
    mine = ours(server, alice).fetch("theirs")
    mine.create_labels("car", "rectangle")
    mine.add_annotation("img_0000.jpg", data=[CAR])
    picture = str(mine.list_pictures()[0]["picture_id"])
    _project, experiment = _experiment(server, alice, unique, "theirs/first")
    other, other_picture, other_experiment = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for method, path, body in [
        ("PUT", "label/{v}/dog/rectangle", None),
        ("PUT", "annotation/new/{v}/img_0000.jpg", {"data": [CAR]}),
        ("GET", "annotation/new/{v}/img_0000.jpg", None),
        ("GET", "annotation/{v}", None),
        ("GET", "annotation/{v}?snapshot=True", None),
        ("DELETE", "annotation/{v}/{p}", None),
        ("DELETE", "annotation/{v}", None),
        ("GET", "experiment/{e}/dl_annotations/all", None),
    ]:
        foreign = wire(server, bob, method, path.format(v=version, p=picture, e=experiment), body)
        missing = wire(
            server, bob, method, path.format(v=other, p=other_picture, e=other_experiment), body
        )
        assert foreign.status_code == missing.status_code == 404, (path, foreign.text)
        assert foreign.json()["error"].replace(version, "X").replace(str(experiment), "X") == (
            missing.json()["error"].replace(str(other), "X").replace(str(other_experiment), "X")
        )
    assert [objects(a) for a in mine.get_annotations()] == [[CAR]]
    assert [label["name"] for label in mine.fetch("theirs").fetched_dataset["labels"]] == ["car"]


# --------------------------------------------------------------------------- imports


def _import(upstream: Upstream, name: str, path: Path, ann_format: str, **more: Any) -> Any:
    """``Datalake.upload`` of annotations only (``imgdir=None``) onto dataset ``name``: its
    process pool cannot upload images (it cannot pickle the decorated upload method)."""
    options = "".join(f", {k}={v!r}" for k, v in more.items())
    return upstream.run(
        f"""
        lake = Client.Datalake(api_token=TOKEN, host=HOST)
        lake.upload(name={name!r}, version="first", imgdir=None, ann_path={str(path)!r},
                    ann_format={ann_format!r}, nb_jobs=2{options})
        emit(0)
        """
    )


def _by_picture(dataset: Dataset) -> dict[str, list[dict[str, Any]]]:
    return {a["external_picture_url"]: objects(a) for a in dataset.get_annotations()}


def test_import_coco_boxes_and_polygons(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    dataset(upstream, tmp_path, "coco", count=2)
    boxes = {
        "images": [
            {"id": 1, "file_name": "img_0000.jpg", "width": W, "height": H},
            {"id": 2, "file_name": "img_0001.jpg", "width": W, "height": H},
        ],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "bike"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [3, 2, 20, 10], "segmentation": []},
            {"id": 2, "image_id": 1, "category_id": 2, "bbox": [30, 5, 8, 9], "segmentation": []},
            {"id": 3, "image_id": 2, "category_id": 1, "bbox": [0, 0, 5, 5], "segmentation": []},
        ],
    }
    path = tmp_path / "boxes.json"
    path.write_text(json.dumps(boxes))
    _import(upstream, "coco", path, "COCO")
    mine = ours(server, alice).fetch("coco", "first")

    def box(label: str, left: int, top: int, width: int, height: int) -> dict[str, Any]:
        rect = {"top": top, "left": left, "width": width, "height": height}
        return {"type": "rectangle", "label": label, "rectangle": rect}

    expected = {
        "img_0000.jpg": [box("car", 3, 2, 20, 10), box("bike", 30, 5, 8, 9)],
        "img_0001.jpg": [box("car", 0, 0, 5, 5)],
    }
    assert _by_picture(mine) == expected
    assert [(lab["name"], lab["type"]) for lab in mine.fetched_dataset["labels"]] == [
        ("car", "rectangle"),
        ("bike", "rectangle"),
    ]
    assert mine.fetched_dataset["nb_objects"] == 3
    assert mine.fetched_dataset["repartition"] == {"car": 2, "bike": 1}

    ring = [10, 10, 30, 10, 30, 30, 10, 30]
    polygons = {
        **boxes,
        "categories": [{"id": 1, "name": "lane"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [10, 10, 20, 20],
                "segmentation": [ring],
            },
        ],
    }
    upstream.run(
        """
        ds = Client.Datalake.Dataset(api_token=TOKEN, host=HOST)
        ds.new_version(name="coco", version="shapes", pictures=[], from_version="first")
        ds.delete_annotations(all_annotations=True)
        emit(0)
        """
    )
    path = tmp_path / "polygons.json"
    path.write_text(json.dumps(polygons))
    upstream.run(
        f"""
        lake = Client.Datalake(api_token=TOKEN, host=HOST)
        lake.upload(name="coco", version="shapes", imgdir=None, ann_path={str(path)!r},
                    ann_format="COCO", nb_jobs=2)
        emit(0)
        """
    )
    shapes = ours(server, alice).fetch("coco", "shapes")
    geometry = [{"x": ring[i], "y": ring[i + 1]} for i in range(0, len(ring), 2)]
    assert _by_picture(shapes) == {
        "img_0000.jpg": [{"type": "polygon", "label": "lane", "polygon": {"geometry": geometry}}],
        "img_0001.jpg": [],  # the client sends every image of the file, with its objects or none
    }
    assert ("lane", "polygon") in [(x["name"], x["type"]) for x in shapes.fetched_dataset["labels"]]
    # the first version keeps its own annotations
    assert _by_picture(ours(server, alice).fetch("coco", "first")) == expected


def test_import_pascal_voc(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    dataset(upstream, tmp_path, "voc", count=2)
    folder = tmp_path / "Annotations"
    folder.mkdir()
    for i, boxes in enumerate(
        [[("Car", 4, 3, 24, 12), ("Bike", 31, 6, 38, 14)], [("Car", 1, 1, 5, 5)]]
    ):
        objects_xml = "".join(
            f"<object><name> {name} </name><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin>"
            f"<xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>"
            for name, x0, y0, x1, y1 in boxes
        )
        (folder / f"img_{i:04d}.xml").write_text(
            f"<annotation><filename>img_{i:04d}.jpg</filename><size><width>{W}</width>"
            f"<height>{H}</height><depth>3</depth></size>{objects_xml}</annotation>"
        )
    _import(upstream, "voc", folder, "PASCAL-VOC")
    mine = ours(server, alice).fetch("voc", "first")

    # what the upstream client sends: names lower-cased, every corner less 1
    def box(label: str, x0: int, y0: int, x1: int, y1: int) -> dict[str, Any]:
        rect = {"top": y0 - 1, "left": x0 - 1, "width": x1 - x0, "height": y1 - y0}
        return {"type": "rectangle", "label": label, "rectangle": rect}

    assert _by_picture(mine) == {
        "img_0000.jpg": [box("car", 4, 3, 24, 12), box("bike", 31, 6, 38, 14)],
        "img_0001.jpg": [box("car", 1, 1, 5, 5)],
    }
    assert sorted(lab["name"] for lab in mine.fetched_dataset["labels"]) == ["bike", "car"]
    assert mine.fetched_dataset["nb_objects"] == 3


def test_import_picsellia(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    dataset(upstream, tmp_path, "native", count=2)
    document = {
        "annotations": [
            {
                "external_picture_url": "img_0000.jpg",
                "nb_labels": 2,
                "time_spent": 12.5,
                "annotations": [CAR, ROAD],
            },
            {
                "external_picture_url": "img_0001.jpg",
                "nb_labels": 1,
                "time_spent": 3,
                "annotations": [SUNNY],
            },
        ]
    }
    path = tmp_path / "picsellia.json"
    path.write_text(json.dumps(document))
    _import(upstream, "native", path, "PICSELLIA")
    mine = ours(server, alice).fetch("native", "first")
    assert _by_picture(mine) == {"img_0000.jpg": [CAR, ROAD], "img_0001.jpg": [SUNNY]}
    first = mine.get_annotations(picture_name="img_0000.jpg")
    assert (first["nb_instances"], first["duration"]) == (2, 12.5)
    assert [(lab["name"], lab["type"]) for lab in mine.fetched_dataset["labels"]] == [
        ("car", "rectangle"),
        ("road", "polygon"),
        ("sunny", "classification"),
    ]


def test_import_onto_an_unknown_dataset_is_not_found(upstream: Upstream, tmp_path: Path) -> None:
    path = tmp_path / "picsellia.json"
    path.write_text(json.dumps({"annotations": []}))
    _value, output = upstream.run(
        f"""
        lake = Client.Datalake(api_token=TOKEN, host=HOST)
        lake.upload(name="nowhere", imgdir=None, ann_path={str(path)!r}, ann_format="PICSELLIA")
        emit(0)
        """,
        check=False,
    )
    assert _value is None and "ResourceNotFoundError" in output and "'nowhere'" in output


# --------------------------------------------------------------------------- dl_annotations


def _experiment(
    server: LiveServer, token: str, name: str, dataset: str | None
) -> tuple[uuid.UUID, uuid.UUID]:
    """A project ``name`` of the caller's organization, ``dataset`` attached to it, and an
    experiment in it made from that dataset: their ids."""
    caller = accounts.authenticate(server.db, token)
    org = caller.default_organization.id
    project = projects.create_project(server.db, caller, org, name=name)
    if dataset is not None:
        dataset_name, version = dataset.split("/")
        projects.attach_dataset(
            server.db, caller, org, project_id=project.id, name=dataset_name, version=version
        )
    run = experiments.create_experiment(
        server.db, caller, org, project_id=project.id, name="train", dataset=dataset
    )
    return project.id, run.id


def test_dl_annotations_all_and_accepted(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path, unique: str
) -> None:
    dataset(upstream, tmp_path, "train", count=3)
    mine = ours(server, alice).fetch("train")
    mine.create_labels("car", "rectangle")
    mine.create_labels("sunny", "classification")
    mine.add_annotation("img_0000.jpg", data=[CAR])
    mine.add_annotation("img_0001.jpg", data=[SUNNY])
    mine.set_annotation_status(["img_0001.jpg"], "accepted")
    project_id, experiment = _experiment(server, alice, unique, "train/first")
    got = upstream.run(
        f"""
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={str(project_id)!r},
                                id={str(experiment)!r}, interactive=False)
        every = exp.dl_annotations("all")
        accepted = exp.dl_annotations("accepted")
        exp.dl_pictures()
        emit([every, accepted])
        """
    )
    every, accepted = got
    pictures = mine.list_pictures()
    assert [
        (i["internal_picture_id"], i["external_picture_url"], i["width"], i["height"])
        for i in every["images"]
    ] == [(str(p["picture_id"]), p["external_url"], p["width"], p["height"]) for p in pictures]
    assert [objects(a) for a in every["annotations"]] == [
        objects(a) for a in mine.get_annotations()
    ]
    assert [a["external_picture_url"] for a in accepted["annotations"]] == ["img_0001.jpg"]
    assert [objects(a) for a in accepted["annotations"]] == [
        objects(a) for a in mine.get_annotations(status="accepted")
    ]
    assert len(accepted["images"]) == 3
    assert every["categories"] == [{"id": 1, "name": "car"}, {"id": 2, "name": "sunny"}]
    downloaded = upstream.workdir / "images"
    assert sorted(p.name for p in downloaded.iterdir()) == [p["external_url"] for p in pictures]
    for p in pictures:
        written = (downloaded / p["external_url"]).read_bytes()
        assert written == (tmp_path / "train" / p["external_url"]).read_bytes()


def test_dl_annotations_needs_an_attached_dataset_with_pictures(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path, unique: str
) -> None:
    project_id, experiment = _experiment(server, alice, unique, None)
    script = f"""
        from picsellia.pxl_exceptions import ResourceNotFoundError
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={str(project_id)!r},
                                id=EXPERIMENT, interactive=False)
        try:
            exp.dl_annotations("all")
            emit(None)
        except ResourceNotFoundError as exc:
            emit(str(exc))
        """
    missing = upstream.run(script.replace("EXPERIMENT", repr(str(experiment))))
    assert missing.startswith("Not found : ") and "no dataset attached" in missing

    dataset(upstream, tmp_path, "emptied", count=1)
    Picture(api_token=alice, host=server.url, interactive=False).delete(
        ours(server, alice).fetch("emptied").list_pictures()
    )
    _project, emptied = _experiment(server, alice, unique + "e", "emptied/first")
    empty = upstream.run(script.replace("EXPERIMENT", repr(str(emptied))))
    assert empty.startswith("Not found : ") and "has no pictures" in empty
