"""Projects through the SDK against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixlake import Client, Datalake, Project
from pixlake.errors import (
    AlreadyExistsError,
    InvalidInputError,
    InvalidQueryError,
    ResourceNotFoundError,
)
from tests.conftest import LiveServer
from tests.factories import coco_dataset


def test_project_lifecycle(server: LiveServer, alice: str, tmp_path: Path) -> None:
    proj = Project(api_token=alice, host=server.url, interactive=False)
    assert proj.name is None and proj.infos == {} and proj.project_list == []
    proj.create("street", description="street scenes", type="detection")
    assert proj.name == "street"
    assert proj.infos["description"] == "street scenes"
    assert proj.infos["type"] == "detection"
    assert proj.infos["project_manager"]["username"].startswith("alice-")
    assert proj.worker is not None
    workers = proj.worker.list()["workers"]
    assert [w["username"] for w in workers] == [proj.username]
    same = Project(api_token=alice, host=server.url, interactive=False).get("street")
    assert same.project_token == proj.project_token
    assert (
        Project(api_token=alice, host=server.url, interactive=False)
        .get("street", organization="null")
        .project_token
        == proj.project_token
    )
    with pytest.raises(AlreadyExistsError, match="street"):
        Project(api_token=alice, host=server.url, interactive=False).create("street")
    with pytest.raises(InvalidInputError, match="name"):
        proj.create("")

    proj.update(description="v2 scope")
    assert proj.infos["description"] == "v2 scope"
    proj.update(project_name="avenue", type="segmentation")
    assert proj.name == "avenue" and proj.infos["type"] == "segmentation"
    assert [p["project_name"] for p in proj.list()] == ["avenue"]

    root = tmp_path / "coco"
    coco_dataset(root, 3)
    lake = Datalake(api_token=alice, host=server.url, interactive=False)
    record = lake.upload(
        name="cars", imgdir=root / "images", ann_path=root / "instances.json", ann_format="COCO"
    )
    version = record["version"]
    proj.attach_dataset(f"cars/{version}")
    proj.attach_dataset(f"cars/{version}")  # twice: no-op
    assert [(d["dataset_name"], d["version"]) for d in proj.infos["datasets"]] == [
        ("cars", version)
    ]
    with pytest.raises(InvalidQueryError, match="name/version|'<name>/<version>'"):
        proj.attach_dataset("cars")
    with pytest.raises(ResourceNotFoundError, match="dataset"):
        proj.attach_dataset("nope/first")

    token = proj.project_token
    proj.delete()
    assert proj.project_token is None and proj.name is None
    with pytest.raises(ResourceNotFoundError):
        Project(api_token=alice, host=server.url, interactive=False).get(str(token))
    # the dataset stays
    assert lake.dataset.fetch("cars", version).dataset_id


def test_projects_are_private_to_their_organization(
    server: LiveServer, alice: str, bob: str
) -> None:
    mine = Project(api_token=alice, host=server.url, interactive=False).create("secret")
    theirs = Project(api_token=bob, host=server.url, interactive=False)
    assert theirs.list() == []
    with pytest.raises(ResourceNotFoundError):
        theirs.get("secret")
    # same name elsewhere is fine
    theirs.create("secret")
    assert theirs.project_token != mine.project_token
    with pytest.raises(ResourceNotFoundError):
        Project.Worker(api_token=bob, host=server.url, project_token=mine.project_token).list()


def test_constructor_and_client(
    server: LiveServer, alice: str, capsys: pytest.CaptureFixture[str]
) -> None:
    Project(api_token=alice, host=server.url)
    assert "welcome back" in capsys.readouterr().out
    with pytest.raises(InvalidQueryError, match="URL"):
        Project(alice, "http://example.com")
    with pytest.raises(TypeError):
        Project(api_token=alice, host=server.url, project_token=3)  # type: ignore[arg-type]
    with pytest.raises(InvalidQueryError, match="project_token"):
        Project.Worker(api_token=alice, host=server.url).list()
    client = Client(api_token=alice, host=server.url, interactive=False)
    assert client.Project is Project
    assert client.project.create("via-client").name == "via-client"
    assert client.experiment.project_token is None
    with pytest.raises(InvalidQueryError, match="get\\(name\\) or create"):
        Project(api_token=alice, host=server.url).update(description="x")
