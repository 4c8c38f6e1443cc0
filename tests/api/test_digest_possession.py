"""Knowing a digest is never holding the bytes.  Alice's organization sends bytes; Bob's
learns their digests and names them in every place the API takes a digest: each is refused
(or, for a question such as ``missing``, answered for Bob's organization alone), Bob's
organization gains no grant, the server keeps nothing new, and no answer carries Alice's
bytes.  Only sending the bytes themselves gives Bob the grant.  A route added later that
takes a digest must be added to ``PLACES`` (a test fails when the OpenAPI document has one
that is not)."""

from __future__ import annotations

import hashlib
import io
import tarfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.world import World, auth, fingerprint, make_world
from tests.conftest import LiveServer


@dataclass(frozen=True)
class Secret:
    """Alice's bytes, as Bob knows them: their digests."""

    image: str  # an image Alice sent
    text: str  # a file Alice sent
    data: dict[str, bytes]  # digest -> bytes, to check no answer carries them


@dataclass(frozen=True)
class Attempt:
    method: str
    url: str
    json: Any = None
    content: bytes | None = None
    #: The statuses that refuse it (or, for a question, answer it without granting).
    refused: tuple[int, ...] = (422,)


Place = Callable[[World, Secret], Attempt]


def _e(w: World) -> str:
    return f"{w.base}/experiments/{w.experiment_id}"


def _n(w: World) -> str:
    return f"{w.base}/networks/{w.network_id}"


def _tar(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


#: (method, path in the OpenAPI document, a name for the case): what Bob sends there.
PLACES: dict[tuple[str, str, str], Place] = {
    ("POST", "/organizations/{org_id}/pictures", "a picture of the bytes"): lambda w, s: Attempt(
        "POST",
        f"{w.base}/pictures",
        {"pictures": [{"external_url": "pinned.png", "sha256": s.image}]},
        refused=(200,),  # answered with the picture rejected (checked below)
    ),
    ("POST", "/organizations/{org_id}/networks/{network_id}/files", "a network file"): (
        lambda w, s: Attempt("POST", f"{_n(w)}/files", {"name": "stolen", "sha256": s.text})
    ),
    ("PUT", "/organizations/{org_id}/networks/{network_id}/thumbnail", "a thumbnail"): (
        lambda w, s: Attempt("PUT", f"{_n(w)}/thumbnail", {"sha256": s.image})
    ),
    ("POST", "/organizations/{org_id}/experiments/{experiment_id}/files", "a file asset"): (
        lambda w, s: Attempt("POST", f"{_e(w)}/files", {"name": "stolen", "sha256": s.text})
    ),
    ("POST", "/organizations/{org_id}/experiments/{experiment_id}/data", "an image asset"): (
        lambda w, s: Attempt(
            "POST",
            f"{_e(w)}/data",
            {
                "name": "pinned",
                "type": "image",
                "data": {"object_name": "pinned.png", "sha256": s.image},
            },
        )
    ),
    (
        "PATCH",
        "/organizations/{org_id}/experiments/{experiment_id}/data/{name}",
        "an asset made an image",
    ): lambda w, s: Attempt(
        "PATCH",
        f"{_e(w)}/data/loss",
        {"type": "image", "data": {"object_name": "pinned.png", "sha256": s.image}},
    ),
    ("POST", "/organizations/{org_id}/imports", "an import document"): lambda w, s: Attempt(
        "POST", f"{w.base}/imports", {"document": s.text, "name": "pinned"}
    ),
    ("POST", "/organizations/{org_id}/blobs/compose", "a composite of its parts"): (
        lambda w, s: Attempt(
            "POST",
            f"{w.base}/blobs/compose",
            {"parts": [s.text], "sha256": s.text, "size": len(s.data[s.text])},
            refused=(404, 422),
        )
    ),
    ("POST", "/organizations/{org_id}/blobs/read", "a batched read"): lambda w, s: Attempt(
        "POST", f"{w.base}/blobs/read", {"digests": [s.image, s.text]}, refused=(404,)
    ),
    ("GET", "/organizations/{org_id}/blobs/{digest}", "a download"): lambda w, s: Attempt(
        "GET", f"{w.base}/blobs/{s.image}", refused=(404,)
    ),
    ("PUT", "/organizations/{org_id}/blobs/{digest}", "an upload of other bytes"): (
        lambda w, s: Attempt("PUT", f"{w.base}/blobs/{s.text}", content=b"not those bytes")
    ),
    ("PUT", "/organizations/{org_id}/blobs/{digest}", "an upload of no bytes"): (
        lambda w, s: Attempt("PUT", f"{w.base}/blobs/{s.text}", content=b"")
    ),
    ("POST", "/organizations/{org_id}/blobs", "a tar member of other bytes"): (
        lambda w, s: Attempt(
            "POST", f"{w.base}/blobs", content=_tar({s.text: b"not those bytes"}), refused=(200,)
        )
    ),
    ("POST", "/organizations/{org_id}/blobs/missing", "a question"): lambda w, s: Attempt(
        "POST", f"{w.base}/blobs/missing", {"digests": [s.image, s.text]}, refused=(200,)
    ),
    ("POST", "/organizations/{org_id}/blobs/adopt", "a same-host adoption"): (
        lambda w, s: Attempt(
            "POST",
            f"{w.base}/blobs/adopt",
            {"files": [{"name": "0badc0de", "sha256": s.text}]},
            refused=(200, 404),  # every file rejected; 404 where the store takes none
        )
    ),
}

#: The names of body fields and path parameters that carry a digest.
DIGEST_FIELDS = {"sha256", "digest", "digests", "parts", "document"}


def _properties(document: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    """Every property name of a schema, at any depth, references followed."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        yield from _properties(document, document["components"]["schemas"][name])
        return
    for name, sub in (schema.get("properties") or {}).items():
        yield name
        yield from _properties(document, sub)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _properties(document, schema[key])
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _properties(document, sub)


def test_every_route_that_takes_a_digest_is_tried(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    naming = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            params = {p["name"] for p in operation.get("parameters", [])}
            body = (operation.get("requestBody") or {}).get("content", {})
            schema = body.get("application/json", {}).get("schema", {})
            if (params | set(_properties(document, schema))) & DIGEST_FIELDS:
                naming.add((method.upper(), path.removeprefix("/api/v1")))
    tried = {(method, path) for method, path, _case in PLACES}
    # the two that take bytes (tar members named by digest, data assets' JSON) are in PLACES
    assert naming <= tried, naming - tried


@pytest.fixture(scope="module")
def alice(server: LiveServer) -> World:
    with httpx.Client(base_url=server.url + "/api/v1") as http:
        return make_world(http, server.token("possession-a", organization="possession-a"), seed=5)


@pytest.fixture(scope="module")
def bob(server: LiveServer) -> World:
    with httpx.Client(base_url=server.url + "/api/v1") as http:
        return make_world(http, server.token("possession-b", organization="possession-b"), seed=6)


@pytest.fixture(scope="module")
def secret(server: LiveServer, alice: World) -> Secret:
    """Bytes only Alice sent (the worlds' own bytes are made from their seeds)."""
    image, text = b"\x89PNG\r\n\x1a\n" + b"alice's image" * 40, b"alice's weights" * 40
    with httpx.Client(base_url=server.url + "/api/v1") as http:
        digests = {}
        for data in (image, text):
            digest = hashlib.sha256(data).hexdigest()
            put = http.put(f"{alice.base}/blobs/{digest}", content=data, headers=auth(alice.token))
            assert put.status_code == 201, put.text
            digests[digest] = data
    return Secret(hashlib.sha256(image).hexdigest(), hashlib.sha256(text).hexdigest(), digests)


def _granted(server: LiveServer, world: World, digests: set[str]) -> set[str]:
    from sqlalchemy import select

    from pixlake.store.db.models import OrganizationBlobRow

    with server.db.read() as tx:
        session = tx.session
        return set(
            session.scalars(
                select(OrganizationBlobRow.digest).where(
                    OrganizationBlobRow.organization_id == uuid.UUID(world.org),
                    OrganizationBlobRow.digest.in_(digests),
                )
            )
        )


@pytest.mark.parametrize("place", list(PLACES), ids=lambda p: f"{p[0]} {p[1]} ({p[2]})")
def test_naming_bytes_another_organization_sent_grants_nothing(
    http: httpx.Client,
    server: LiveServer,
    bob: World,
    secret: Secret,
    place: tuple[str, str, str],
) -> None:
    attempt = PLACES[place](bob, secret)
    before = fingerprint(server.settings)

    answer = http.request(
        attempt.method,
        attempt.url,
        json=attempt.json,
        content=attempt.content,
        headers=auth(bob.token),
    )

    assert answer.status_code in attempt.refused, answer.text
    if answer.status_code == 200 and "application/json" in answer.headers["content-type"]:
        result = answer.json()
        assert not result.get("created") and not result.get("stored"), result
        assert result.get("rejected") or result.get("missing"), result
    for data in secret.data.values():
        assert data not in answer.content
    assert _granted(server, bob, set(secret.data)) == set()
    assert fingerprint(server.settings) == before


def test_sending_the_bytes_is_what_grants_them(
    http: httpx.Client, server: LiveServer, bob: World, secret: Secret
) -> None:
    data = secret.data[secret.text]
    put = http.put(f"{bob.base}/blobs/{secret.text}", content=data, headers=auth(bob.token))
    assert put.status_code == 201, put.text
    assert _granted(server, bob, set(secret.data)) == {secret.text}
    stored = http.post(
        f"{_n(bob)}/files",
        json={"name": "now-mine", "sha256": secret.text},
        headers=auth(bob.token),
    )
    assert stored.status_code < 300, stored.text
