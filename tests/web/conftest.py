"""Fixtures of the web UI's tests: people with passwords on the shared live server, and a
browser client signed in as one of them (cookies kept, as a browser does)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pixlake.core import sessions
from pixlake.sdk.datalake import Datalake
from tests.conftest import LiveServer
from tests.factories import coco_dataset

PASSWORD = "a passphrase of four words"


@dataclass
class Person:
    username: str
    organization: str
    token: str


@pytest.fixture
def person(server: LiveServer, unique: str) -> Person:
    """A user with a password and an API token, alone in a fresh organization."""
    username, organization = f"pat-{unique}", f"pats-{unique}"
    sessions.create_user(server.db, username, PASSWORD, organization=organization)
    return Person(username, organization, server.token(username, organization=organization))


def sign_in(client: httpx.Client, person: Person) -> None:
    answer = client.post(
        "/signin",
        data={"username": person.username, "password": PASSWORD, "next": "/"},
        headers={"Origin": str(client.base_url).rstrip("/")},
    )
    assert answer.status_code == 303, answer.text


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    assert found, "the page holds no CSRF token"
    return found.group(1)


@pytest.fixture
def browser_client(server: LiveServer) -> Iterator[httpx.Client]:
    """An HTTP client to the pages, following no redirect (the tests read them)."""
    with httpx.Client(base_url=server.url) as client:
        yield client


@pytest.fixture
def signed_in(browser_client: httpx.Client, person: Person) -> httpx.Client:
    sign_in(browser_client, person)
    return browser_client


@dataclass
class Stranger:
    """A person of another organization, signed in with a client of their own."""

    client: httpx.Client
    organization: str


@pytest.fixture
def stranger(server: LiveServer, unique: str) -> Iterator[Stranger]:
    username, organization = f"eve-{unique}", f"eves-{unique}"
    sessions.create_user(server.db, username, PASSWORD, organization=organization)
    with httpx.Client(base_url=server.url) as client:
        sign_in(client, Person(username, organization, ""))
        yield Stranger(client, organization)


@pytest.fixture
def coco(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """A COCO dataset of 12 pictures (a module may ask for another size)."""
    root = tmp_path / "coco"
    return root, coco_dataset(root, 12)


@pytest.fixture
def version(server: LiveServer, person: Person, coco: tuple[Path, dict[str, Any]]) -> str:
    """The id of version "first" of dataset "cars", imported from ``coco``."""
    root, _document = coco
    lake = Datalake(api_token=person.token, host=server.url, interactive=False)
    lake.upload(
        name="cars", imgdir=root / "images", ann_path=root / "instances.json", ann_format="COCO"
    )
    lake.dataset.fetch("cars", "first")
    assert lake.dataset.dataset_id is not None
    return lake.dataset.dataset_id
