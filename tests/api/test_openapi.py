"""The OpenAPI document says how each operation fails, and how to authenticate."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.world import auth

PREFIX = "/api/v1"


@pytest.fixture(scope="module")
def document(server: Any) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{server.url}{PREFIX}/openapi.json").json()
    return document


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_error_is_a_documented_problem(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert {"Problem", "ProblemDetail"} <= schemas.keys()
    assert "HTTPValidationError" not in schemas  # FastAPI's shape is never sent
    for method, path, operation in _operations(document):
        errors = {s: r for s, r in operation["responses"].items() if s.startswith("4")}
        assert "400" in errors, (method, path)
        for status, response in errors.items():
            assert response["description"], (method, path, status)
            schema = response["content"]["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)


def test_each_operation_lists_the_errors_it_can_give(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        statuses = set(operation["responses"])
        secured = bool(operation.get("security"))
        assert secured == ({"401", "403"} <= statuses), (method, path)
        if "{" in path:
            assert "404" in statuses, (method, path)
        if method in ("post", "put", "patch", "delete"):
            assert {"409", "413"} <= statuses, (method, path)
        if "requestBody" in operation or operation.get("parameters"):
            assert "422" in statuses, (method, path)
        else:
            assert "422" not in statuses, (method, path)


def test_the_token_is_a_documented_security_scheme(
    document: dict[str, Any], server: Any, alice: str
) -> None:
    scheme = document["components"]["securitySchemes"]["Token"]
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": scheme["description"],
    }
    assert "Token <your API token>" in scheme["description"]
    public = [path for _m, path, op in _operations(document) if not op.get("security")]
    assert public == [f"{PREFIX}/health"]  # every other route needs a token
    # and the token the scheme describes is the one the server takes
    answer = httpx.get(f"{server.url}{PREFIX}/me", headers=auth(alice))
    assert answer.status_code == 200


def test_a_method_a_path_does_not_take_is_405_naming_those_it_does(
    server: Any, alice: str, document: dict[str, Any]
) -> None:
    org = httpx.get(f"{server.url}{PREFIX}/me", headers=auth(alice)).json()
    org_id = org["organizations"][0]["id"] if "organizations" in org else None
    assert org_id
    for path, method, allowed in [
        ("/organizations/{org_id}/pictures/search", "GET", {"POST"}),
        ("/organizations/{org_id}/blobs/adopt", "PUT", {"POST"}),
        ("/organizations/{org_id}/projects/" + "0" * 8, "PUT", {"GET", "PATCH", "DELETE"}),
    ]:
        url = server.url + PREFIX + path.format(org_id=org_id)
        answer = httpx.request(method, url, headers=auth(alice))
        assert answer.status_code == 405, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert allowed <= set(answer.headers["allow"].split(", ")), answer.headers["allow"]


def test_a_path_no_route_takes_is_a_404_that_says_where_the_routes_are(server: Any) -> None:
    answer = httpx.get(f"{server.url}{PREFIX}/no-such-thing")
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"no route GET {PREFIX}/no-such-thing; /docs lists them"
