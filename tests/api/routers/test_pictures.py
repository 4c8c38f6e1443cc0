"""Pictures over HTTP: registration outcomes, pagination, search, selection changes, scoping."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from pixlake.schemas.pictures import PicturesCreated
from tests.api.routers.test_accounts import auth
from tests.api.routers.test_blobs import org_of, sha
from tests.conftest import LiveServer, make_image


def upload(http: httpx.Client, token: str, org: str, data: bytes) -> str:
    digest = sha(data)
    http.put(f"/organizations/{org}/blobs/{digest}", content=data, headers=auth(token))
    return digest


def register(
    http: httpx.Client,
    token: str,
    org: str,
    items: list[tuple[str, str]],
    tags: list[str] | None = None,
) -> dict:  # type: ignore[type-arg]
    response = http.post(
        f"/organizations/{org}/pictures",
        json={"pictures": [{"external_url": n, "sha256": d} for n, d in items], "tags": tags or []},
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_registration_outcomes(http: httpx.Client, alice: str) -> None:
    org = org_of(http, alice)
    a, b = upload(http, alice, org, make_image(20)), upload(http, alice, org, make_image(21))
    text = upload(http, alice, org, b"plain text, not an image")
    first = register(http, alice, org, [("a.jpg", a)], ["t1"])
    assert [p["external_url"] for p in first["created"]] == ["a.jpg"]
    record = first["created"][0]
    assert record["sha256"] == a and record["width"] == 64 and record["height"] == 48
    assert record["tag"] == ["t1"] and record["source"] == "sdk"
    assert record["url"].endswith(f"/pictures/{record['picture_id']}/file")
    assert record["date_created"].endswith(("Z", "+00:00"))  # UTC, explicit on every database

    again = register(
        http,
        alice,
        org,
        [
            ("a.jpg", a),
            ("b.jpg", a.replace(a[0], "f" if a[0] != "f" else "e", 1)),
            ("c.txt", text),
            ("a.jpg", b),
            ("../d.jpg", b),
            ("e.jpg", b),
        ],
        ["t2"],
    )
    assert [p["external_url"] for p in again["existing"]] == ["a.jpg"]
    assert again["existing"][0]["tag"] == ["t1", "t2"]  # tags merged
    assert [p["external_url"] for p in again["created"]] == ["e.jpg"]
    reasons = {r["external_url"]: r["reason"] for r in again["rejected"]}
    assert "not uploaded" in reasons["b.jpg"]
    assert "not a decodable image" in reasons["c.txt"]
    assert "twice in this batch" in reasons["a.jpg"]
    assert "without '..'" in reasons["../d.jpg"]

    clash = register(http, alice, org, [("e.jpg", a)])
    assert "already in the datalake" in clash["rejected"][0]["reason"]
    assert clash["created"] == [] and clash["existing"] == []


def test_pagination_with_cursor(http: httpx.Client, alice: str) -> None:
    org = org_of(http, alice)
    items = [(f"p{i}.jpg", upload(http, alice, org, make_image(100 + i))) for i in range(7)]
    register(http, alice, org, items, ["page"])
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 3}
    while True:
        page = http.get(f"/organizations/{org}/pictures", params=params, headers=auth(alice)).json()
        assert page["count"] == 7
        seen += [p["external_url"] for p in page["data"]]
        if not page["next_cursor"]:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == [n for n, _ in items]
    bad = http.get(f"/organizations/{org}/pictures", params={"cursor": "zzz"}, headers=auth(alice))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


def test_search_samples_and_validates(http: httpx.Client, alice: str) -> None:
    org = org_of(http, alice)
    items = [(f"s{i}.jpg", upload(http, alice, org, make_image(200 + i))) for i in range(10)]
    register(http, alice, org, items[:6], ["train"])
    register(http, alice, org, items[6:], ["val"])
    url = f"/organizations/{org}/pictures/search"
    half = http.post(
        url, json={"tags": ["train"], "quantity": 0.5, "seed": 1}, headers=auth(alice)
    ).json()
    assert half["count"] == 3 and len(half["data"]) == 3
    assert {p["external_url"] for p in half["data"]} <= {n for n, _ in items[:6]}
    same = http.post(
        url, json={"tags": ["train"], "quantity": 0.5, "seed": 1}, headers=auth(alice)
    ).json()
    assert same == half  # a seed makes the sample reproducible
    both = http.post(
        url, json={"tags": ["train", "val"], "quantity": 1}, headers=auth(alice)
    ).json()
    assert both["count"] == 10
    tiny = http.post(url, json={"tags": ["val"], "quantity": 0.01}, headers=auth(alice)).json()
    assert tiny["count"] == 1  # at least one when anything matches
    none = http.post(url, json={"tags": ["nothing"], "quantity": 1}, headers=auth(alice)).json()
    assert none == {"data": [], "count": 0, "next_cursor": None}
    zero = http.post(url, json={"tags": ["train"], "quantity": 0}, headers=auth(alice))
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "quantity"


def test_unknown_fields_are_refused_by_name(http: httpx.Client, alice: str) -> None:
    org = org_of(http, alice)
    response = http.post(
        f"/organizations/{org}/pictures/search",
        json={"tags": ["x"], "quantiy": 1},
        headers=auth(alice),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.quantiy"


def test_other_organizations_see_nothing(http: httpx.Client, alice: str, bob: str) -> None:
    org = org_of(http, alice)
    digest = upload(http, alice, org, make_image(300))
    picture = register(http, alice, org, [("secret.jpg", digest)], ["private"])["created"][0]
    pid = picture["picture_id"]
    for method, path, body in [
        ("GET", f"/organizations/{org}/pictures", None),
        ("GET", f"/organizations/{org}/pictures/{pid}", None),
        ("GET", f"/organizations/{org}/pictures/{pid}/file", None),
        ("POST", f"/organizations/{org}/pictures/delete", {"pictures": [pid]}),
        ("POST", f"/organizations/{org}/pictures/tag", {"pictures": [pid], "tags": ["x"]}),
    ]:
        response = http.request(method, path, json=body, headers=auth(bob))
        assert response.status_code == 404, (method, path)
        assert "secret" not in response.text
    # in his own organization, alice's picture id is simply unknown
    bob_org = org_of(http, bob)
    changed = http.post(
        f"/organizations/{bob_org}/pictures/delete", json={"pictures": [pid]}, headers=auth(bob)
    ).json()
    assert changed == {"count": 0}
    assert http.get(f"/organizations/{org}/pictures/{pid}", headers=auth(alice)).status_code == 200


def test_picture_file_download(http: httpx.Client, alice: str) -> None:
    org = org_of(http, alice)
    data = make_image(301)
    picture = register(http, alice, org, [("dl.jpg", upload(http, alice, org, data))])["created"][0]
    response = http.get(
        f"/organizations/{org}/pictures/{picture['picture_id']}/file", headers=auth(alice)
    )
    assert response.content == data
    assert "dl.jpg" in response.headers["content-disposition"]
    missing = http.get(f"/organizations/{org}/pictures/{uuid.uuid4()}", headers=auth(alice))
    assert missing.status_code == 404


def register_first(
    http: httpx.Client, token: str, org: str, items: list[tuple[str, str]], tags: list[str]
) -> dict:  # type: ignore[type-arg]
    response = http.post(
        f"/organizations/{org}/pictures",
        json={
            "pictures": [{"external_url": n, "sha256": d} for n, d in items],
            "tags": tags,
            "report_missing": True,
        },
        headers=auth(token),
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_registration_can_report_missing_bytes_instead_of_refusing(
    http: httpx.Client, alice: str
) -> None:
    org = org_of(http, alice)
    held = upload(http, alice, org, make_image(8100))
    register(http, alice, org, [("held.jpg", held)])
    unsent = make_image(8101)
    items = [
        ("held.jpg", held),
        ("new.jpg", sha(unsent)),
        ("twin.jpg", sha(unsent)),
        ("held.jpg", sha(unsent)),  # given twice: refused, not reported
        ("bad.jpg", "not-a-digest"),
    ]
    first = register_first(http, alice, org, items, ["r"])
    PicturesCreated.model_validate(first)  # the answer, serialized by hand, is the schema's
    assert [p["external_url"] for p in first["existing"]] == ["held.jpg"]
    assert first["existing"][0]["tag"] == ["r"]
    assert first["created"] == []
    assert first["missing"] == [
        {"external_url": "new.jpg", "sha256": sha(unsent)},
        {"external_url": "twin.jpg", "sha256": sha(unsent)},
    ]
    reasons = {r["external_url"]: r["reason"] for r in first["rejected"]}
    assert set(reasons) == {"held.jpg", "bad.jpg"}
    assert "not uploaded" in reasons["bad.jpg"]

    upload(http, alice, org, unsent)
    second = register_first(http, alice, org, [("new.jpg", sha(unsent))], ["r"])
    assert [p["external_url"] for p in second["created"]] == ["new.jpg"]
    assert second["missing"] == [] and second["created"][0]["tag"] == ["r"]
    # a name already taken by other bytes is refused, whether or not those bytes were sent
    clash = register_first(http, alice, org, [("new.jpg", sha(make_image(8102)))], [])
    assert "already in the datalake" in clash["rejected"][0]["reason"]
    assert clash["missing"] == []
    # without asking, bytes never sent are refused, as before
    plain = register(http, alice, org, [("other.jpg", sha(make_image(8103)))])
    assert "not uploaded" in plain["rejected"][0]["reason"] and plain["missing"] == []


def test_bytes_gone_from_storage_are_reported_missing(
    server: LiveServer, http: httpx.Client, alice: str
) -> None:
    org = org_of(http, alice)
    data = make_image(8110)
    digest = upload(http, alice, org, data)
    created = register(http, alice, org, [("lost.jpg", digest)], ["t"])["created"][0]
    blob_path(server, digest).unlink()

    first = register_first(http, alice, org, [("lost.jpg", digest)], ["t"])
    assert first["missing"] == [{"external_url": "lost.jpg", "sha256": digest}]
    assert first["existing"] == [] and first["created"] == []
    upload(http, alice, org, data)
    again = register_first(http, alice, org, [("lost.jpg", digest)], ["t"])
    assert again["missing"] == []
    assert [p["picture_id"] for p in again["existing"]] == [created["picture_id"]]
    assert blob_path(server, digest).read_bytes() == data


def blob_path(server: LiveServer, digest: str) -> Path:
    root = Path(server.settings.storage_url.removeprefix("file://"))
    return root / "sha256" / digest[:2] / digest[2:]
