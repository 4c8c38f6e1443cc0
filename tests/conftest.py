"""Shared fixtures: a real pixlake server (`pixlake.api.embedded.EmbeddedServer`: uvicorn in a
thread, on a free port) over a temporary SQLite file and blob folder, and tokens for users in
separate organizations."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from pixlake.api.embedded import EmbeddedServer
from pixlake.core import accounts
from pixlake.core.config import Settings
from pixlake.entities.accounts import Role
from pixlake.store.db.engine import Database


@dataclass
class LiveServer:
    url: str
    settings: Settings
    db: Database

    def token(
        self, username: str, organization: str | None = None, role: Role | None = None
    ) -> str:
        token, _ = accounts.create_token(self.db, username, organization=organization, role=role)
        return token


@contextmanager
def serve(settings: Settings) -> Iterator[LiveServer]:
    """A pixlake server over ``settings``, on a free port, for the block's duration, with a
    database handle of its own for the tests' set-up (tokens)."""
    with EmbeddedServer(settings) as embedded:
        db = Database(settings.database_url)
        try:
            yield LiveServer(url=embedded.url, settings=settings, db=db)
        finally:
            db.dispose()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("pixlake-home")
    with serve(Settings(home=home, max_blob_bytes=64 * 1024 * 1024)) as live:
        yield live


@pytest.fixture
def over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bytes travel over HTTP although the server is on this machine: for tests of the HTTP
    transfers themselves."""
    monkeypatch.setenv("PIXLAKE_SAME_HOST", "0")


@pytest.fixture(params=["same-host", "http"])
def transfer(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the test twice: with images copied from the server's store (it is on this
    machine), and with them sent over HTTP."""
    monkeypatch.setenv("PIXLAKE_SAME_HOST", "1" if request.param == "same-host" else "0")
    return str(request.param)


_counter = iter(range(1_000_000))


@pytest.fixture
def unique() -> str:
    """A name no other test uses (tests share one server)."""
    return f"t{next(_counter)}x{time.monotonic_ns() % 100000}"


@pytest.fixture
def alice(server: LiveServer, unique: str) -> str:
    """A token for a fresh user in a fresh organization."""
    return server.token(f"alice-{unique}", organization=f"acme-{unique}")


@pytest.fixture
def bob(server: LiveServer, unique: str) -> str:
    """A token for a fresh user in another fresh organization."""
    return server.token(f"bob-{unique}", organization=f"globex-{unique}")


@pytest.fixture
def http(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url + "/api/v1") as client:
        yield client


def make_image(seed: int, size: tuple[int, int] = (64, 48), fmt: str = "JPEG") -> bytes:
    """A small deterministic image, distinct per seed."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, size=(size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt)
    return buffer.getvalue()


def write_images(folder: Path, count: int, *, start: int = 0, prefix: str = "img") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + count):
        path = folder / f"{prefix}_{i:04d}.jpg"
        path.write_bytes(make_image(i))
        paths.append(path)
    return paths
