"""Rows 1 and 2: the client connects, is greeted, and finds its organization."""

from __future__ import annotations

import httpx

from tests.api.upstream.conftest import Upstream
from tests.conftest import LiveServer


def test_the_client_connects_and_is_greeted(upstream: Upstream, unique: str) -> None:
    found = upstream.run(
        """
        client = Client(api_token=TOKEN, host=HOST)
        emit([client.username, client.organization_name, client.organization_id])
        """
    )
    username, organization, organization_id = found
    assert username == f"alice-{unique}" and organization == f"acme-{unique}"
    value, output = upstream.run(
        "client = Client(api_token=TOKEN, host=HOST); emit(1)", check=False
    )
    assert value == 1 and f"Hi alice-{unique}, welcome back." in output
    assert "outdated version" not in output  # the server speaks the client's release


def test_another_organization_is_not_found(upstream: Upstream, bob: str, unique: str) -> None:
    value, output = upstream.run(
        f"""
        try:
            Client(api_token=TOKEN, host=HOST, organization="globex-{unique}")
        except Exception as exc:
            emit([type(exc).__name__, str(exc)])
        """,
        check=False,
    )
    assert value == [
        "ResourceNotFoundError",
        f"Not found : no organization named 'globex-{unique}' among yours",
    ], output


def test_a_wrong_token_is_refused_in_the_clients_words(server: LiveServer) -> None:
    answer = httpx.get(f"{server.url}/sdk/v2/ping", headers={"Authorization": "Token nope"})
    assert answer.status_code == 401 and set(answer.json()) == {"error"}
    answer = httpx.get(f"{server.url}/sdk/v2/ping")
    assert answer.status_code == 401 and "Authorization: Token" in answer.json()["error"]


def test_errors_are_in_the_clients_shape_even_before_a_route(
    server: LiveServer, alice: str
) -> None:
    auth = {"Authorization": f"Token {alice}"}
    no_route = httpx.get(f"{server.url}/sdk/v2/nowhere", headers=auth)
    assert no_route.status_code == 404 and "no route" in no_route.json()["error"]
    control = httpx.get(f"{server.url}/sdk/v2/dataset/a%00b", headers=auth)
    assert control.status_code == 400 and "control" in control.json()["error"]
    not_json = httpx.post(f"{server.url}/sdk/v2/get_organization", headers=auth, content=b"{")
    assert not_json.status_code == 400 and "JSON" in not_json.json()["error"]
