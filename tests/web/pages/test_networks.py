"""The networks' pages over HTTP: the registry, the hub, a network with its readme, labels,
parameters, files and thumbnail; private networks for their organization only."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from PIL import Image

from pixlake.sdk.network import Network
from tests.conftest import LiveServer
from tests.web.conftest import Person, Stranger

README = (
    "# Detector\n\nTrained on *cars*.\n\n<script>window.pwned = 1</script>\n\n"
    "[x](javascript:alert(1))\n"
)


@pytest.fixture
def network(server: LiveServer, person: Person, tmp_path: Path, unique: str) -> Network:
    net = Network(api_token=person.token, host=server.url, interactive=False)
    net.create(f"detector-{unique}", type="detection")
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"weights" * 100)
    net.store("model-latest", weights)
    thumb = tmp_path / "thumb.png"
    Image.new("RGB", (64, 48), "teal").save(thumb)
    net.update_thumb(thumb)
    net.update(
        readme_text=README,
        labels={"1": "car", "2": "bus"},
        base_parameters={"epochs": 30, "lr": 0.01},
        tag=["cars"],
    )
    return net


def _id(net: Network) -> str:
    assert net.network_id is not None
    return str(net.network_id)


def test_the_registry_shows_the_organizations_networks(
    signed_in: httpx.Client, person: Person, network: Network
) -> None:
    page = signed_in.get(f"/o/{person.organization}/networks").text
    assert f'href="/networks/{_id(network)}"' in page and "1 network<" in page
    assert f'src="/networks/{_id(network)}/thumbnail"' in page


def test_a_network_page_renders_its_readme_safely_with_its_facts(
    signed_in: httpx.Client, person: Person, network: Network
) -> None:
    page = signed_in.get(f"/networks/{_id(network)}").text
    readme = re.search(r'data-testid="readme">(.*?)</article>', page, re.S)
    assert readme is not None
    assert "<h1>Detector</h1>" in readme.group(1) and "<em>cars</em>" in readme.group(1)
    assert "<script>" not in readme.group(1) and "javascript:" not in readme.group(1).replace(
        "](javascript:", ""
    )
    assert "&lt;script&gt;" in readme.group(1)
    assert "<td>car</td>" in page and "&#34;epochs&#34;: 30" in page
    file = signed_in.get(f"/networks/{_id(network)}/files/model-latest")
    assert file.status_code == 200 and file.content == b"weights" * 100
    thumb = signed_in.get(f"/networks/{_id(network)}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["content-type"].startswith("image/")


def test_a_private_network_is_its_organizations_and_a_public_one_everyones(
    network: Network, stranger: Stranger, unique: str
) -> None:
    client = stranger.client
    for url in ("", "/thumbnail", "/files/model-latest"):
        assert client.get(f"/networks/{_id(network)}{url}").status_code == 404
    assert _id(network) not in client.get("/hub", params={"search": "detector"}).text
    network.update(private=False)
    assert client.get(f"/networks/{_id(network)}").status_code == 200
    hub = client.get("/hub", params={"search": f"detector-{unique}"}).text
    assert f'href="/networks/{_id(network)}"' in hub
    assert client.get("/hub", params={"tag": "nothing-like-it"}).text.count("/networks/") == 0
