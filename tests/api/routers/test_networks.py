"""Networks over HTTP: problem+json answers, visibility across organizations, the hub's
filters and pages, Range downloads, and composing large blobs from parts."""

from __future__ import annotations

import hashlib
import io
import os
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.api.routers.test_accounts import auth
from tests.conftest import make_image


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def org_of(http: httpx.Client, token: str) -> str:
    return str(http.get("/me", headers=auth(token)).json()["default_organization"]["id"])


def put_blob(http: httpx.Client, token: str, data: bytes) -> str:
    digest = sha(data)
    response = http.put(
        f"/organizations/{org_of(http, token)}/blobs/{digest}", content=data, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    return digest


def create(http: httpx.Client, token: str, name: str, kind: str = "detection") -> dict[str, Any]:
    response = http.post(
        f"/organizations/{org_of(http, token)}/networks",
        json={"name": name, "type": kind},
        headers=auth(token),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def patch(http: httpx.Client, token: str, net: dict[str, Any], **fields: Any) -> httpx.Response:
    return http.patch(
        f"/organizations/{net['organization']['id']}/networks/{net['model_id']}",
        json=fields,
        headers=auth(token),
    )


def store(http: httpx.Client, token: str, net: dict[str, Any], name: str, data: bytes) -> Any:
    digest = put_blob(http, token, data)
    response = http.post(
        f"/organizations/{net['organization']['id']}/networks/{net['model_id']}/files",
        json={"name": name, "sha256": digest},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    return response.json()


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


# --------------------------------------------------------------------------- CRUD


def test_create_returns_the_contract_record(http: httpx.Client, alice: str, unique: str) -> None:
    net = create(http, alice, f"yolo-{unique}")
    assert net["network_name"] == f"yolo-{unique}"
    assert net["type"] == "detection" and net["private"] is True
    assert net["files"] == {} and net["labels"] == {} and net["tag"] == []
    assert net["owner"]["username"] == f"alice-{unique}"
    assert net["organization"]["name"] == f"acme-{unique}"
    assert net["thumb_object_name"] is None and net["thumbnail_url"] is None
    got = http.get(
        f"/organizations/{net['organization']['id']}/networks/{net['network_name']}",
        headers=auth(alice),
    )
    assert got.json()["model_id"] == net["model_id"]


def test_bad_creates_are_problems(http: httpx.Client, alice: str, unique: str) -> None:
    org = org_of(http, alice)
    url = f"/organizations/{org}/networks"
    body = problem(
        http.post(url, json={"name": "n", "type": ""}, headers=auth(alice)), 422, "invalid_input"
    )
    assert body["errors"][0]["field"] == "body.type"
    create(http, alice, f"dup-{unique}")
    body = problem(
        http.post(url, json={"name": f"dup-{unique}", "type": "x"}, headers=auth(alice)),
        409,
        "already_exists",
    )
    assert f"dup-{unique}" in body["detail"]
    problem(http.post(url, json={"name": "n"}, headers=auth(alice)), 422, "invalid_input")
    listing = http.get(url, headers=auth(alice)).json()
    assert [n["network_name"] for n in listing["data"]] == [f"dup-{unique}"]


def test_update_refuses_read_only_and_unknown_fields_by_name(
    http: httpx.Client, alice: str, unique: str
) -> None:
    net = create(http, alice, f"n-{unique}")
    body = problem(patch(http, alice, net, files={"a": "b"}), 422, "invalid_input")
    assert body["errors"][0]["field"] == "body.files"
    body = problem(patch(http, alice, net, colour="red"), 422, "invalid_input")
    assert body["errors"][0]["field"] == "body.colour"
    body = problem(patch(http, alice, net, private="yes"), 422, "invalid_input")
    assert body["errors"][0]["field"] == "body.private"
    body = problem(patch(http, alice, net, labels={"0": "car"}), 422, "invalid_input")
    assert body["errors"][0]["field"] == "labels['0']"
    ok = patch(http, alice, net, description="d", labels={"1": "car"}, readme_text="# r")
    assert ok.status_code == 200
    assert ok.json()["labels"] == {"1": "car"} and ok.json()["readme_text"] == "# r"


def test_store_and_delete(http: httpx.Client, alice: str, unique: str) -> None:
    net = create(http, alice, f"n-{unique}")
    done = store(http, alice, net, "model-latest", b"weights")
    assert done["files"] == {"model-latest": f"{net['model_id']}/0/model-latest"}
    assert done["file_details"]["model-latest"]["sha256"] == sha(b"weights")
    base = f"/organizations/{net['organization']['id']}/networks/{net['model_id']}"
    body = problem(
        http.post(
            f"{base}/files",
            json={"name": "../x", "sha256": sha(b"weights")},
            headers=auth(alice),
        ),
        422,
        "invalid_input",
    )
    assert body["errors"][0]["field"] == "body.name"  # refused at the edge: the file-name rule
    named = http.post(
        f"{base}/files",
        json={"name": "model-latest", "sha256": sha(b"weights"), "file_name": "best.pt"},
        headers=auth(alice),
    ).json()
    assert named["files"] == {"model-latest": f"{net['model_id']}/0/best.pt"}
    assert named["file_details"]["model-latest"]["file_name"] == "best.pt"
    assert http.delete(base, headers=auth(alice)).status_code == 204
    problem(http.get(base, headers=auth(alice)), 404, "not_found")
    problem(
        http.get(f"/networks/{net['model_id']}/files/model-latest", headers=auth(alice)),
        404,
        "not_found",
    )


# --------------------------------------------------------------------------- visibility


def test_private_network_is_a_404_for_other_organizations(
    http: httpx.Client, alice: str, bob: str, unique: str
) -> None:
    net = create(http, alice, f"secret-{unique}")
    store(http, alice, net, "config", b"cfg")
    base = f"/organizations/{net['organization']['id']}/networks"
    problem(http.get(f"{base}/{net['model_id']}", headers=auth(bob)), 404, "not_found")
    problem(http.get(f"{base}/secret-{unique}", headers=auth(bob)), 404, "not_found")
    problem(patch(http, bob, net, description="x"), 404, "not_found")
    problem(http.delete(f"{base}/{net['model_id']}", headers=auth(bob)), 404, "not_found")
    problem(
        http.get(f"/networks/{net['model_id']}/files/config", headers=auth(bob)), 404, "not_found"
    )
    problem(http.get(f"/hub/organizations/acme-{unique}", headers=auth(bob)), 404, "not_found")
    assert http.get(base, headers=auth(bob)).json()["count"] == 0


def test_public_network_is_read_only_for_other_organizations(
    http: httpx.Client, alice: str, bob: str, unique: str
) -> None:
    net = create(http, alice, f"shared-{unique}")
    store(http, alice, net, "config", b"cfg")
    assert patch(http, alice, net, private=False, description="mine").status_code == 200
    base = f"/organizations/{net['organization']['id']}/networks/{net['model_id']}"
    assert http.get(base, headers=auth(bob)).json()["description"] == "mine"
    got = http.get(f"/networks/{net['model_id']}/files/config", headers=auth(bob))
    assert got.content == b"cfg"
    org = http.get(f"/hub/organizations/acme-{unique}", headers=auth(bob)).json()
    assert org["id"] == net["organization"]["id"] and org["role"] is None
    bobs = put_blob(http, bob, b"bob")
    problem(patch(http, bob, net, description="hacked"), 403, "forbidden")
    problem(http.delete(base, headers=auth(bob)), 403, "forbidden")
    problem(
        http.post(f"{base}/files", json={"name": "config", "sha256": bobs}, headers=auth(bob)),
        403,
        "forbidden",
    )
    problem(
        http.put(f"{base}/thumbnail", json={"sha256": bobs}, headers=auth(bob)), 403, "forbidden"
    )
    after = http.get(base, headers=auth(alice)).json()
    assert after["description"] == "mine" and after["files"] == net["files"] | {
        "config": f"{net['model_id']}/config"
    }
    # private again: hidden at once
    assert patch(http, alice, net, private=True).status_code == 200
    problem(http.get(base, headers=auth(bob)), 404, "not_found")
    problem(
        http.get(f"/networks/{net['model_id']}/files/config", headers=auth(bob)), 404, "not_found"
    )
    hub = http.get("/hub/networks", params={"search": f"shared-{unique}"}, headers=auth(bob))
    assert hub.json()["count"] == 0


def test_hub_filters_and_pages(http: httpx.Client, alice: str, bob: str, unique: str) -> None:
    for i in range(5):
        net = create(http, alice, f"hub-{unique}-{i}", "detection" if i % 2 else "segmentation")
        assert (
            patch(
                http,
                alice,
                net,
                private=i == 4,
                framework="pytorch" if i < 2 else "tensorflow2",
                tag=[f"t{unique}", f"t{unique}-{i}"],
            ).status_code
            == 200
        )
    seen: list[str] = []
    params: dict[str, Any] = {"search": f"HUB-{unique}", "limit": 3}
    while True:
        page = http.get("/hub/networks", params=params, headers=auth(bob)).json()
        assert page["count"] == 4
        seen += [n["network_name"] for n in page["data"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [f"hub-{unique}-{i}" for i in range(4)]

    def names(**filters: str) -> list[str]:
        query = {"search": f"hub-{unique}", **filters}
        page = http.get("/hub/networks", params=query, headers=auth(bob)).json()
        return [n["network_name"] for n in page["data"]]

    assert names(type="Detection") == [f"hub-{unique}-1", f"hub-{unique}-3"]
    assert names(framework="pytorch") == [f"hub-{unique}-0", f"hub-{unique}-1"]
    assert names(tag=f"t{unique}-2") == [f"hub-{unique}-2"]
    assert names(tag=f"t{unique}-4") == []  # private
    problem(
        http.get("/hub/networks", params={"cursor": "nope"}, headers=auth(bob)),
        422,
        "invalid_input",
    )
    problem(http.get("/hub/networks"), 401, "unauthorized")


# --------------------------------------------------------------------------- bytes


def test_range_downloads(http: httpx.Client, alice: str, unique: str) -> None:
    net = create(http, alice, f"r-{unique}")
    data = os.urandom(5000)
    store(http, alice, net, "model-latest", data)
    url = f"/networks/{net['model_id']}/files/model-latest"
    full = http.get(url, headers=auth(alice))
    assert full.status_code == 200 and full.content == data
    assert full.headers["accept-ranges"] == "bytes"
    part = http.get(url, headers={**auth(alice), "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == "bytes 100-199/5000"
    assert part.headers["content-length"] == "100"
    tail = http.get(url, headers={**auth(alice), "Range": "bytes=4990-"})
    assert tail.status_code == 206 and tail.content == data[4990:]
    suffix = http.get(url, headers={**auth(alice), "Range": "bytes=-7"})
    assert suffix.status_code == 206 and suffix.content == data[-7:]
    beyond = http.get(url, headers={**auth(alice), "Range": "bytes=9000-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == "bytes */5000"
    several = http.get(url, headers={**auth(alice), "Range": "bytes=0-1,5-6"})
    assert several.status_code == 200 and several.content == data
    blob = http.get(
        f"/organizations/{org_of(http, alice)}/blobs/{sha(data)}",
        headers={**auth(alice), "Range": "bytes=10-19"},
    )
    assert blob.status_code == 206 and blob.content == data[10:20]


def test_thumbnail_is_made_by_the_server(http: httpx.Client, alice: str, unique: str) -> None:
    net = create(http, alice, f"t-{unique}")
    base = f"/organizations/{net['organization']['id']}/networks/{net['model_id']}"
    truncated = put_blob(http, alice, make_image(5, (200, 100))[:-300])
    body = problem(
        http.put(f"{base}/thumbnail", json={"sha256": truncated}, headers=auth(alice)),
        422,
        "invalid_input",
    )
    assert body["errors"][0]["field"] == "thumbnail" and "truncated" in body["detail"]
    source = make_image(6, (1000, 800))
    done = http.put(
        f"{base}/thumbnail", json={"sha256": put_blob(http, alice, source)}, headers=auth(alice)
    )
    assert done.status_code == 200
    assert done.json()["thumb_object_name"] == f"{net['model_id']}/thumb.jpg"
    thumb = http.get(f"/networks/{net['model_id']}/thumbnail", headers=auth(alice))
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert image.size == (256, 205)
    original = http.get(
        f"/networks/{net['model_id']}/thumbnail", params={"original": "true"}, headers=auth(alice)
    )
    assert original.content == source


# --------------------------------------------------------------------------- compose


def test_compose_with_a_bad_digest_stores_nothing(http: httpx.Client, alice: str) -> None:
    org = org_of(http, alice)
    parts = [os.urandom(3000), os.urandom(3000), os.urandom(17)]
    digests = [put_blob(http, alice, p) for p in parts]
    whole = b"".join(parts)
    wrong = sha(b"not the concatenation")
    url = f"/organizations/{org}/blobs/compose"
    body = problem(
        http.post(
            url, json={"parts": digests, "sha256": wrong, "size": len(whole)}, headers=auth(alice)
        ),
        422,
        "invalid_input",
    )
    assert body["errors"][0]["field"] == "sha256"
    missing = http.post(
        f"/organizations/{org}/blobs/missing", json={"digests": [wrong]}, headers=auth(alice)
    ).json()["missing"]
    assert missing == [wrong]
    problem(http.get(f"/organizations/{org}/blobs/{wrong}", headers=auth(alice)), 404, "not_found")
    body = problem(
        http.post(
            url,
            json={
                "parts": [*digests, sha(b"never sent")],
                "sha256": sha(whole),
                "size": len(whole),
            },
            headers=auth(alice),
        ),
        422,
        "invalid_input",
    )
    assert body["errors"][0]["field"] == "parts[3]"
    done = http.post(
        url,
        json={"parts": digests, "sha256": sha(whole), "size": len(whole)},
        headers=auth(alice),
    )
    assert done.status_code == 201 and done.json()["size"] == len(whole)
    assert http.get(f"/organizations/{org}/blobs/{sha(whole)}", headers=auth(alice)).content == (
        whole
    )


@pytest.mark.parametrize("parts", [[], ["zz"]])
def test_compose_refuses_malformed_requests(
    http: httpx.Client, alice: str, parts: list[str]
) -> None:
    org = org_of(http, alice)
    problem(
        http.post(
            f"/organizations/{org}/blobs/compose",
            json={"parts": parts, "sha256": sha(b""), "size": 0},
            headers=auth(alice),
        ),
        422,
        "invalid_input",
    )
