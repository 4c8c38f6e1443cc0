"""Datasets over HTTP: version routes, annotation validation as problem+json, imports as jobs,
and organization scoping."""

from __future__ import annotations

import io
import json
import tarfile
import time
import uuid
import zipfile
from typing import Any

import httpx

from tests.api.routers.test_accounts import auth
from tests.api.routers.test_blobs import org_of, sha
from tests.api.routers.test_pictures import register, upload
from tests.conftest import make_image


def dataset_with_pictures(
    http: httpx.Client, token: str, name: str, count: int = 3
) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    org = org_of(http, token)
    items = [
        (f"{name}-{i}.jpg", upload(http, token, org, make_image(5000 + i))) for i in range(count)
    ]
    pictures = register(http, token, org, items)["created"]
    response = http.post(
        f"/organizations/{org}/datasets",
        json={"name": name, "pictures": [p["picture_id"] for p in pictures]},
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    return org, response.json(), pictures


def test_version_routes(http: httpx.Client, alice: str) -> None:
    org, record, pictures = dataset_with_pictures(http, alice, "ds")
    assert record["version"] == "first" and record["size"] == 3
    base = f"/organizations/{org}"
    latest = http.get(f"{base}/datasets/ds/versions/latest", headers=auth(alice)).json()
    assert latest["dataset_id"] == record["dataset_id"]
    v2 = http.post(
        f"{base}/datasets/ds/versions", json={"version": "v2", "pictures": []}, headers=auth(alice)
    )
    assert v2.status_code == 201 and v2.json()["created_from"] == "first"
    dup = http.post(f"{base}/datasets/ds/versions", json={"version": "v2"}, headers=auth(alice))
    assert dup.status_code == 409 and dup.json()["code"] == "already_exists"
    missing = http.get(f"{base}/datasets/ds/versions/v9", headers=auth(alice))
    assert missing.status_code == 404 and "v9" in missing.json()["detail"]
    empty = http.post(f"{base}/datasets", json={"name": "x", "pictures": []}, headers=auth(alice))
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "body.pictures"
    unknown = http.post(
        f"{base}/datasets", json={"name": "y", "pictures": [str(uuid.uuid4())]}, headers=auth(alice)
    )
    assert unknown.status_code == 404 and "not in this organization" in unknown.json()["detail"]
    deleted = http.delete(f"{base}/datasets/ds/versions/v2", headers=auth(alice))
    assert deleted.status_code == 200 and deleted.json()["version"] == "v2"


def test_names_that_would_not_make_a_folder_are_refused(http: httpx.Client, alice: str) -> None:
    org, _record, pictures = dataset_with_pictures(http, alice, "named")
    ids = [p["picture_id"] for p in pictures]
    for name in (".", ".."):
        answer = http.post(
            f"/organizations/{org}/datasets",
            json={"name": name, "pictures": ids},
            headers=auth(alice),
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "name"
        assert "folder" in answer.json()["errors"][0]["message"]
        version = http.post(
            f"/organizations/{org}/datasets/named/versions",
            json={"version": name},
            headers=auth(alice),
        )
        assert version.status_code == 422 and version.json()["errors"][0]["field"] == "version"


def test_annotation_problems_name_their_field(http: httpx.Client, alice: str) -> None:
    org, record, pictures = dataset_with_pictures(http, alice, "ann")
    path = f"/organizations/{org}/dataset-versions/{record['dataset_id']}"
    http.post(
        f"{path}/labels",
        json={"labels": [{"name": "car", "type": "rectangle"}]},
        headers=auth(alice),
    )
    bad_label_type = http.post(
        f"{path}/labels", json={"labels": [{"name": "x", "type": "circle"}]}, headers=auth(alice)
    )
    assert bad_label_type.status_code == 422
    clash = http.post(
        f"{path}/labels", json={"labels": [{"name": "car", "type": "polygon"}]}, headers=auth(alice)
    )
    assert clash.status_code == 422 and "already exists with type 'rectangle'" in clash.text
    body = {
        "annotations": [
            {
                "external_url": pictures[0]["external_url"],
                "data": [
                    {
                        "type": "rectangle",
                        "label": "car",
                        "rectangle": {"top": 0, "left": 0, "width": -3, "height": 2},
                    }
                ],
            },
            {
                "external_url": pictures[1]["external_url"],
                "data": [
                    {"type": "polygon", "label": "car", "polygon": {"geometry": [{"x": 1, "y": 1}]}}
                ],
            },
        ]
    }
    response = http.put(f"{path}/annotations", json=body, headers=auth(alice))
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.startswith("annotations[0].data[0].rectangle") for f in fields)
    assert any(f.startswith("annotations[1].data[0].polygon") for f in fields)
    assert http.get(f"{path}/annotations", headers=auth(alice)).json()["count"] == 0


def wait(http: httpx.Client, token: str, org: str, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.05)
        job = http.get(f"/organizations/{org}/jobs/{job['id']}", headers=auth(token)).json()
    return job


def test_import_job_succeeds_or_fails_whole(http: httpx.Client, alice: str, bob: str) -> None:
    org = org_of(http, alice)
    items = [(f"job-{i}.jpg", upload(http, alice, org, make_image(6000 + i))) for i in range(2)]
    pictures = register(http, alice, org, items)["created"]
    document = {
        "format": "pixlake-import/1",
        "labels": [{"name": "car", "type": "rectangle"}],
        "pictures": [p["picture_id"] for p in pictures],
        "images": [
            {
                "external_url": "job-0.jpg",
                "objects": [
                    {
                        "type": "rectangle",
                        "label": "car",
                        "rectangle": {"top": 1, "left": 1, "width": 5, "height": 5},
                    }
                ],
            },
        ],
    }
    data = json.dumps(document).encode()
    http.put(f"/organizations/{org}/blobs/{sha(data)}", content=data, headers=auth(alice))
    job = http.post(
        f"/organizations/{org}/imports",
        json={"document": sha(data), "name": "jobbed"},
        headers=auth(alice),
    )
    assert job.status_code == 202
    done = wait(http, alice, org, job.json())
    assert done["status"] == "succeeded", done
    assert done["result"]["nb_objects"] == 1 and done["result"]["dataset_name"] == "jobbed"
    # another organization cannot read the job
    assert http.get(f"/organizations/{org}/jobs/{done['id']}", headers=auth(bob)).status_code == 404

    document["images"][0]["objects"][0]["label"] = "plane"  # unknown label: nothing written
    bad = json.dumps(document).encode()
    http.put(f"/organizations/{org}/blobs/{sha(bad)}", content=bad, headers=auth(alice))
    job = http.post(
        f"/organizations/{org}/imports",
        json={"document": sha(bad), "name": "never"},
        headers=auth(alice),
    )
    failed = wait(http, alice, org, job.json())
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "invalid_input"
    assert "plane" in json.dumps(failed["error"]["errors"])
    names = [
        d["dataset_name"]
        for d in http.get(f"/organizations/{org}/datasets", headers=auth(alice)).json()["data"]
    ]
    assert "never" not in names and "jobbed" in names

    both = http.post(
        f"/organizations/{org}/imports",
        json={"document": sha(bad), "name": "x", "version_id": str(uuid.uuid4())},
        headers=auth(alice),
    )
    assert both.status_code == 422


def test_import_of_bytes_the_organization_never_sent_is_refused_before_it_is_queued(
    http: httpx.Client, alice: str, bob: str
) -> None:
    org, bob_org = org_of(http, alice), org_of(http, bob)
    data = json.dumps(
        {"format": "pixlake-import/1", "labels": [], "pictures": [], "images": []}
    ).encode()
    http.put(f"/organizations/{org}/blobs/{sha(data)}", content=data, headers=auth(alice))
    job = http.post(
        f"/organizations/{bob_org}/imports",
        json={"document": sha(data), "name": "stolen"},
        headers=auth(bob),
    )
    assert job.status_code == 422, job.text
    (error,) = job.json()["errors"]
    assert error["field"] == "document" and "not uploaded first" in error["message"]


def test_other_organizations_get_404(http: httpx.Client, alice: str, bob: str) -> None:
    org, record, _pictures = dataset_with_pictures(http, alice, "private-ds")
    for path in (
        f"/organizations/{org}/datasets",
        f"/organizations/{org}/dataset-versions/{record['dataset_id']}",
        f"/organizations/{org}/dataset-versions/{record['dataset_id']}/items",
    ):
        assert http.get(path, headers=auth(bob)).status_code == 404
    bob_org = org_of(http, bob)
    response = http.get(
        f"/organizations/{bob_org}/dataset-versions/{record['dataset_id']}", headers=auth(bob)
    )
    assert response.status_code == 404 and "private-ds" not in response.text


def test_export_streams_the_version_as_a_tar_or_a_zip(
    http: httpx.Client, alice: str, bob: str
) -> None:
    org, record, pictures = dataset_with_pictures(http, alice, "exp")
    path = f"/organizations/{org}/dataset-versions/{record['dataset_id']}/export"
    tar = http.get(path, params={"format": "coco", "archive": "tar"}, headers=auth(alice))
    assert tar.status_code == 200, tar.text
    assert tar.headers["content-type"] == "application/x-tar"
    assert tar.headers["content-disposition"].endswith("exp-first-coco.tar")
    assert "content-length" not in tar.headers  # streamed while written
    with tarfile.open(fileobj=io.BytesIO(tar.content), mode="r:") as archive:
        assert sorted(archive.getnames()) == sorted(
            ["annotations/instances_default.json"]
            + [f"images/{p['external_url']}" for p in pictures]
        )
    zipped = http.get(path, params={"format": "voc"}, headers=auth(alice))  # zip by default
    assert zipped.status_code == 200 and zipped.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
        assert archive.testzip() is None
        assert len([n for n in archive.namelist() if n.startswith("Annotations/")]) == 3

    import_only = http.get(path, params={"format": "picsellia"}, headers=auth(alice))
    assert import_only.status_code == 400 and "import format" in import_only.json()["detail"]
    unknown = http.get(path, params={"format": "csv"}, headers=auth(alice))
    assert unknown.status_code == 422 and "COCO" in unknown.text
    for params in ({"format": "coco", "archive": "rar"}, {}):
        refused = http.get(path, params=params, headers=auth(alice))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"].startswith(
            "query."
        )
    assert http.get(path, params={"format": "coco"}, headers=auth(bob)).status_code == 404
    through_own = path.replace(org, org_of(http, bob))
    assert http.get(through_own, params={"format": "coco"}, headers=auth(bob)).status_code == 404


def test_export_keeps_the_pictures_of_one_review_status(http: httpx.Client, alice: str) -> None:
    org, record, pictures = dataset_with_pictures(http, alice, "rev")
    path = f"/organizations/{org}/dataset-versions/{record['dataset_id']}"
    labels = [{"name": "car", "type": "rectangle"}, {"name": "sunny", "type": "classification"}]
    http.post(f"{path}/labels", json={"labels": labels}, headers=auth(alice))
    box = {
        "type": "rectangle",
        "label": "car",
        "rectangle": {"top": 1, "left": 2, "width": 3, "height": 4},
    }
    body = {
        "annotations": [
            {"external_url": pictures[0]["external_url"], "data": [box], "status": "accepted"},
            {"external_url": pictures[1]["external_url"], "data": [box], "status": "review"},
        ]  # the third picture is never annotated: it has no status
    }
    assert http.put(f"{path}/annotations", json=body, headers=auth(alice)).status_code == 200

    def export(status: str) -> tuple[list[str], dict[str, Any], str]:
        params = {"format": "coco", "archive": "tar", "status": status}
        answer = http.get(f"{path}/export", params=params, headers=auth(alice))
        assert answer.status_code == 200, answer.text
        with tarfile.open(fileobj=io.BytesIO(answer.content), mode="r:") as archive:
            names = sorted(archive.getnames())
            member = archive.extractfile("annotations/instances_default.json")
            assert member is not None
            document = json.load(member)
        return names, document, answer.headers["content-disposition"]

    names, document, disposition = export("accepted")
    assert names == ["annotations/instances_default.json", f"images/{pictures[0]['external_url']}"]
    assert [i["file_name"] for i in document["images"]] == [pictures[0]["external_url"]]
    assert len(document["annotations"]) == 1
    assert [c["name"] for c in document["categories"]] == ["car", "sunny"]  # every label
    assert disposition.endswith("rev-first-coco-accepted.tar")
    names, document, _ = export("pending")
    assert names == ["annotations/instances_default.json"] and document["images"] == []

    unknown = http.get(
        f"{path}/export", params={"format": "coco", "status": "done"}, headers=auth(alice)
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "status"


def test_export_can_reference_the_images_instead_of_sending_them(
    http: httpx.Client, alice: str
) -> None:
    org, record, pictures = dataset_with_pictures(http, alice, "refs")
    path = f"/organizations/{org}/dataset-versions/{record['dataset_id']}/export"
    params = {"format": "coco", "archive": "tar", "images": "reference"}
    tar = http.get(path, params=params, headers=auth(alice))
    assert tar.status_code == 200, tar.text
    with tarfile.open(fileobj=io.BytesIO(tar.content), mode="r:") as archive:
        images = [m for m in archive.getmembers() if m.name.startswith("images/")]
        by_name = {p["external_url"]: p for p in pictures}
        assert len(images) == len(pictures)
        for member in images:
            picture = by_name[member.name.removeprefix("images/")]
            assert member.size == 0
            assert member.pax_headers["PIXLAKE.sha256"] == picture["sha256"]
            assert member.pax_headers["PIXLAKE.size"] == str(picture["size"])
    as_zip = http.get(path, params={**params, "archive": "zip"}, headers=auth(alice))
    assert as_zip.status_code == 400 and "archive=tar" in as_zip.json()["detail"]
    unknown = http.get(path, params={**params, "images": "links"}, headers=auth(alice))
    assert unknown.status_code == 422
