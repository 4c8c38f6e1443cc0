"""Rows 60 to 66: an experiment's data assets logged, read, changed and deleted through the
upstream client (a logged image through its presigned POST), each seen by pixlake's own SDK
too; and what it may not do answered as the client reads it."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pixlake import Experiment
from pixlake.core import accounts, experiments, projects
from tests.api.upstream.conftest import Upstream, wire
from tests.conftest import LiveServer, make_image

#: One of each type of the contract's "Data assets" section, as a user logs it.
LOGGED: dict[str, tuple[str, Any]] = {
    "accuracy": ("value", 0.93),
    "état final": ("value", "converged"),  # a name the path carries escaped
    "loss": ("line", [0.9, 0.7, 0.6]),
    "per-class": ("bar", {"x": ["car", "bus"], "y": [12, 3]}),
    "hyperparameters": ("table", {"lr": 0.001, "optimizer": "adam", "epochs": 20}),
    "confusion": ("heatmap", {"categories": ["car", "bus"], "values": [[5, 1], [0, 4]]}),
    "labels": ("labelmap", {"1": "car", "2": "bus"}),
    "evaluation": (
        "evaluation",
        [
            {
                "external_picture_url": "img_0001.jpg",
                "gt": [{"label": "car", "rectangle": [1, 2, 3, 4]}],
                "pred": [{"label": "car", "rectangle": [1, 2, 3, 5], "score": 0.8}],
            }
        ],
    ),
}


@dataclass(frozen=True)
class Run:
    project_id: uuid.UUID
    id: uuid.UUID
    organization_id: uuid.UUID


def _run(server: LiveServer, token: str, project: str) -> Run:
    caller = accounts.authenticate(server.db, token)
    org = caller.default_organization.id
    made = projects.create_project(server.db, caller, org, name=project)
    run = experiments.create_experiment(server.db, caller, org, project_id=made.id, name="run")
    return Run(made.id, run.id, org)


def _ours(server: LiveServer, token: str, run: Run) -> Experiment:
    return Experiment(api_token=token, host=server.url, id=str(run.id), interactive=False)


def _client(run: Run) -> str:
    """The script's first lines: the upstream client on the run, as its constructor takes it."""
    return (
        "import threading\n"
        f"exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={str(run.project_id)!r}"
        f", id={str(run.id)!r})\n"
        "def settle():  # the client appends to a line in a thread of its own\n"
        "    for t in threading.enumerate():\n"
        "        if t is not threading.current_thread(): t.join()\n"
    )


def _names(ours: Experiment) -> list[str]:
    return sorted(d["name"] for d in ours.list_data())


def test_every_type_logged_the_first_time_reads_back_alike_in_both_clients(
    upstream: Upstream, server: LiveServer, alice: str, unique: str
) -> None:
    run = _run(server, alice, unique)
    picture = make_image(5)
    (upstream.workdir / "plots").mkdir()
    (upstream.workdir / "plots" / "sample.jpg").write_bytes(picture)
    theirs = upstream.run(
        _client(run)
        + f"""
import requests
for name, (kind, data) in {LOGGED!r}.items():
    exp.log(name, data, type=kind)
exp.log("sample", "plots/sample.jpg", type="image")
settle()
listed = exp.list_data()
got = {{d["name"]: exp.get_data(d["name"]) for d in listed}}
image = requests.get(exp.urls._get_presigned_url("get", got["sample"]["object_name"], True))
emit({{"listed": listed, "got": got, "image": image.content.hex()}})
"""
    )
    ours = _ours(server, alice, run)
    expected = {
        name: {"value": data} if kind == "value" else data for name, (kind, data) in LOGGED.items()
    }
    image = {
        "object_name": f"{run.id}/plots/sample.jpg",
        "sha256": hashlib.sha256(picture).hexdigest(),
    }
    expected["sample"] = image
    assert theirs["got"] == expected
    assert {name: ours.get_data(name) for name in expected} == expected
    kinds = {d["name"]: d["type"] for d in theirs["listed"]}
    assert kinds == {**{n: k for n, (k, _d) in LOGGED.items()}, "sample": "image"}
    assert {d["name"]: d["type"] for d in ours.list_data()} == kinds
    assert {d["name"]: d["data"] for d in theirs["listed"]} == expected  # the list has data
    assert all(d["id"] == str(uuid.UUID(d["id"])) for d in theirs["listed"])  # lowercase
    assert bytes.fromhex(theirs["image"]) == picture
    blob = httpx.get(
        f"{server.url}/api/v1/organizations/{run.organization_id}/blobs/{image['sha256']}",
        headers={"Authorization": f"Token {alice}"},
    )
    assert blob.content == picture  # the image asset holds the bytes uploaded under its key


def test_a_line_appended_several_times_keeps_its_points_in_order_and_replace_overwrites(
    upstream: Upstream, server: LiveServer, alice: str, unique: str
) -> None:
    run = _run(server, alice, unique)
    theirs = upstream.run(
        _client(run)
        + """
exp.log("loss", [1.0, 0.8], type="line")
for epoch in range(5):
    exp.log("loss", [0.5 - epoch / 10], type="line")
    settle()
exp.log("loss", 0.05, type="line")  # one number at a time
settle()
exp.log("lr", {"x": ["e0", "e1"], "y": [0.1, 0.05]}, type="line")
exp.log("lr", {"x": ["e2"], "y": [0.01]}, type="line")
settle()
appended = [exp.get_data("loss"), exp.get_data("lr")]
exp.log("loss", [9.0, 8.0], type="line", replace=True)
exp.log("params", {"lr": 0.1}, type="table")
exp.log("params", {"lr": 0.2, "batch": 8}, type="table")  # not a line: overwritten
exp.log("best", 0.7, type="value")
exp.log("best", 0.9, type="value", replace=True)
exp.log("long", list(range(1500)), type="line")
listed = {d["name"]: d for d in exp.list_data()}
emit(appended + [exp.get_data(n) for n in ("loss", "params", "best")]
     + [exp.get_data("long"), listed["long"]["size"], len(listed["long"]["data"])])
"""
    )
    *theirs, long_line, long_size, listed_points = theirs
    # one asset is read whole; a list of them has each line's size, its points downsampled
    assert long_line == list(range(1500)) and long_size == 1500 and listed_points < 1500
    line = [1.0, 0.8, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    lr = {"x": ["e0", "e1", "e2"], "y": [0.1, 0.05, 0.01]}
    replaced = [[9.0, 8.0], {"lr": 0.2, "batch": 8}, {"value": 0.9}]
    assert theirs[0] == pytest.approx(line) and theirs[1] == lr
    assert theirs[2:] == replaced
    ours = _ours(server, alice, run)
    assert [ours.get_data(n) for n in ("loss", "params", "best")] == replaced
    assert ours.get_data("lr") == lr


def test_update_delete_and_delete_all_are_what_pixlake_sees(
    upstream: Upstream, server: LiveServer, alice: str, unique: str
) -> None:
    run = _run(server, alice, unique)
    ours = _ours(server, alice, run)
    ours.log("acc", 0.5, type="value")
    ours.log("f1", [0.1, 0.2], type="line")
    ours.log("scratch", {"k": 1}, type="table")
    ours.flush()
    theirs = upstream.run(
        _client(run)
        + """
from picsellia.pxl_exceptions import ResourceNotFoundError
changed = exp.update_data("acc", data={"value": 0.75})
retyped = exp.update_data("f1", data={"x": ["a", "b"], "y": [1, 2]}, type="bar")
exp.delete_data("scratch")
try:
    exp.get_data("scratch")
    missing = None
except ResourceNotFoundError as exc:
    missing = str(exc)
emit([changed["data_asset"], retyped["data_asset"], missing])
"""
    )
    changed, retyped, missing = theirs
    assert changed["name"] == "acc" and changed["data"] == {"value": 0.75}
    assert retyped["type"] == "bar" and retyped["data"] == {"x": ["a", "b"], "y": [1, 2]}
    assert missing.startswith("Not found : ") and "'scratch'" in missing
    assert _names(ours) == ["acc", "f1"]
    assert [d["type"] for d in ours.list_data()] == ["value", "bar"]
    assert ours.get_data("acc") == {"value": 0.75}
    assert ours.get_data("f1") == {"x": ["a", "b"], "y": [1, 2]}

    # the client's update_data cannot send a new name (its own first argument is "name"),
    # but the row takes one
    renamed = wire(server, alice, "PATCH", f"experiment/{run.id}/data/acc", {"name": "accuracy"})
    assert renamed.status_code == 200 and renamed.json()["data_asset"]["name"] == "accuracy"
    assert _names(ours) == ["accuracy", "f1"]

    left = upstream.run(_client(run) + "exp.delete_all_data()\nemit(exp.list_data())\n")
    assert left == [] and ours.list_data() == []


def test_every_type_logged_with_pixlake_reads_back_alike_through_the_upstream_client(
    upstream: Upstream, server: LiveServer, alice: str, unique: str, tmp_path: Path
) -> None:
    """An image logged with pixlake's SDK sent its bytes as a blob and named no storage key:
    the upstream client downloads it by its ``object_name`` all the same."""
    run = _run(server, alice, unique)
    picture = make_image(9)
    (tmp_path / "chart.jpg").write_bytes(picture)
    ours = _ours(server, alice, run)
    for name, (kind, data) in LOGGED.items():
        ours.log(name, data, type=kind)
    ours.log("chart", str(tmp_path / "chart.jpg"), type="image")
    ours.flush()
    mine = {d["name"]: ours.get_data(d["name"]) for d in ours.list_data()}
    assert mine["chart"]["object_name"] == f"{run.id}/chart.jpg"
    theirs = upstream.run(
        _client(run)
        + """
import requests
got = {d["name"]: exp.get_data(d["name"]) for d in exp.list_data()}
url = exp.urls._get_presigned_url("get", got["chart"]["object_name"], True)
emit([got, requests.get(url).content.hex()])
"""
    )
    assert theirs[0] == mine
    assert bytes.fromhex(theirs[1]) == picture


def test_another_organizations_experiment_is_as_unknown_as_one_that_does_not_exist(
    upstream: Upstream, server: LiveServer, alice: str, bob: str, unique: str
) -> None:
    bobs = _run(server, bob, unique)
    _ours(server, bob, bobs).log("acc", 0.5, type="value")
    nobody = uuid.uuid4()
    for method, tail, body in [
        ("GET", "data", None),
        ("PUT", "data", {"0": {"name": "x", "data": 1, "type": "value"}}),
        ("DELETE", "data", None),
        ("GET", "data/acc", None),
        ("PATCH", "data/acc", {"data": {"value": 2}}),
        ("POST", "data/acc", {"data": [1], "type": "line"}),
        ("DELETE", "data/acc", None),
    ]:
        foreign = wire(server, alice, method, f"experiment/{bobs.id}/{tail}", body)
        unknown = wire(server, alice, method, f"experiment/{nobody}/{tail}", body)
        assert foreign.status_code == unknown.status_code == 404, (method, tail, foreign.text)
        assert foreign.json()["error"].replace(str(bobs.id), "?") == unknown.json()[
            "error"
        ].replace(str(nobody), "?")
    not_an_id = wire(server, alice, "GET", "experiment/not-an-id/data")
    assert not_an_id.status_code == 404 and "not-an-id" in not_an_id.json()["error"]
    assert _ours(server, bob, bobs).get_data("acc") == {"value": 0.5}  # nothing changed

    _value, output = upstream.run(
        _client(bobs) + "exp.list_data()\n",
        check=False,
    )
    assert "ResourceNotFoundError: Not found : no experiment" in output


@pytest.mark.parametrize(
    ("name", "kind", "data", "field"),
    [
        ("acc", "value", [0.5], "data.value"),
        ("params", "table", {"optimizer": {"name": "adam"}}, "data.optimizer"),
        ("bars", "bar", {"x": ["a"], "y": [1, 2]}, "data.y"),
        ("grid", "heatmap", {"categories": ["a", "b"], "values": [[1, 2]]}, "data.values"),
        ("loss", "line", [0.1, "high"], "data[1]"),
        ("what", "pie", [1], "type"),
        ("labels", "labelmap", {"one": "car"}, "data.one"),
        (
            "eval",
            "evaluation",
            [{"external_picture_url": "a.jpg", "gt": [], "pred": [{}]}],
            "score",
        ),
    ],
)
def test_data_that_does_not_fit_its_type_is_refused_naming_the_field(
    upstream: Upstream,
    server: LiveServer,
    alice: str,
    unique: str,
    name: str,
    kind: str,
    data: Any,
    field: str,
) -> None:
    run = _run(server, alice, unique)
    _value, output = upstream.run(
        _client(run) + f"exp.log({name!r}, {data!r}, type={kind!r})\n", check=False
    )
    assert "InvalidQueryError: Invalid query : " in output and field in output, output
    assert _ours(server, alice, run).list_data() == []  # nothing half-written


def test_bad_changes_are_refused_whole(server: LiveServer, alice: str, unique: str) -> None:
    run = _run(server, alice, unique)
    ours = _ours(server, alice, run)
    ours.log("acc", 0.5, type="value")
    ours.log("loss", [1.0], type="line")
    ours.flush()
    path = f"experiment/{run.id}/data"
    image = {"object_name": f"{run.id}/nothing.png"}
    for method, tail, body, status, words in [
        ("PUT", "", {"0": {"name": "a#b", "data": 1, "type": "value"}}, 400, "'#'"),
        ("PUT", "", {"0": {"name": "a%41", "data": 1, "type": "value"}}, 400, "'%'"),
        ("PUT", "", {"0": {"name": "new", "data": [1]}}, 400, "type"),
        ("PUT", "", {"0": {"data": [1], "type": "line"}}, 400, "0.name"),
        ("PUT", "", {"name": "x", "data": [1], "type": "line"}, 400, "name"),
        ("PUT", "", {}, 400, "one data asset"),
        ("PUT", "", {"0": {"name": "pic", "data": image, "type": "image"}}, 404, "nothing was"),
        ("PATCH", "/acc", {"name": "loss"}, 400, "already has data named 'loss'"),
        ("PATCH", "/acc", {"name": "renamed", "data": {"value": [1]}}, 400, "data.value"),
        ("PATCH", "/acc", {"name": "50%"}, 400, "'%'"),
        ("POST", "/acc", {"data": [2.0], "type": "line"}, 400, "'value' asset"),
        ("POST", "/loss", {"data": [2.0], "type": "bar"}, 400, "type"),
        ("POST", "/loss", {"data": "high", "type": "line"}, 400, "data: expected a list"),
        ("POST", "/loss", {"data": {"x": [1], "y": [2.0]}}, 400, "no x values"),
    ]:
        answer = wire(server, alice, method, path + tail, body)
        assert answer.status_code == status, (body, answer.text)
        assert words in answer.json()["error"], (body, answer.text)
    assert _names(ours) == ["acc", "loss"]
    assert ours.get_data("acc") == {"value": 0.5} and ours.get_data("loss") == [1.0]


def test_a_viewer_reads_the_data_and_may_not_write_it(
    upstream: Upstream, server: LiveServer, alice: str, unique: str
) -> None:
    run = _run(server, alice, unique)
    _ours(server, alice, run).log("acc", 0.5, type="value")
    viewer = server.token(f"carol-{unique}", organization=f"acme-{unique}", role="viewer")
    _value, output = upstream.run(
        _client(run)
        + """
got = exp.get_data("acc")
exp.log("acc", 0.9, type="value")
""",
        token=viewer,
        check=False,
    )
    assert "ForbiddenError: Not allowed : " in output, output
    assert _ours(server, alice, run).get_data("acc") == {"value": 0.5}
    read = wire(server, viewer, "GET", f"experiment/{run.id}/data/acc")
    assert read.status_code == 200 and read.json()["data_asset"]["data"] == {"value": 0.5}
    for method, tail, body in [
        ("PUT", "", {"0": {"name": "x", "data": 1, "type": "value"}}),
        ("POST", "/acc", {"data": [1.0], "type": "line"}),
        ("DELETE", "/acc", None),
        ("DELETE", "", None),
    ]:
        answer = wire(server, viewer, method, f"experiment/{run.id}/data{tail}", body)
        assert answer.status_code == 403, (method, tail, answer.text)
    assert _names(_ours(server, alice, run)) == ["acc"]
