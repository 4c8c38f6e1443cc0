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
