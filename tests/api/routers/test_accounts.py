"""Health, the caller, organizations, and authentication failures as problem+json."""

from __future__ import annotations

import httpx

from tests.conftest import LiveServer


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def test_health_needs_no_token(http: httpx.Client) -> None:
    body = http.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"] == "sqlite"
    assert body["storage"] == "file"


def test_openapi_is_served(http: httpx.Client) -> None:
    spec = http.get("/openapi.json").json()
    assert "/api/v1/organizations/{org_id}/pictures" in spec["paths"]


def test_me(http: httpx.Client, server: LiveServer, unique: str) -> None:
    token = server.token(f"carol-{unique}")
    me = http.get("/me", headers=auth(token)).json()
    assert me["username"] == f"carol-{unique}"
    # no organization named: a personal one, named after the user
    assert me["default_organization"]["name"] == f"carol-{unique}"
    assert me["default_organization"]["role"] == "owner"


def test_missing_and_bad_tokens_are_401_problems(http: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Token nope"}, {"Authorization": "Basic abc"}):
        response = http.get("/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == 401 and body["code"] == "unauthorized"
        assert "token" in body["detail"].lower()


def test_organization_lookup_is_scoped(http: httpx.Client, alice: str, bob: str) -> None:
    mine = http.get("/me", headers=auth(alice)).json()["default_organization"]
    theirs = http.get("/me", headers=auth(bob)).json()["default_organization"]
    assert (
        http.get(f"/organizations/{mine['name']}", headers=auth(alice)).json()["id"] == mine["id"]
    )
    assert http.get("/organizations/null", headers=auth(alice)).json()["id"] == mine["id"]
    for ref in (theirs["name"], theirs["id"], "no-such-org"):
        response = http.get(f"/organizations/{ref}", headers=auth(alice))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_unknown_route_is_a_problem(http: httpx.Client) -> None:
    response = http.get("/no/such/route")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
