"""Every hostile input of the corpus gets its answer, names what is at fault, and leaves
the store as it was: the same rows in every table, the same files under the server's home
(blobs and temporary files alike), and a server that still answers."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from pixlake import Datalake, Picture
from pixlake.core.config import Settings
from pixlake.errors import PicselliaError
from tests.api.world import fingerprint
from tests.conftest import LiveServer, serve
from tests.corpus.cases import Case, all_cases

PREFIX = "/api/v1"
CASES = all_cases()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str, str]]:
    """A server of its own (the corpus's fingerprints must see nobody else's writes)."""
    home = tmp_path_factory.mktemp("corpus-home")
    with serve(Settings(home=home, max_json_bytes=8 * 1024 * 1024)) as server:
        token = server.token("mallory", "hostile")
        me = httpx.get(f"{server.url}{PREFIX}/me", headers={"Authorization": f"Token {token}"})
        yield server, token, me.json()["organizations"][0]["id"]


def _write(case: Case, folder: Path) -> None:
    for relative, data in case.files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _sdk(case: Case, server: LiveServer, token: str, folder: Path) -> str:
    """The SDK's refusal of the case, as a message with its details."""
    _write(case, folder)
    try:
        if case.channel == "upload":
            Picture(api_token=token, host=server.url).upload([folder / name for name in case.files])
        else:
            ann_format = case.channel.removeprefix("import-")
            Datalake(api_token=token, host=server.url).upload(
                name=f"corpus-{case.name}",
                imgdir=folder if ann_format == "YOLO" else folder / "images",
                ann_path=folder / case.ann,
                ann_format=ann_format,
            )
    except PicselliaError as exc:
        return f"{exc} {json.dumps(getattr(exc, 'details', None), default=str)}"
    pytest.fail(f"{case.name}: accepted")


def _raw(case: Case, server: LiveServer, token: str, org: str) -> str:
    """Declare a longer body than is sent and send part of it; then read the answer, when
    one is expected before the body's end (``expect``), or hang up."""
    address = urlsplit(server.url)
    head = (
        f"{case.request['method']} {PREFIX}/organizations/{org}{case.request['path']} HTTP/1.1\r\n"
        f"Host: {address.netloc}\r\nAuthorization: Token {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {case.request['declared']}\r\n\r\n"
    ).encode()
    assert address.hostname is not None and address.port is not None
    with socket.create_connection((address.hostname, address.port), timeout=10) as s:
        s.sendall(head + case.raw)
        if not case.expect:
            time.sleep(0.05)
            answer = b""
        else:
            answer = s.recv(65536)
    time.sleep(0.2)  # the server notices the hang-up and ends the request
    if case.expect:
        status = int(answer.split(b" ", 2)[1])
        assert status == case.expect, (case.name, answer[:500])
    return answer.decode("utf-8", "replace")


def _http(case: Case, server: LiveServer, token: str, org: str) -> str:
    request = case.request
    answer = httpx.request(
        request["method"],
        f"{server.url}{PREFIX}/organizations/{org}{request['path']}",
        headers={"Authorization": f"Token {token}", **request.get("headers", {})},
        content=request["body"],
        timeout=30,
    )
    assert answer.status_code == case.expect, (case.name, answer.text[:500])
    assert answer.headers["content-type"].startswith("application/"), answer.headers
    body = answer.json()
    if case.expect == 200:  # a batch: every item refused, by name, and none kept
        assert body["rejected"], body
        assert not body.get("stored") and not body.get("created"), body
    return answer.text


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_input_is_refused_and_changes_nothing(
    case: Case, live: tuple[LiveServer, str, str], tmp_path: Path
) -> None:
    server, token, org = live
    before = fingerprint(server.settings)
    if case.channel == "http" and case.raw:
        message = _raw(case, server, token, org)
    elif case.channel == "http":
        message = _http(case, server, token, org)
    else:
        message = _sdk(case, server, token, tmp_path)
    for mention in case.mentions:
        assert mention in message, f"{case.name}: {mention!r} not named in: {message[:800]}"
    assert fingerprint(server.settings) == before, case.name
    assert httpx.get(f"{server.url}{PREFIX}/health").status_code == 200


def test_the_corpus_is_large_and_covers_every_channel() -> None:
    assert len(CASES) >= 60
    assert {case.channel for case in CASES} == {
        "upload",
        "import-COCO",
        "import-PASCAL-VOC",
        "import-YOLO",
        "http",
    }
