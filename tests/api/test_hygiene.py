"""Security headers on every answer, and access logs without query strings."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.api.world import auth
from tests.conftest import LiveServer

PREFIX = "/api/v1"


def _answers(server: LiveServer, token: str) -> list[httpx.Response]:
    me = httpx.get(f"{server.url}{PREFIX}/me", headers=auth(token))
    org = me.json()["default_organization"]["id"]
    return [
        me,  # JSON
        httpx.get(f"{server.url}{PREFIX}/health"),  # public
        httpx.get(f"{server.url}{PREFIX}/me"),  # 401
        httpx.get(f"{server.url}{PREFIX}/nowhere", headers=auth(token)),  # 404, no route
        # 400 from the URL check, before any route
        httpx.get(f"{server.url}{PREFIX}/organizations/{org}/pictures%00", headers=auth(token)),
        httpx.get(f"{server.url}/docs"),
    ]


def test_every_answer_carries_the_security_headers(server: LiveServer, alice: str) -> None:
    for answer in _answers(server, alice):
        headers = answer.headers
        assert headers["x-content-type-options"] == "nosniff", answer.url
        assert headers["x-frame-options"] == "DENY", answer.url
        assert headers["referrer-policy"] == "no-referrer", answer.url
        if answer.url.path.startswith(PREFIX):
            assert "default-src 'none'" in headers["content-security-policy"], answer.url


def test_a_body_refused_for_its_size_carries_them_too(server: LiveServer, alice: str) -> None:
    org = httpx.get(f"{server.url}{PREFIX}/me", headers=auth(alice)).json()
    path = f"{PREFIX}/organizations/{org['default_organization']['id']}/pictures"
    address = urlsplit(server.url)
    assert address.hostname is not None and address.port is not None
    with socket.create_connection((address.hostname, address.port), timeout=10) as s:
        s.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {address.netloc}\r\nAuthorization: Token {alice}"
            f"\r\nContent-Length: {2**40}\r\n\r\n{{}}".encode()
        )
        head = s.recv(65536).decode().lower()
    assert head.startswith("http/1.1 413"), head
    assert "x-content-type-options: nosniff" in head


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def access_log() -> Iterator[_Lines]:
    logger = logging.getLogger("uvicorn.access")
    lines, level, disabled = _Lines(), logger.level, logger.disabled
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    logger.disabled = False
    yield lines
    logger.removeHandler(lines)
    logger.setLevel(level)
    logger.disabled = disabled


def test_access_logs_leave_query_strings_out(
    server: LiveServer, alice: str, access_log: _Lines
) -> None:
    org = httpx.get(f"{server.url}{PREFIX}/me", headers=auth(alice)).json()
    base = f"{server.url}{PREFIX}/organizations/{org['default_organization']['id']}"
    httpx.get(f"{base}/pictures", params={"tag": "secret-query-value"}, headers=auth(alice))
    logged = [line for line in access_log.lines if "/pictures" in line]
    assert logged, access_log.lines
    assert all("secret-query-value" not in line for line in logged), logged
    assert any("/pictures?[redacted]" in line for line in logged), logged
    assert all(alice not in line for line in access_log.lines)
