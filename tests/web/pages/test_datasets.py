"""The datasets' pages over HTTP: versions, a version's pictures with their annotations
drawn, review, masks as the field's tool decodes them, statistics, and exports."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from tests.conftest import LiveServer
from tests.web.conftest import Person, Stranger, csrf_of


def _cells(page: str) -> list[str]:
    return re.findall(r'<li>\s*<a href="[^"]+" title="[^"]+">.*?</li>', page, re.S)


def test_the_versions_are_listed_with_their_counts(
    signed_in: httpx.Client, person: Person, version: str, coco: tuple[Path, dict[str, Any]]
) -> None:
    page = signed_in.get(f"/o/{person.organization}/datasets").text
    _root, document = coco
    row = re.search(
        rf'<a href="/o/{person.organization}/datasets/{version}">first</a>.*?</tr>', page, re.S
    )
    assert row is not None
    numbers = re.findall(r'<td class="num">(\d+)</td>', row.group(0))
    assert numbers == ["12", "12", str(len(document["annotations"]))]


def test_a_version_grid_draws_every_object(
    signed_in: httpx.Client, person: Person, version: str, coco: tuple[Path, dict[str, Any]]
) -> None:
    _root, document = coco
    page = signed_in.get(f"/o/{person.organization}/datasets/{version}").text
    assert len(_cells(page)) == 12
    kinds: Counter[str] = Counter()
    for a in document["annotations"]:
        if a["iscrowd"]:
            kinds["mask"] += 1
        elif a["segmentation"]:
            kinds["polygon"] += 1
        else:
            kinds["rectangle"] += 1
    assert page.count('<rect class="shape"') == kinds["rectangle"]
    assert page.count('<g class="shape"') == kinds["polygon"]
    assert page.count('<image class="shape mask"') == kinds["mask"]
    assert 'href="/o/' in page and "/thumbnails/" in page


def test_the_grid_filters_by_label_and_by_review_status(
    signed_in: httpx.Client, person: Person, version: str, coco: tuple[Path, dict[str, Any]]
) -> None:
    _root, document = coco
    names = {c["id"]: c["name"] for c in document["categories"]}
    files = {i["id"]: i["file_name"] for i in document["images"]}
    with_car = {
        files[a["image_id"]] for a in document["annotations"] if names[a["category_id"]] == "car"
    }
    grid = f"/o/{person.organization}/datasets/{version}"
    page = signed_in.get(grid, params={"label": "car"}).text
    shown = set(re.findall(r'<span class="name">([^<]+)</span>', page))
    assert shown == with_car
    assert signed_in.get(grid, params={"status": "accepted"}).text.count('<span class="name">') == 0
    bad = signed_in.get(grid, params={"status": "approved"})
    assert bad.status_code == 422 and "status" in bad.text


def test_a_review_sets_the_status_and_moves_to_the_next_picture(
    signed_in: httpx.Client, person: Person, version: str
) -> None:
    grid = f"/o/{person.organization}/datasets/{version}"
    first, second = re.findall(rf'href="{grid}/pictures/([0-9a-f-]+)"', signed_in.get(grid).text)[
        :2
    ]
    page = signed_in.get(f"{grid}/pictures/{first}", params={"status": "pending"})
    assert page.status_code == 200 and "1 of 12" in page.text
    refused = signed_in.post(f"{grid}/pictures/{first}/review", data={"decision": "accepted"})
    assert refused.status_code == 403
    answer = signed_in.post(
        f"{grid}/pictures/{first}/review",
        data={"csrf": csrf_of(page.text), "decision": "accepted", "status": "pending"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{grid}/pictures/{second}?status=pending"
    after = signed_in.get(answer.headers["location"]).text
    assert "1 of 11" in after  # the accepted picture has left the pending ones
    accepted = signed_in.get(grid, params={"status": "accepted"}).text
    assert accepted.count('<span class="name">') == 1


def test_masks_are_drawn_as_pycocotools_decodes_them(
    signed_in: httpx.Client, person: Person, version: str, coco: tuple[Path, dict[str, Any]]
) -> None:
    _root, document = coco
    crowd = next(a for a in document["annotations"] if a["iscrowd"])
    file_name = next(i["file_name"] for i in document["images"] if i["id"] == crowd["image_id"])
    grid = f"/o/{person.organization}/datasets/{version}"
    page = signed_in.get(grid).text
    picture_id = re.search(rf'pictures/([0-9a-f-]+)" title="{re.escape(file_name)}"', page)
    assert picture_id is not None
    picture = signed_in.get(f"{grid}/pictures/{picture_id.group(1)}").text
    index = re.search(r'href="[^"]+/masks/(\d+)\.png"', picture)
    assert index is not None
    png = signed_in.get(f"{grid}/pictures/{picture_id.group(1)}/masks/{index.group(1)}.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    alpha = np.asarray(Image.open(io.BytesIO(png.content)).getchannel("A")) > 0
    rle = dict(crowd["segmentation"])
    if isinstance(rle["counts"], list):
        rle = mask_utils.frPyObjects(rle, *rle["size"])
    assert np.array_equal(alpha, mask_utils.decode(rle).astype(bool))
    assert signed_in.get(f"{grid}/pictures/{picture_id.group(1)}/masks/99.png").status_code == 404


def test_statistics_count_objects_and_pictures_per_label(
    signed_in: httpx.Client, person: Person, version: str, coco: tuple[Path, dict[str, Any]]
) -> None:
    _root, document = coco
    names = {c["id"]: c["name"] for c in document["categories"]}
    objects = Counter(names[a["category_id"]] for a in document["annotations"])
    pictures = {
        n: len({a["image_id"] for a in document["annotations"] if names[a["category_id"]] == n})
        for n in objects
    }
    page = signed_in.get(f"/o/{person.organization}/datasets/{version}/statistics").text
    for name, count in objects.items():
        assert f"<title>{name}: {count} objects</title>" in page
        assert f"<title>{name}: {pictures[name]} pictures</title>" in page
    sizes = re.search(r'data-testid="sizes">.*?</table>', page, re.S)
    assert sizes is not None
    measured = sum(int(n) for n in re.findall(r'<td class="num">(\d+)</td>', sizes.group(0)))
    assert measured == len(document["annotations"])


def _export(signed_in: httpx.Client, person: Person, version: str, **form: str) -> str:
    """Start an export from the version's page; the job page's address once it has ended."""
    grid = f"/o/{person.organization}/datasets/{version}"
    csrf = csrf_of(signed_in.get(grid).text)
    answer = signed_in.post(f"{grid}/exports", data={"csrf": csrf, **form})
    assert answer.status_code == 303, answer.text
    job = answer.headers["location"]
    for _ in range(500):
        state = signed_in.get(f"{job}/state").json()
        if state["status"] not in ("queued", "running"):
            return str(job)
        time.sleep(0.02)
    raise AssertionError("the export did not end")


def test_an_export_is_a_job_whose_zip_pycocotools_reads(
    signed_in: httpx.Client, person: Person, version: str, coco: tuple[Path, dict[str, Any]]
) -> None:
    from pycocotools.coco import COCO

    _root, document = coco
    job = _export(signed_in, person, version, format="coco")
    state = signed_in.get(f"{job}/state").json()
    assert state["status"] == "succeeded" and state["done"] == state["total"] == 12
    assert state["download"] and 'data-testid="download"' in signed_in.get(job).text
    answer = signed_in.get(f"{job}/download")
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".json")]
        exported = json.loads(archive.read(name))
    api = COCO()
    api.dataset = exported
    api.createIndex()
    assert len(api.getAnnIds()) == len(document["annotations"])
    assert len(api.getImgIds()) == 12


def test_an_export_that_cannot_start_says_why_and_queues_nothing(
    signed_in: httpx.Client, person: Person, version: str
) -> None:
    grid = f"/o/{person.organization}/datasets/{version}"
    csrf = csrf_of(signed_in.get(grid).text)
    answer = signed_in.post(f"{grid}/exports", data={"csrf": csrf, "format": "pdf"})
    assert answer.status_code == 422 and "format" in answer.text
    assert signed_in.post(f"{grid}/exports", data={"format": "coco"}).status_code == 403


def test_another_organization_gets_404_for_a_version(
    person: Person, version: str, stranger: Stranger
) -> None:
    for base in (f"/o/{person.organization}", f"/o/{stranger.organization}"):
        for url in (f"/datasets/{version}", f"/datasets/{version}/statistics"):
            assert stranger.client.get(base + url).status_code == 404, base + url


def test_a_version_is_paged_by_keyset_both_ways(
    server: LiveServer, person: Person, version: str
) -> None:
    from pixlake.core import accounts, datasets

    caller = accounts.authenticate(server.db, person.token)
    org, version_id = caller.default_organization.id, uuid.UUID(version)

    def page(**cursor: str | None) -> datasets.VersionWindow:
        return datasets.browse_version(
            server.db, caller, org, version_id=version_id, status=None, label=None, limit=5,
            **cursor,
        )  # fmt: skip

    first = page()
    second = page(after=first.next)
    third = page(after=second.next)
    assert (first.previous, third.next) == (None, None) and first.total == 12
    names = [p.external_url for p, _a in first.items + second.items + third.items]
    assert names == sorted(names) and len(set(names)) == 12
    assert page(before=third.previous).items == second.items


def test_another_organization_cannot_see_an_export_job_or_its_zip(
    signed_in: httpx.Client, person: Person, version: str, stranger: Stranger
) -> None:
    job_id = _export(signed_in, person, version, format="yolo").rsplit("/", 1)[1]
    for org in (person.organization, stranger.organization):
        for tail in ("", "/state", "/download"):
            assert stranger.client.get(f"/o/{org}/jobs/{job_id}{tail}").status_code == 404
