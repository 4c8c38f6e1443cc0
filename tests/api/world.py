"""A world of real objects of every kind, made over HTTP, for the tests that try every route:
pictures and their blobs, a dataset with a version, labels and an annotation, an import job,
a project with an experiment, its file, data and log lines, and a network with a file and a
thumbnail.  Every name is unique to the world, so that worlds made by several tests in one
server never meet."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import inspect, text

from pixlake.core.config import Settings
from pixlake.store.db.engine import Database
from tests.conftest import make_image


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (
        response.request.method,
        response.request.url,
        response.text,
    )
    return response.json() if response.content else None


@dataclass
class World:
    """Ids and names of one organization's objects (see the module's text)."""

    token: str
    org: str
    tag: str
    digests: list[str] = field(default_factory=list)
    pictures: list[dict[str, Any]] = field(default_factory=list)
    spare_picture: str = ""
    text_digest: str = ""
    dataset: str = ""
    version_id: str = ""
    document: str = ""
    job_id: str = ""
    project_id: str = ""
    project_name: str = ""
    experiment_id: str = ""
    network_id: str = ""
    network_name: str = ""

    @property
    def base(self) -> str:
        return f"/organizations/{self.org}"

    @property
    def picture_ids(self) -> list[str]:
        return [p["picture_id"] for p in self.pictures]


def put_blob(http: httpx.Client, world: World, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    _ok(http.put(f"{world.base}/blobs/{digest}", content=data, headers=auth(world.token)))
    return digest


def make_world(http: httpx.Client, token: str, *, seed: int) -> World:
    """Every kind of object, in the organization of ``token``."""
    headers = auth(token)
    me = _ok(http.get("/me", headers=headers))
    world = World(token=token, org=str(me["default_organization"]["id"]), tag=uuid.uuid4().hex[:8])
    base = world.base
    world.digests = [put_blob(http, world, make_image(seed * 10 + i)) for i in range(4)]
    world.text_digest = put_blob(http, world, f"weights {world.tag}".encode())
    created = _ok(
        http.post(
            f"{base}/pictures",
            json={
                "pictures": [
                    {"external_url": f"{world.tag}-{i}.jpg", "sha256": d}
                    for i, d in enumerate(world.digests)
                ],
                "tags": ["world"],
            },
            headers=headers,
        )
    )["created"]
    world.pictures, world.spare_picture = created[:3], created[3]["picture_id"]
    world.dataset = f"ds-{world.tag}"
    version = _ok(
        http.post(
            f"{base}/datasets",
            json={"name": world.dataset, "pictures": world.picture_ids},
            headers=headers,
        )
    )
    world.version_id = str(version["dataset_id"])
    vpath = f"{base}/dataset-versions/{world.version_id}"
    _ok(
        http.post(
            f"{vpath}/labels",
            json={"labels": [{"name": "car", "type": "rectangle"}]},
            headers=headers,
        )
    )
    box = {"top": 1, "left": 2, "width": 10, "height": 5}
    _ok(
        http.put(
            f"{vpath}/annotations",
            json={
                "annotations": [
                    {
                        "external_url": world.pictures[0]["external_url"],
                        "data": [{"type": "rectangle", "label": "car", "rectangle": box}],
                    }
                ]
            },
            headers=headers,
        )
    )
    document = {
        "format": "pixlake-import/2",
        "labels": [{"name": "car", "type": "rectangle"}],
        "pictures": world.picture_ids,
        "images": [
            {
                "external_url": world.pictures[0]["external_url"],
                "objects": [{"type": "rectangle", "label": "car", "box": [1, 1, 5, 5]}],
            }
        ],
    }
    world.document = put_blob(http, world, json.dumps(document).encode())
    job = _ok(
        http.post(
            f"{base}/imports",
            json={"document": world.document, "name": f"imported-{world.tag}"},
            headers=headers,
        )
    )
    world.job_id = job["id"]
    for _ in range(200):  # the job runs in the server's thread pool
        if _ok(http.get(f"{base}/jobs/{world.job_id}", headers=headers))["status"] not in (
            "queued",
            "running",
        ):
            break
        time.sleep(0.05)
    world.project_name = f"proj-{world.tag}"
    world.project_id = _ok(
        http.post(f"{base}/projects", json={"name": world.project_name}, headers=headers)
    )["project_id"]
    world.experiment_id = _ok(
        http.post(
            f"{base}/projects/{world.project_id}/experiments",
            json={"name": "exp"},
            headers=headers,
        )
    )["id"]
    epath = f"{base}/experiments/{world.experiment_id}"
    _ok(
        http.post(
            f"{epath}/files",
            json={"name": "weights.bin", "sha256": world.text_digest},
            headers=headers,
        )
    )
    _ok(
        http.post(
            f"{epath}/data",
            json={"name": "loss", "type": "line", "data": [1.0, 0.5]},
            headers=headers,
        )
    )
    _ok(http.post(f"{epath}/logs", json={"lines": ["epoch 1"]}, headers=headers))
    world.network_name = f"net-{world.tag}"
    world.network_id = _ok(
        http.post(
            f"{base}/networks",
            json={"name": world.network_name, "type": "detection"},
            headers=headers,
        )
    )["model_id"]
    npath = f"{base}/networks/{world.network_id}"
    _ok(
        http.post(
            f"{npath}/files",
            json={"name": "model-latest", "sha256": world.text_digest},
            headers=headers,
        )
    )
    _ok(http.put(f"{npath}/thumbnail", json={"sha256": world.digests[0]}, headers=headers))
    return world


@dataclass(frozen=True)
class Fingerprint:
    """What a server keeps: how many rows every table holds, and every file of its home but
    the database's own (blobs, temporary files, anything else), with its size."""

    rows: dict[str, int]
    files: frozenset[tuple[str, int]]


#: The SQLite database's files, which change with every read-only transaction too.
_DATABASE_FILES = ("pixlake.sqlite", "pixlake.sqlite-wal", "pixlake.sqlite-shm")


def fingerprint(settings: Settings) -> Fingerprint:
    db = Database(settings.database_url)
    try:
        with db.engine.connect() as connection:
            rows = {
                table: connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
                for table in inspect(connection).get_table_names()
            }
    finally:
        db.dispose()
    files = frozenset(
        (str(path.relative_to(settings.home)), path.lstat().st_size)
        for path in settings.home.rglob("*")
        if not path.is_dir() and path.name not in _DATABASE_FILES
    )
    return Fingerprint(rows, files)


# --------------------------------------------------------------------------- bodies

Body = Callable[[World, int], tuple[str, dict[str, Any]]]


def _v(w: World) -> str:
    return f"{w.base}/dataset-versions/{w.version_id}"


def _e(w: World) -> str:
    return f"{w.base}/experiments/{w.experiment_id}"


def _n(w: World) -> str:
    return f"{w.base}/networks/{w.network_id}"


#: (method, path in the OpenAPI document): a valid body for it, and the path to send it to
#: (``n`` numbers the calls, for names that must be new).  Every route with a JSON body is
#: here (``tests/api/test_hostile_values.py`` checks it against the OpenAPI document).
BODIES: dict[tuple[str, str], Body] = {
    ("POST", "/organizations/{org_id}/blobs/missing"): lambda w, n: (
        f"{w.base}/blobs/missing",
        {"digests": [w.digests[0]]},
    ),
    ("POST", "/organizations/{org_id}/blobs/adopt"): lambda w, n: (
        f"{w.base}/blobs/adopt",
        {"files": [{"name": "abc", "sha256": w.digests[0]}]},
    ),
    ("POST", "/organizations/{org_id}/blobs/compose"): lambda w, n: (
        f"{w.base}/blobs/compose",
        {"parts": [w.text_digest], "sha256": w.text_digest, "size": len(f"weights {w.tag}")},
    ),
    ("POST", "/organizations/{org_id}/blobs/read"): lambda w, n: (
        f"{w.base}/blobs/read",
        {"digests": [w.digests[0]]},
    ),
    ("POST", "/organizations/{org_id}/datasets"): lambda w, n: (
        f"{w.base}/datasets",
        {"name": f"d{n}-{w.tag}", "description": "d", "pictures": w.picture_ids, "version": "v"},
    ),
    ("POST", "/organizations/{org_id}/datasets/{name}/versions"): lambda w, n: (
        f"{w.base}/datasets/{w.dataset}/versions",
        {"version": f"v{n}", "from_version": "latest", "pictures": [], "description": "d"},
    ),
    ("POST", "/organizations/{org_id}/dataset-versions/{version_id}/pictures"): lambda w, n: (
        f"{_v(w)}/pictures",
        {"pictures": w.picture_ids[:1]},
    ),
    ("POST", "/organizations/{org_id}/dataset-versions/{version_id}/labels"): lambda w, n: (
        f"{_v(w)}/labels",
        {"labels": [{"name": f"label {n}", "type": "polygon"}]},
    ),
    ("PUT", "/organizations/{org_id}/dataset-versions/{version_id}/annotations"): lambda w, n: (
        f"{_v(w)}/annotations",
        {
            "annotations": [
                {
                    "external_url": w.pictures[1]["external_url"],
                    "data": [
                        {
                            "type": "rectangle",
                            "label": "car",
                            "rectangle": {"top": 1, "left": 2, "width": 3, "height": 4},
                            "qa": [{"question": "q?", "answer": "a"}],
                            "extra": {"note": "n"},
                        }
                    ],
                    "image_qa": [{"question": "q?", "answer": "a"}],
                    "status": "review",
                    "nb_instances": 1,
                    "duration": 1.5,
                    "split": "train",
                }
            ],
            "replace": True,
        },
    ),
    ("POST", "/organizations/{org_id}/dataset-versions/{version_id}/annotations/status"): (
        lambda w, n: (
            f"{_v(w)}/annotations/status",
            {"pictures": [w.pictures[0]["external_url"]], "status": "accepted"},
        )
    ),
    ("POST", "/organizations/{org_id}/imports"): lambda w, n: (
        f"{w.base}/imports",
        {"document": w.document, "name": f"i{n}-{w.tag}", "description": "d"},
    ),
    ("POST", "/organizations/{org_id}/networks"): lambda w, n: (
        f"{w.base}/networks",
        {"name": f"n{n}-{w.tag}", "type": "detection"},
    ),
    ("PATCH", "/organizations/{org_id}/networks/{network_id}"): lambda w, n: (
        _n(w),
        {
            "description": "d",
            "framework": "torch",
            "readme_text": "# r",
            "tag": ["t"],
            "labels": {"1": "car"},
            "base_parameters": {"lr": 0.1, "steps": 3, "names": ["a"]},
        },
    ),
    ("POST", "/organizations/{org_id}/networks/{network_id}/files"): lambda w, n: (
        f"{_n(w)}/files",
        {"name": f"f{n}.bin", "sha256": w.text_digest},
    ),
    ("PUT", "/organizations/{org_id}/networks/{network_id}/thumbnail"): lambda w, n: (
        f"{_n(w)}/thumbnail",
        {"sha256": w.digests[1]},
    ),
    ("POST", "/organizations/{org_id}/pictures"): lambda w, n: (
        f"{w.base}/pictures",
        {
            "pictures": [{"external_url": f"{w.tag}-{n}.jpg", "sha256": w.digests[0]}],
            "tags": ["t"],
            "source": "camera",
        },
    ),
    ("POST", "/organizations/{org_id}/pictures/search"): lambda w, n: (
        f"{w.base}/pictures/search",
        {"tags": ["world"], "quantity": 1.0, "seed": 3},
    ),
    ("POST", "/organizations/{org_id}/pictures/delete"): lambda w, n: (
        f"{w.base}/pictures/delete",
        {"pictures": [w.spare_picture]},
    ),
    ("POST", "/organizations/{org_id}/pictures/tag"): lambda w, n: (
        f"{w.base}/pictures/tag",
        {"pictures": w.picture_ids, "tags": ["t"]},
    ),
    ("POST", "/organizations/{org_id}/pictures/untag"): lambda w, n: (
        f"{w.base}/pictures/untag",
        {"pictures": w.picture_ids, "tags": ["t"]},
    ),
    ("POST", "/organizations/{org_id}/projects"): lambda w, n: (
        f"{w.base}/projects",
        {"name": f"p{n}-{w.tag}", "description": "d", "type": "detection"},
    ),
    ("PATCH", "/organizations/{org_id}/projects/{project_id}"): lambda w, n: (
        f"{w.base}/projects/{w.project_id}",
        {"description": "d", "type": "detection"},
    ),
    ("POST", "/organizations/{org_id}/projects/{project_id}/datasets"): lambda w, n: (
        f"{w.base}/projects/{w.project_id}/datasets",
        {"dataset": f"{w.dataset}/first"},
    ),
    ("POST", "/organizations/{org_id}/projects/{project_id}/experiments"): lambda w, n: (
        f"{w.base}/projects/{w.project_id}/experiments",
        {"name": f"e{n}", "description": "d"},
    ),
    ("PATCH", "/organizations/{org_id}/experiments/{experiment_id}"): lambda w, n: (
        _e(w),
        {"description": "d", "status": "running", "exit_code": 0},
    ),
    ("POST", "/organizations/{org_id}/experiments/{experiment_id}/publish"): lambda w, n: (
        f"{_e(w)}/publish",
        {"name": f"pub{n}-{w.tag}"},
    ),
    ("POST", "/organizations/{org_id}/experiments/{experiment_id}/files"): lambda w, n: (
        f"{_e(w)}/files",
        {"name": f"f{n}.bin", "sha256": w.text_digest},
    ),
    ("PATCH", "/organizations/{org_id}/experiments/{experiment_id}/files/{name}"): lambda w, n: (
        f"{_e(w)}/files/weights.bin",
        {"name": "weights.bin"},
    ),
    ("POST", "/organizations/{org_id}/experiments/{experiment_id}/data"): lambda w, n: (
        f"{_e(w)}/data",
        {"name": f"table {n}", "type": "table", "data": {"lr": 0.01, "optimizer": "adam"}},
    ),
    ("PATCH", "/organizations/{org_id}/experiments/{experiment_id}/data/{name}"): lambda w, n: (
        f"{_e(w)}/data/loss",
        {"data": [1.0, 0.25], "type": "line"},
    ),
    ("POST", "/organizations/{org_id}/experiments/{experiment_id}/data/{name}/points"): (
        lambda w, n: (f"{_e(w)}/data/loss/points", {"y": [0.5, 0.125]})
    ),
    ("POST", "/organizations/{org_id}/experiments/{experiment_id}/logs"): lambda w, n: (
        f"{_e(w)}/logs",
        {"lines": ["epoch 2"], "part": "train", "exit_code": 0},
    ),
}
