"""Every field of every request body, given a value no service can store (a lone surrogate,
a NUL character, an integer past 64 bits), is a 422 naming it, before any service sees it:
never a 500, and nothing changes.  The same body with valid values is accepted, so each
refusal is the value's own.  New routes with a body must be added to ``BODIES`` (a test
fails when the OpenAPI document has one that is not)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.world import BODIES, World, auth, fingerprint, make_world
from tests.conftest import LiveServer

#: What no service may receive: what each string becomes, what each integer becomes.
BAD_TEXTS = ("\ud800", "a\x00b")
BAD_INT = 2**70


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
