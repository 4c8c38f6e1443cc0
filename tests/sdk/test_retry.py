"""One retry policy: requests and resumable downloads wait and give up alike, as the
connection's ``RetryPolicy`` says."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pixlake.api.embedded import free_port
from pixlake.errors import NetworkError, PicselliaError
from pixlake.sdk._http import Connection
from pixlake.sdk._retry import RetryPolicy
from pixlake.sdk._transfer import download, upload_file
from tests.conftest import LiveServer


class Counting(httpx.HTTPTransport):
    """The real transport, counting the requests it is given (an observer)."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []
        self.gets: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.method == "GET":
            self.gets.append(request.url.path)
        return super().handle_request(request)


class GatewayFirst(Counting):
    """Answers the first request ``503`` as a gateway in front of a restarting server would:
    an answer a running pixlake server does not give."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.paths:
            self.paths.append(request.url.path)
            return httpx.Response(503, request=request)
        return super().handle_request(request)


class _Cut(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream) -> None:
        self.inner = inner

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            yield chunk[:100]
            raise httpx.ReadError("connection reset by peer")
        raise httpx.ReadError("connection reset by peer")

    def close(self) -> None:
        self.inner.close()


class DropEveryDownload(Counting):
    """Cuts every blob download after its first bytes: a connection that keeps dropping,
    which a healthy server cannot be made to produce."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "GET" and "/blobs/" in request.url.path:
            assert isinstance(response.stream, httpx.SyncByteStream)
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=_Cut(response.stream),
                request=request,
            )
        return response


def _recorded(retries: int) -> tuple[RetryPolicy, list[float]]:
    waits: list[float] = []
    return RetryPolicy(retries=retries, backoff=0.01, sleep=waits.append), waits


def test_delays_double_with_jitter_up_to_the_cap() -> None:
    policy = RetryPolicy(retries=10, backoff=0.25, max_delay=2.0)
    for retry, nominal in [(1, 0.25), (2, 0.5), (3, 1.0), (4, 2.0), (5, 2.0), (10, 2.0)]:
        delays = [policy.delay(retry) for _ in range(300)]
        assert all(0.5 * nominal <= d < 1.5 * nominal for d in delays)
        assert max(delays) - min(delays) > 0.5 * nominal  # spread, not one value
    assert policy.allows(10) and not policy.allows(11)


def test_a_server_that_cannot_be_reached_is_tried_as_the_policy_says() -> None:
    counting = Counting()
    with Connection("t", f"http://127.0.0.1:{free_port()}", transport=counting) as conn:
        conn.retry, waits = _recorded(3)
        with pytest.raises(NetworkError, match="cannot reach"):
            conn.request("POST", "/me")  # never sent: retried whatever the method
    assert len(counting.paths) == 4
    assert len(waits) == 3 and waits[0] < 0.015 < 0.02 <= waits[2]  # 0.01, 0.02, then 0.04


def test_a_gateway_answer_is_retried_for_idempotent_requests_only(
    server: LiveServer, alice: str
) -> None:
    gateway = GatewayFirst()
    with Connection(alice, server.url, transport=gateway) as conn:
        conn.retry, waits = _recorded(2)
        assert conn.get("/me")["username"].startswith("alice-")
    assert len(gateway.paths) == 2 and len(waits) == 1

    gateway = GatewayFirst()
    with Connection(alice, server.url, transport=gateway) as conn:
        conn.retry, waits = _recorded(2)
        with pytest.raises(PicselliaError):  # a POST that may have done something: not again
            conn.request("POST", "/me", idempotent=False)
    assert len(gateway.paths) == 1 and waits == []


@pytest.mark.usefixtures("over_http")
def test_a_download_retries_as_requests_do_then_says_how_to_resume(
    server: LiveServer, alice: str, tmp_path: Path
) -> None:
    source = tmp_path / "w.bin"
    source.write_bytes(os.urandom(300_000))
    dropper = DropEveryDownload()
    with Connection(alice, server.url, transport=dropper) as conn:
        org = f"/organizations/{conn.get('/me')['default_organization']['id']}"
        digest, size = upload_file(conn, org, source, progress=False)
        conn.retry, waits = _recorded(2)
        dest = tmp_path / "out" / "w.bin"
        dest.parent.mkdir()
        with pytest.raises(NetworkError, match="run it again to resume"):
            download(
                conn,
                f"{org}/blobs/{digest}",
                dest,
                expected_digest=digest,
                expected_size=size,
                progress=False,
            )
    gets = [p for p in dropper.gets if p.endswith(f"/blobs/{digest}")]
    assert len(gets) == 3 and len(waits) == 2  # the first attempt, then two retries
    assert (tmp_path / "out" / "w.bin.part").is_file()  # kept, to resume from
    assert not dest.exists()
