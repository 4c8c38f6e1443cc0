"""Signing in to the pages: sessions in HttpOnly cookies, CSRF on every change, and no way
for another site to use a session, to sign a browser in, or to send it elsewhere after."""

from __future__ import annotations

import httpx
import pytest

from pixlake.web.auth import SESSION_COOKIE, local_path
from tests.conftest import LiveServer
from tests.web.conftest import PASSWORD, Person, csrf_of, sign_in


def test_a_page_without_a_session_sends_to_sign_in_and_back(
    browser_client: httpx.Client, person: Person
) -> None:
    wanted = f"/o/{person.organization}/datalake?tag=a&match=all"
    answer = browser_client.get(wanted)
    assert answer.status_code == 303
    assert (
        answer.headers["location"]
        == f"/signin?next=/o/{person.organization}/datalake%3Ftag%3Da%26match%3Dall"
    )
    form = browser_client.get(answer.headers["location"])
    assert form.status_code == 200 and f'value="{wanted.replace("&", "&amp;")}"' in form.text
    signed = browser_client.post(
        "/signin",
        data={"username": person.username, "password": PASSWORD, "next": wanted},
        headers={"Origin": str(browser_client.base_url).rstrip("/")},
    )
    assert signed.status_code == 303 and signed.headers["location"] == wanted
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=pxs_")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert browser_client.get(wanted).status_code == 200


def test_the_cookie_is_secure_behind_https(browser_client: httpx.Client, person: Person) -> None:
    # uvicorn trusts X-Forwarded-Proto from a proxy on this machine, as from a TLS front end
    answer = browser_client.post(
        "/signin",
        data={"username": person.username, "password": PASSWORD},
        headers={
            "X-Forwarded-Proto": "https",
            "Origin": "https://" + browser_client.base_url.netloc.decode(),
        },
    )
    assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]


def test_a_wrong_password_is_a_page_with_no_cookie(
    browser_client: httpx.Client, person: Person
) -> None:
    answer = browser_client.post(
        "/signin", data={"username": person.username, "password": "not the one"}
    )
    assert answer.status_code == 401 and "wrong username or password" in answer.text
    assert "set-cookie" not in answer.headers
    assert f'value="{person.username}"' in answer.text  # kept for the next try


def test_a_sign_in_form_from_another_site_is_refused(
    browser_client: httpx.Client, person: Person
) -> None:
    answer = browser_client.post(
        "/signin",
        data={"username": person.username, "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status_code == 403 and "set-cookie" not in answer.headers
    assert "another site" in answer.text


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"]
)
def test_a_sign_in_never_sends_the_browser_to_another_site(
    browser_client: httpx.Client, person: Person, target: str
) -> None:
    answer = browser_client.post(
        "/signin", data={"username": person.username, "password": PASSWORD, "next": target}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert local_path(target) == "/"


def test_an_api_token_signs_in_too(
    server: LiveServer, browser_client: httpx.Client, person: Person
) -> None:
    answer = browser_client.post("/signin/token", data={"token": person.token})
    assert answer.status_code == 303 and SESSION_COOKIE in answer.headers["set-cookie"]
    home = browser_client.get("/")
    assert home.headers["location"] == f"/o/{person.organization}/datalake"
    refused = httpx.post(f"{server.url}/signin/token", data={"token": "pxl_nope"})
    assert refused.status_code == 401 and "unknown or revoked" in refused.text


def test_an_api_token_is_no_session_and_a_session_is_no_api_token(
    server: LiveServer, signed_in: httpx.Client, person: Person
) -> None:
    page = f"/o/{person.organization}/datalake"
    by_token = httpx.get(server.url + page, headers={"Authorization": f"Token {person.token}"})
    assert by_token.status_code == 303  # to the sign-in page
    api = signed_in.get(f"/api/v1/organizations/{person.organization}/pictures")
    assert api.status_code == 401


def test_a_change_without_the_session_csrf_token_is_refused(
    signed_in: httpx.Client, person: Person, server: LiveServer
) -> None:
    url = f"/o/{person.organization}/datalake/selection"
    for token in (None, "0" * 64):
        data = {"action": "delete", "scope": "matching"}
        if token:
            data["csrf"] = token
        answer = signed_in.post(url, data=data)
        assert answer.status_code == 403 and "reload the page" in answer.text
    # the token of another session of the same person does not do either
    with httpx.Client(base_url=server.url) as other:
        sign_in(other, person)
        foreign = csrf_of(other.get(f"/o/{person.organization}/datalake").text)
    answer = signed_in.post(url, data={"action": "delete", "scope": "matching", "csrf": foreign})
    assert answer.status_code == 403


def test_sign_out_ends_the_session(signed_in: httpx.Client, person: Person) -> None:
    page = signed_in.get(f"/o/{person.organization}/datalake")
    session = signed_in.cookies[SESSION_COOKIE]
    answer = signed_in.post("/signout", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/signin"
    assert SESSION_COOKIE not in signed_in.cookies
    signed_in.cookies.set(SESSION_COOKIE, session)  # a copy kept by someone else
    assert signed_in.get(f"/o/{person.organization}/datalake").status_code == 303


def test_pages_load_nothing_from_elsewhere_and_run_no_inline_script(
    browser_client: httpx.Client,
) -> None:
    answer = browser_client.get("/signin")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["cache-control"] == "no-store"
    assert "<script>" not in answer.text
