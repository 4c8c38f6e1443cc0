"""Rows 36 to 42: projects through the upstream client (create, get, list, update, delete,
attach a dataset, list workers), each step seen by pixlake's own SDK too; bad names and
other organizations' projects answered as the client expects."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from pixlake import Datalake, Project
from pixlake.errors import ResourceNotFoundError
from tests.api.upstream.conftest import Upstream, wire
from tests.conftest import LiveServer
from tests.factories import coco_dataset


def _ours(server: LiveServer, token: str) -> Project:
    return Project(api_token=token, host=server.url, interactive=False)


def test_create_get_list_update_and_delete(
    upstream: Upstream, server: LiveServer, alice: str
) -> None:
    made = upstream.run(
        """
        proj = Client.Project(api_token=TOKEN, host=HOST)
        proj.create("street", description="street scenes", type="detection")
        got = Client.Project(api_token=TOKEN, host=HOST).get("street")
        emit({"created": proj.infos, "token": proj.project_token, "got": got.infos,
              "listed": Client.Project(api_token=TOKEN, host=HOST).list()})
        """
    )
    created, got = made["created"], made["got"]
    assert created["project_name"] == "street" and created["project_id"] == made["token"]
    assert created["project_id"] == str(uuid.UUID(created["project_id"]))  # lowercase
    assert got == created
    assert [p["project_name"] for p in made["listed"]] == ["street"]
    assert {"description", "contributors", "datasets"} <= set(made["listed"][0])
    ours = _ours(server, alice).get("street")
    assert str(ours.project_token) == made["token"]
    assert ours.infos["description"] == "street scenes" and ours.infos["type"] == "detection"

    changed = upstream.run(
        """
        proj = Client.Project(api_token=TOKEN, host=HOST).get("street")
        proj.update(description="v2 scope")
        proj.update(project_name="avenue", type="segmentation")
        emit(proj.infos)
        """
    )
    assert changed["project_name"] == "avenue" and changed["description"] == "v2 scope"
    ours = _ours(server, alice).get("avenue")
    assert ours.infos["type"] == "segmentation" and str(ours.project_token) == made["token"]
    with pytest.raises(ResourceNotFoundError):
        _ours(server, alice).get("street")

    upstream.run(
        """
        proj = Client.Project(api_token=TOKEN, host=HOST).get("avenue")
        proj.delete()
        emit(proj.infos)
        """
    )
    assert _ours(server, alice).list() == []


def test_attach_a_dataset_and_list_the_workers(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    root = tmp_path / "coco"
    coco_dataset(root, 2)
    lake = Datalake(api_token=alice, host=server.url, interactive=False)
    version = lake.upload(
        name="cars", imgdir=root / "images", ann_path=root / "instances.json", ann_format="COCO"
    )["version"]
    token = _ours(server, alice).create("street").project_token
    workers = upstream.run(
        f"""
        proj = Client.Project(api_token=TOKEN, host=HOST).get("street")
        proj.attach_dataset("cars/{version}")
        proj.attach_dataset("cars/{version}")  # twice: no-op
        emit(Client.Project.Worker(api_token=TOKEN, host=HOST, project_token={str(token)!r}).list())
        """
    )
    ours = _ours(server, alice).get("street")
    assert [(d["dataset_name"], d["version"]) for d in ours.infos["datasets"]] == [
        ("cars", version)
    ]
    assert [w["username"] for w in workers["workers"]] == [ours.username]

    value, output = upstream.run(
        """
        proj = Client.Project(api_token=TOKEN, host=HOST).get("street")
        try:
            proj.attach_dataset("nope/first")
        except Exception as exc:
            emit([type(exc).__name__, str(exc)])
        """,
        check=False,
    )
    assert value is not None, output
    assert value[0] == "ResourceNotFoundError" and "nope/first" in value[1]


@pytest.mark.parametrize("name", ["a?b", "a#b", "50%", "5%41", "a/b", "..", ".", " edge", "a\tb"])
def test_a_name_that_cannot_travel_in_a_path_is_refused_at_creation(
    server: LiveServer, alice: str, name: str
) -> None:
    org = _ours(server, alice).organization_name
    answer = wire(server, alice, "PUT", f"project/{org}", {"project_name": name})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith("name: expected a")
    assert _ours(server, alice).list() == []


def test_bad_input_is_answered_in_the_clients_words(
    upstream: Upstream, server: LiveServer, alice: str
) -> None:
    org = _ours(server, alice).organization_name
    _ours(server, alice).create("street")
    taken = wire(server, alice, "PUT", f"project/{org}", {"project_name": "street"})
    assert taken.status_code == 400 and "already exists" in taken.json()["error"]
    empty = wire(server, alice, "PUT", f"project/{org}", {})
    assert empty.status_code == 400 and "name" in empty.json()["error"]
    unknown = wire(server, alice, "PATCH", f"project/by_name/{org}/street", {"colour": "red"})
    assert unknown.status_code == 400 and "colour" in unknown.json()["error"]
    value = upstream.run(
        """
        proj = Client.Project(api_token=TOKEN, host=HOST)
        try:
            proj.get("ghost")
        except Exception as exc:
            emit([type(exc).__name__, str(exc)])
        """
    )
    assert value == ["ResourceNotFoundError", "Not found : no project 'ghost' in this organization"]
    assert _ours(server, alice).get("street").infos["description"] == ""


def test_another_organizations_projects_are_as_unknown_as_missing_ones(
    server: LiveServer, alice: str, bob: str
) -> None:
    mine = _ours(server, alice).create("secret")
    org, token = mine.organization_name, str(mine.project_token)
    nobody = str(uuid.uuid4())
    for method, theirs, missing, body in [
        ("GET", f"project/{org}", "project/no-such-org", None),
        ("PUT", f"project/{org}", "project/no-such-org", {"project_name": "x"}),
        ("GET", f"project/by_name/{org}/secret", "project/by_name/no-such-org/secret", None),
        ("PATCH", f"project/by_name/{org}/secret", "project/by_name/no-such-org/secret", {}),
        ("DELETE", f"project/by_name/{org}/secret", "project/by_name/no-such-org/secret", None),
        (
            "POST",
            f"project/attach_dataset/{token}",
            f"project/attach_dataset/{nobody}",
            {"dataset_name": "cars", "version": "first"},
        ),
        ("GET", f"worker/{token}", f"worker/{nobody}", None),
    ]:
        answer = wire(server, bob, method, theirs, body)
        other = wire(server, bob, method, missing, body)
        assert answer.status_code == other.status_code == 404, (method, theirs, answer.text)
        said, unknown = answer.json()["error"], other.json()["error"]
        assert said.replace(org, "?").replace(token, "?") == unknown.replace(
            "no-such-org", "?"
        ).replace(nobody, "?")
    assert _ours(server, alice).get("secret").project_token == mine.project_token
