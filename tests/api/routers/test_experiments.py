"""The projects and experiments routes over real HTTP: points appended as rows and read
back (downsampled), shapes refused with the field named, non-finite numbers, logs, files,
and organizations kept apart."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.routers.test_accounts import auth
from tests.api.routers.test_networks import org_of, put_blob


@pytest.fixture
def run(http: httpx.Client, alice: str) -> tuple[str, dict[str, Any]]:
    """Alice's organization path and a fresh experiment record."""
    org = f"/organizations/{org_of(http, alice)}"
    project = http.post(f"{org}/projects", json={"name": "p"}, headers=auth(alice))
    assert project.status_code == 201, project.text
    pid = project.json()["project_id"]
    created = http.post(
        f"{org}/projects/{pid}/experiments", json={"name": "r"}, headers=auth(alice)
    )
    assert created.status_code == 201, created.text
    return org, created.json()


def test_points_are_appended_and_downsampled(
    http: httpx.Client, alice: str, run: tuple[str, dict[str, Any]]
) -> None:
    org, exp = run
    base = f"{org}/experiments/{exp['id']}/data/loss/points"
    for start in range(0, 1000, 250):
        answer = http.post(base, json={"y": list(range(start, start + 250))}, headers=auth(alice))
        assert answer.status_code == 200, answer.text
    assert answer.json() == {"size": 1000}
    full = http.get(base, headers=auth(alice)).json()
    assert full["size"] == 1000 and full["y"] == list(range(1000)) and full["x"] is None
    small = http.get(base, params={"max_points": 100}, headers=auth(alice)).json()
    assert small["size"] == 1000 and 100 <= len(small["y"]) <= 101
    assert small["idx"][0] == 0 and small["idx"][-1] == 999
    one = http.get(
        f"{org}/experiments/{exp['id']}/data/loss", params={"max_points": 10}, headers=auth(alice)
    ).json()
    assert one["type"] == "line" and one["size"] == 1000 and len(one["data"]) <= 11


@pytest.mark.parametrize("name", ["..", ".", "a\\b", "a/b", "a\x00b"])
def test_names_that_would_not_make_a_folder_are_refused(
    http: httpx.Client, alice: str, run: tuple[str, dict[str, Any]], name: str
) -> None:
    org, exp = run
    pid = exp["project"]["project_id"]
    answer = http.post(
        f"{org}/projects/{pid}/experiments", json={"name": name}, headers=auth(alice)
    )
    assert answer.status_code == 422, answer.text
    # a NUL is refused at the edge, with the body's field; the others by the service
    assert answer.json()["errors"][0]["field"] == ("body.name" if "\x00" in name else "name")


def test_bad_shapes_name_the_field(
    http: httpx.Client, alice: str, run: tuple[str, dict[str, Any]]
) -> None:
    org, exp = run
    data = f"{org}/experiments/{exp['id']}/data"

    def refused(body: dict[str, Any], field: str) -> None:
        answer = http.post(data, json=body, headers=auth(alice))
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == field

    refused({"name": "a", "data": [1]}, "type")
    refused(
        {"name": "h", "type": "heatmap", "data": {"categories": ["a"], "values": [[1, 2]]}},
        "data.values[0]",
    )
    refused({"name": "b", "type": "bar", "data": {"x": ["a", "b"], "y": [1]}}, "data.y")
    refused({"name": "t", "type": "table", "data": {"k": [1, 2]}}, "data.k")
    refused({"name": "l", "type": "line", "data": [1, "x"]}, "data[1]")
    refused(
        {
            "name": "e",
            "type": "evaluation",
            "data": [{"external_picture_url": "a", "gt": [], "pred": [{}]}],
        },
        "data[0].pred[0].score",
    )
    ok = http.post(
        data, json={"name": "b", "type": "bar", "data": {"x": ["a"], "y": [1]}}, headers=auth(alice)
    )
    assert ok.status_code == 200
    answer = http.post(f"{data}/b/points", json={"y": [1]}, headers=auth(alice))
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "type"
    listed = http.get(data, headers=auth(alice)).json()
    assert [d["name"] for d in listed] == ["b"]


def test_non_finite_numbers_travel_as_strings(
    http: httpx.Client, alice: str, run: tuple[str, dict[str, Any]]
) -> None:
    org, exp = run
    data = f"{org}/experiments/{exp['id']}/data"
    # a client sending the non-standard JSON literals gets them stored as strings too
    raw = '{"name": "v", "type": "table", "data": {"a": NaN, "b": Infinity, "c": "NaN"}}'
    answer = http.post(
        data, content=raw, headers={**auth(alice), "Content-Type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"] == {"a": "NaN", "b": "Infinity", "c": "NaN"}
    answer = http.post(f"{data}/l/points", json={"y": [1, "NaN", "-Infinity"]}, headers=auth(alice))
    assert answer.status_code == 200
    assert http.get(f"{data}/l/points", headers=auth(alice)).json()["y"] == [
        1.0,
        "NaN",
        "-Infinity",
    ]


def test_logs_and_files_and_other_organizations(
    http: httpx.Client, alice: str, bob: str, run: tuple[str, dict[str, Any]]
) -> None:
    org, exp = run
    one = f"{org}/experiments/{exp['id']}"
    answer = http.post(
        f"{one}/logs", json={"lines": ["a", "b"], "part": "train"}, headers=auth(alice)
    )
    assert answer.json() == {"lines": 2}
    logs = http.get(f"{one}/logs", params={"after": 0}, headers=auth(alice)).json()
    assert logs["texts"] == ["b"] and logs["lines"] == [1] and logs["total"] == 2
    digest = put_blob(http, alice, b"weights")
    stored = http.post(f"{one}/files", json={"name": "w", "sha256": digest}, headers=auth(alice))
    assert stored.status_code == 200 and stored.json()["object_name"] == f"{exp['id']}/w"
    content = http.get(f"{one}/files/w/content", headers=auth(alice))
    assert content.content == b"weights"
    named = http.post(
        f"{one}/files",
        json={"name": "m", "sha256": digest, "file_name": "best.pt"},
        headers=auth(alice),
    )
    assert (named.json()["object_name"], named.json()["file_name"]) == (
        f"{exp['id']}/best.pt",
        "best.pt",
    )
    bad_name = {"name": "m", "sha256": digest, "file_name": "../best.pt"}
    assert http.post(f"{one}/files", json=bad_name, headers=auth(alice)).status_code == 422
    missing = http.post(f"{one}/files", json={"name": "x", "sha256": "0" * 64}, headers=auth(alice))
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "sha256"
    # bob, in another organization, sees and changes nothing
    assert http.get(one, headers=auth(bob)).status_code == 404
    assert http.get(f"{one}/files/w/content", headers=auth(bob)).status_code == 404
    assert http.post(f"{one}/logs", json={"lines": ["x"]}, headers=auth(bob)).status_code == 404
    assert http.delete(one, headers=auth(bob)).status_code == 404
    bob_org = f"/organizations/{org_of(http, bob)}"
    assert http.get(f"{bob_org}/experiments/{exp['id']}", headers=auth(bob)).status_code == 404
    assert http.get(one, headers=auth(alice)).json()["logging"]["nb_lines"] == 2
