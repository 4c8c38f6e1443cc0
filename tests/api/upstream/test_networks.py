"""Rows 29 to 35: networks through the upstream client (files small, large and zipped,
labels, the thumbnail), each step seen by pixlake's own SDK."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import httpx

from pixlake import Network
from tests.api.upstream.conftest import Upstream
from tests.conftest import LiveServer, make_image

MiB = 1024 * 1024


def _ours(server: LiveServer, token: str, name: str) -> Network:
    return Network(api_token=token, host=server.url).get(name)


def test_create_get_update_label_and_delete(
    upstream: Upstream, server: LiveServer, alice: str, unique: str
) -> None:
    made = upstream.run(
        f"""
        net = Client.Network(api_token=TOKEN, host=HOST)
        net.create("yolo-{unique}", "detection")
        by_id = Client.Network(api_token=TOKEN, host=HOST).get(net.network_id).infos
        by_name = Client.Network(api_token=TOKEN, host=HOST).get("yolo-{unique}").infos
        net.update(description="cars at night", framework="pytorch", tag=["cars", "night"])
        net.labels({{"1": "car", "2": "bus"}})
        listed = Client.Network(api_token=TOKEN, host=HOST).list()
        emit([net.network_id, by_id, by_name, net.infos, listed])
        """
    )
    network_id, by_id, by_name, updated, listed = made
    assert by_id == by_name and by_id["model_id"] == network_id
    assert by_id["files"] == {} and by_id["organization"]["name"] == f"acme-{unique}"
    assert (updated["description"], updated["framework"], updated["tag"]) == (
        "cars at night", "pytorch", ["cars", "night"],
    )  # fmt: skip
    assert [n["network_name"] for n in listed] == [f"yolo-{unique}"]
    ours = _ours(server, alice, f"yolo-{unique}")
    assert ours.infos["labels"] == {"1": "car", "2": "bus"}
    assert ours.infos["description"] == "cars at night"
    gone = upstream.run(
        f"""
        net = Client.Network(api_token=TOKEN, host=HOST).get("yolo-{unique}")
        net.delete()
        emit(Client.Network(api_token=TOKEN, host=HOST).list())
        """
    )
    assert gone == []


def test_files_small_large_and_zipped_and_the_thumbnail(
    upstream: Upstream, server: LiveServer, alice: str, unique: str, tmp_path: Path
) -> None:
    small = tmp_path / "config.yaml"
    small.write_text("epochs: 3\n")
    large = tmp_path / "weights.pt"
    large.write_bytes(os.urandom(10 * MiB))  # an exact multiple of the 5 MiB parts
    folder = tmp_path / "saved_model"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    (folder / "b.txt").write_text("b")
    thumb = tmp_path / "thumb.png"
    thumb.write_bytes(make_image(3, fmt="PNG"))
    files = upstream.run(
        f"""
        net = Client.Network(api_token=TOKEN, host=HOST)
        net.create("det-{unique}", "detection")
        net.store("config", {str(small)!r})
        net.store("checkpoint-data-latest", {str(large)!r})
        net.store("model-latest", {str(folder)!r}, zip=True)
        net.update_thumb({str(thumb)!r})
        net = Client.Network(api_token=TOKEN, host=HOST).get("det-{unique}")
        net._dl_file(net.files["checkpoint-data-latest"], "back.pt")
        emit(net.files)
        """
    )
    network_id = _ours(server, alice, f"det-{unique}").network_id
    assert files == {
        "config": f"{network_id}/config.yaml",
        "checkpoint-data-latest": f"{network_id}/weights.pt",
        "model-latest": f"{network_id}/0/saved_model.zip",
    }
    back = upstream.workdir / "back.pt"
    assert hashlib.sha256(back.read_bytes()).digest() == hashlib.sha256(large.read_bytes()).digest()
    ours = _ours(server, alice, f"det-{unique}")
    details = ours.infos["file_details"]
    assert details["config"]["sha256"] == hashlib.sha256(small.read_bytes()).hexdigest()
    assert details["checkpoint-data-latest"]["size"] == 10 * MiB
    assert ours.infos["thumbnail_url"]
    assert ours.download("config", tmp_path / "mine.yaml").read_text() == "epochs: 3\n"


def test_bad_updates_and_deploy_are_refused_in_the_clients_words(
    upstream: Upstream, unique: str
) -> None:
    answers = upstream.run(
        f"""
        net = Client.Network(api_token=TOKEN, host=HOST)
        net.create("n-{unique}", "detection")
        out = []
        for call in (
            lambda: net.update(owner="someone"),
            lambda: net.update(private="yes"),
            lambda: net.update(files={{"config": net.network_id + "/never-sent.yaml"}}),
            lambda: net.create("n-{unique}", "detection"),
        ):
            try:
                call()
                out.append(None)
            except Exception as exc:
                out.append([type(exc).__name__, str(exc)])
        emit(out)
        """
    )
    owner, private, never_sent, twice = answers
    assert owner[0] == "InvalidQueryError" and "owner" in owner[1]
    assert private[0] == "InvalidQueryError" and "private" in private[1]
    assert never_sent[0] == "ResourceNotFoundError" and "never-sent.yaml" in never_sent[1]
    assert twice[0] == "InvalidQueryError" and "already exists" in twice[1]


def test_another_organizations_networks(
    upstream: Upstream, server: LiveServer, alice: str, bob: str, unique: str
) -> None:
    bobs = Network(api_token=bob, host=server.url)
    bobs.create(f"secret-{unique}", "detection")
    hidden = bobs.network_id
    bobs.create(f"public-{unique}", "detection")
    bobs.update(private=False)
    shared = bobs.network_id
    auth = {"Authorization": f"Token {alice}"}
    base = f"{server.url}/sdk/v2/network/globex-{unique}"
    seen = httpx.get(f"{base}/{shared}", headers=auth)
    assert seen.status_code == 200 and seen.json()["network_name"] == f"public-{unique}"
    assert httpx.get(f"{base}/{hidden}", headers=auth).status_code == 404
    listed = httpx.get(base, headers=auth).json()["networks"]
    assert [n["network_name"] for n in listed] == [f"public-{unique}"]
    change = httpx.patch(
        f"{base}/{shared}", headers=auth, content=json.dumps({"description": "mine now"})
    )
    assert change.status_code == 403
    for method in ("PATCH", "DELETE"):
        answer = httpx.request(method, f"{base}/{hidden}", headers=auth, content=b"{}")
        assert answer.status_code == 404
    deploy = httpx.post(f"{server.url}/sdk/v2/network/{shared}", headers=auth)
    assert deploy.status_code == 501 and "not supported" in deploy.json()["error"]
    assert (
        Network(api_token=bob, host=server.url).get(f"public-{unique}").infos["description"] == ""
    )
