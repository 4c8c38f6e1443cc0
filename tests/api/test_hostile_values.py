"""Every field of every request body, given a value no service can store (a lone surrogate,
a NUL character, an integer past 64 bits), is a 422 naming it, before any service sees it:
never a 500, and nothing changes.  The same body with valid values is accepted, so each
refusal is the value's own.  New routes with a body must be added to ``BODIES`` (a test
fails when the OpenAPI document has one that is not)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.api.world import World, auth, fingerprint, make_world
from tests.conftest import LiveServer

#: What no service may receive: what each string becomes, what each integer becomes.
BAD_TEXTS = ("\ud800", "a\x00b")
BAD_INT = 2**70

Body = Callable[[World, int], tuple[str, dict[str, Any]]]


def _v(w: World) -> str:
    return f"{w.base}/dataset-versions/{w.version_id}"


def _e(w: World) -> str:
    return f"{w.base}/experiments/{w.experiment_id}"


def _n(w: World) -> str:
    return f"{w.base}/networks/{w.network_id}"


#: (method, path in the OpenAPI document): a valid body for it, and the path to send it to
#: (``n`` numbers the calls, for names that must be new).
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


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every string and integer of a body, dict keys included (as ``("key", k)``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, ("key", key)), key
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        yield path, value


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    head, *rest = path
    if isinstance(head, tuple):  # a key
        return {(new if k == head[1] else k): v for k, v in value.items()}
    if isinstance(value, dict):
        return {
            k: (_replaced(v, tuple(rest), new) if k == head and rest else new if k == head else v)
            for k, v in value.items()
        }
    copy = list(value)
    copy[head] = _replaced(copy[head], tuple(rest), new) if rest else new
    return copy


def _send(http: httpx.Client, token: str, method: str, url: str, body: Any) -> httpx.Response:
    # encoded here: json.dumps escapes a lone surrogate as "\ud800", which httpx cannot encode
    return http.request(
        method,
        url,
        content=json.dumps(body).encode(),
        headers={**auth(token), "Content-Type": "application/json"},
    )


@pytest.fixture(scope="module")
def world(server: LiveServer) -> World:
    token = server.token("hostile-values", organization="hostile-values")
    with httpx.Client(base_url=server.url + "/api/v1") as http:
        return make_world(http, token, seed=77)


def test_every_route_with_a_body_is_tried(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    with_bodies = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "application/json" in (operation.get("requestBody") or {}).get("content", {})
    }
    assert with_bodies == set(BODIES)


@pytest.mark.parametrize("route", list(BODIES), ids=lambda r: f"{r[0]} {r[1]}")
def test_a_value_no_service_can_hold_is_a_422_naming_its_field(
    http: httpx.Client, server: LiveServer, world: World, route: tuple[str, str]
) -> None:
    method, _template = route
    url, body = BODIES[route](world, 0)
    before = fingerprint(server.settings)
    tried = 0
    for path, value in _leaves(body):
        bad_values: tuple[Any, ...] = BAD_TEXTS if isinstance(value, str) else (BAD_INT,)
        for bad in bad_values:
            answer = _send(http, world.token, method, url, _replaced(body, path, bad))
            assert answer.status_code == 422, (path, bad, answer.status_code, answer.text)
            problem = answer.json()
            assert problem["code"] == "invalid_input" and problem["errors"][0]["field"].startswith(
                "body"
            ), problem
            tried += 1
    assert tried > 0
    assert fingerprint(server.settings) == before  # nothing written, nothing half-written
    accepted = _send(http, world.token, method, url, body)  # the same body, valid
    assert accepted.status_code < 400, (route, accepted.text)
