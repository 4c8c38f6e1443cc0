"""The demo's network step: it creates ``demo-detector`` with a file, labels and a thumbnail,
and running it again works and changes nothing."""

from __future__ import annotations

from pathlib import Path

from pixlake import Network
from pixlake.cli.demo import demo_network
from tests.conftest import LiveServer


def test_demo_network_runs_twice(server: LiveServer, alice: str, tmp_path: Path) -> None:
    network = Network(api_token=alice, host=server.url, interactive=False)
    first = demo_network(network, tmp_path)
    assert first.startswith("network 'demo-detector': file config (")
    record = dict(network.infos)
    assert record["labels"] == {"1": "crate", "2": "sign"}
    assert list(record["files"]) == ["config"] and record["thumb_object_name"]

    again = Network(api_token=alice, host=server.url, interactive=False)
    assert demo_network(again, tmp_path) == first
    assert again.network_id == record["model_id"]
    assert again.infos["file_details"] == record["file_details"]
    assert [r["network_name"] for r in again.list()] == ["demo-detector"]
