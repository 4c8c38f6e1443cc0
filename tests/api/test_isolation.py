"""Isolation over every route: each operation of the OpenAPI document is called by another
organization with the real ids of Alice's objects of every kind (pictures, blobs, datasets,
versions, annotations, labels, jobs, projects, experiments and their assets, networks, their
files and thumbnails, exports), and by a viewer of Alice's organization.

* Called with Alice's organization, or with the caller's own organization and Alice's object
  ids in the path, every operation is a 404, as if nothing were there.
* With the caller's own objects in the path and Alice's ids in the body, nothing of Alice's
  is reached either (the body's ids are looked up in the caller's organization only).
* A viewer reads, and every write is a 403.

Whatever the answer, it is never a 5xx, it carries no byte of Alice's (her names, her files'
bytes) that the request did not send, and every read of Alice's world answers the same
afterwards.  Routes added later are called without any change here (a route whose path
parameter this file cannot fill fails ``test_every_path_parameter_can_be_filled``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from pixlake.store.db.models import (
    AnnotationRow,
    DatasetRow,
    DatasetVersionRow,
    OrganizationBlobRow,
    PictureRow,
    VersionPictureRow,
)
from tests.api.world import BODIES, World, auth, fingerprint, make_world
from tests.conftest import LiveServer, make_image

PREFIX = "/api/v1"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as the OpenAPI document writes it, without the prefix
    parameters: tuple[str, ...]  # path parameters
    required_query: tuple[str, ...]

    @property
    def reads(self) -> bool:
        return self.method == "GET"

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _operations(document: dict[str, Any]) -> list[Operation]:
    out = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            out.append(
                Operation(
                    method.upper(),
                    path.removeprefix(PREFIX),
                    tuple(p["name"] for p in parameters if p["in"] == "path"),
                    tuple(
                        p["name"] for p in parameters if p["in"] == "query" and p.get("required")
                    ),
                )
            )
    return out


#: What no answer may carry unless the request sent it: Alice's names (all hold her tag)
#: and her files' bytes.
def _markers(alice: World) -> list[bytes]:
    images = [make_image(5 * 10 + i) for i in range(4)]  # make_world(seed=5)'s pictures
    assert hashlib.sha256(images[0]).hexdigest() == alice.digests[0]
    return [alice.tag.encode(), *images]


def _value(op: Operation, name: str, w: World) -> str:
    """The path parameter ``name`` of ``op``, filled with ``w``'s objects."""
    path = op.path
    if name == "org_id":
        return w.org
    if name == "ref":
        if path.startswith(("/organizations/{ref}", "/hub/organizations")):
            return w.org
        if "/networks/" in path:
            return w.network_id
        if "/projects/" in path:
            return w.project_id
    if name == "name":
        if "/datasets/" in path:
            return w.dataset
        if "/networks/" in path:
            return "model-latest"
        if "/files/" in path:
            return "weights.bin"
        if "/data/" in path:
            return "loss"
        if "/by-name/" in path:
            return "exp"
    simple = {
        "digest": w.digests[0],
        "version": "first",
        "version_id": w.version_id,
        "job_id": w.job_id,
        "project_id": w.project_id,
        "experiment_id": w.experiment_id,
        "network_id": w.network_id,
        "picture_id": w.picture_ids[0],
    }
    if name in simple:
        return simple[name]
    raise KeyError(f"{op}: no value for the path parameter {name!r}; add it to _value")


#: Required query parameters, filled the same for everyone.
QUERY = {"format": "COCO"}


def _url(op: Operation, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], op.path)


def _call(http: httpx.Client, token: str, op: Operation, url: str, body: Any) -> httpx.Response:
    params = {q: QUERY[q] for q in op.required_query}
    if op.method == "PUT" and "/blobs/" in op.path:
        content = b"not the bytes"  # a blob upload takes bytes, not JSON
        return http.put(url, content=content, params=params, headers=auth(token))
    if body is None and op.method in ("POST", "PUT", "PATCH") and op.path.endswith("/blobs"):
        return http.post(url, content=b"", params=params, headers=auth(token))
    return http.request(
        op.method,
        url,
        params=params,
        content=None if body is None else json.dumps(body).encode(),
        headers={**auth(token), "Content-Type": "application/json"},
    )


def _body(op: Operation, w: World) -> Any:
    made = BODIES.get((op.method, op.path))
    return None if made is None else made(w, 0)[1]


def _leaks(answer: httpx.Response, sent: bytes, markers: list[bytes]) -> list[bytes]:
    return [m for m in markers if m in answer.content and m not in sent]


def _sent(answer: httpx.Response) -> bytes:
    return str(answer.request.url).encode() + (answer.request.content or b"")


# --------------------------------------------------------------------------- worlds


@pytest.fixture(scope="module")
def document(server: LiveServer) -> dict[str, Any]:
    return httpx.get(f"{server.url}{PREFIX}/openapi.json").json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def alice(server: LiveServer) -> World:
    with httpx.Client(base_url=server.url + PREFIX) as http:
        return make_world(http, server.token("iso-alice", organization="iso-alice"), seed=5)


@pytest.fixture(scope="module")
def mallory(server: LiveServer) -> World:
    with httpx.Client(base_url=server.url + PREFIX) as http:
        return make_world(http, server.token("iso-mallory", organization="iso-mallory"), seed=9)


@pytest.fixture(scope="module")
def viewer(server: LiveServer, alice: World) -> str:
    return server.token("iso-viewer", organization="iso-alice", role="viewer")


def _snapshot(http: httpx.Client, document: dict[str, Any], alice: World) -> dict[str, Any]:
    """Every read of Alice's world, as Alice: status and a digest of the answer."""
    seen = {}
    for op in _operations(document):
        if not op.reads or op.path in VOLATILE:
            continue
        url = _url(op, {p: _value(op, p, alice) for p in op.parameters})
        answer = _call(http, alice.token, op, url, None)
        seen[str(op)] = (answer.status_code, hashlib.sha256(answer.content).hexdigest())
    return seen


#: Reads whose answers change by themselves: the caller's own token use, time-stamped
#: exports, the server's health and local store.
VOLATILE = {
    "/health",
    "/me",
    "/local-store",
    "/organizations/{org_id}/dataset-versions/{version_id}/export",
}


@pytest.fixture(scope="module")
def before(
    server: LiveServer, document: dict[str, Any], alice: World, mallory: World, viewer: str
) -> dict[str, Any]:
    with httpx.Client(base_url=server.url + PREFIX) as http:
        return _snapshot(http, document, alice)


def test_every_path_parameter_can_be_filled(document: dict[str, Any], alice: World) -> None:
    for op in _operations(document):
        for name in op.parameters:
            assert _value(op, name, alice)
        for name in op.required_query:
            assert name in QUERY, f"{op}: add a value for the query parameter {name!r}"


#: Reads open to everybody for what is public (an organization's public networks, their
#: files and thumbnails): another organization gets those only, so Alice's private network
#: is a 404 there or absent from a list.
PUBLIC_READS = {
    "/organizations/{org_id}/networks",
    "/organizations/{org_id}/networks/{network_id}",
    "/networks/{network_id}/files/{name}",
    "/networks/{network_id}/thumbnail",
}


def _public_or_own(op: Operation) -> bool:
    """The public reads, and those about the caller alone (no ids in the path)."""
    return (
        op.path.startswith("/hub/")
        or (op.reads and op.path in PUBLIC_READS)
        or op.path in VOLATILE
        or not op.parameters
    )


def test_another_organization_reaches_nothing_of_alices(
    http: httpx.Client,
    server: LiveServer,
    document: dict[str, Any],
    alice: World,
    mallory: World,
    before: dict[str, Any],
) -> None:
    markers = _markers(alice)
    mixed = dataclasses.replace(  # Mallory's objects in the path, Alice's ids in the body
        mallory,
        digests=alice.digests,
        pictures=alice.pictures,
        spare_picture=alice.spare_picture,
        text_digest=alice.text_digest,
        document=alice.document,
        dataset=alice.dataset,
    )
    tried = refused = 0
    failures: list[tuple[str, object, int, str]] = []
    for op in _operations(document):
        # 1. Alice's ids everywhere; 2. Mallory's organization, Alice's objects in the path
        variants = [{p: _value(op, p, alice) for p in op.parameters}]
        # a digest names no object: sending bytes under it is anybody's right (refused when
        # they are not those bytes); reading it is not
        objects = [p for p in op.parameters if p not in ("org_id", "ref", "digest")] or [
            p
            for p in op.parameters
            if (p == "ref" and not op.path.startswith("/organizations/{ref}"))
            or (p == "digest" and op.reads)
        ]
        if "org_id" in op.parameters and objects:
            variants.append({**variants[0], "org_id": mallory.org})
        if _public_or_own(op):
            variants = []  # tried below as plain calls
        for values in variants:
            tried += 1
            answer = _call(http, mallory.token, op, _url(op, values), _body(op, alice))
            if answer.status_code != 404 or _leaks(answer, _sent(answer), markers):
                failures.append((str(op), values, answer.status_code, answer.text[:300]))
            else:
                refused += 1
        # 3. Mallory's own objects in the path, Alice's ids in the body
        if op.method != "GET" and (op.method, op.path) in BODIES:
            tried += 1
            url = _url(op, {p: _value(op, p, mixed) for p in op.parameters})
            answer = _call(http, mallory.token, op, url, _body(op, mixed))
            if answer.status_code >= 500 or _leaks(answer, _sent(answer), markers):
                failures.append((str(op), "body", answer.status_code, answer.text[:300]))
        # 4. the public and the caller's own reads
        if _public_or_own(op):
            tried += 1
            url = _url(op, {p: _value(op, p, alice) for p in op.parameters})
            answer = _call(http, mallory.token, op, url, None)
            if answer.status_code not in (200, 404) or _leaks(answer, _sent(answer), markers):
                failures.append((str(op), "public", answer.status_code, answer.text[:300]))
    assert failures == [], "\n".join(map(str, failures))
    operations = len(_operations(document))
    print(f"isolation: {operations} operations, {tried} calls, {refused} refused")  # pytest -s
    assert tried >= 2 * len(_operations(document)) - 20 and refused > 0
    with httpx.Client(base_url=server.url + PREFIX) as alices:
        assert _snapshot(alices, document, alice) == before


#: The operations that only read although they are POSTs (a query too long for a URL).
READING_POSTS = {
    "/organizations/{org_id}/blobs/missing",
    "/organizations/{org_id}/blobs/read",
    "/organizations/{org_id}/pictures/search",
}


def test_a_viewer_reads_and_every_write_is_a_403(
    http: httpx.Client,
    server: LiveServer,
    document: dict[str, Any],
    alice: World,
    viewer: str,
    before: dict[str, Any],
) -> None:
    as_viewer = dataclasses.replace(alice, token=viewer)
    failures = []
    writes = 0
    for op in _operations(document):
        url = _url(op, {p: _value(op, p, alice) for p in op.parameters})
        answer = _call(http, viewer, op, url, _body(op, as_viewer))
        if op.reads or op.path in READING_POSTS:
            if answer.status_code >= 400:
                failures.append((str(op), answer.status_code, answer.text[:300]))
        else:
            writes += 1
            if answer.status_code != 403 or answer.json()["code"] != "forbidden":
                failures.append((str(op), answer.status_code, answer.text[:300]))
    assert failures == []
    assert writes > 40
    assert _snapshot(http, document, alice) == before


def test_nothing_crosses_organizations_in_the_database(
    server: LiveServer, alice: World, mallory: World, before: dict[str, Any]
) -> None:
    """After everything above: Mallory's organization holds none of Alice's bytes, and no
    version of any organization lists a picture of another (nor annotates one)."""
    with server.db.read() as tx:
        session = tx.session
        held = set(
            session.scalars(
                select(OrganizationBlobRow.digest).where(
                    OrganizationBlobRow.organization_id == uuid.UUID(mallory.org)
                )
            )
        )
        assert not held & set(alice.digests)
        for table in (VersionPictureRow, AnnotationRow):
            crossing = session.scalar(
                select(func.count())
                .select_from(table)
                .join(DatasetVersionRow, DatasetVersionRow.pk == table.version_pk)
                .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
                .join(PictureRow, PictureRow.pk == table.picture_pk)
                .where(PictureRow.organization_id != DatasetRow.organization_id)
            )
            assert crossing == 0, table.__tablename__
    assert fingerprint(server.settings).rows["version_pictures"] > 0  # there were some to see
