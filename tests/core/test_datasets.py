"""The dataset services the upstream protocol needs beyond pixlake's own API: names that
travel in a path, versions and experiments found by id alone, one picture annotated or
read, deletions of what is not there refused, and snapshots kept as blobs."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from pixlake.core import blobs, datalake, datasets, experiments, projects
from pixlake.core.datasets import AnnotationInput
from pixlake.entities.datasets import DatasetVersion
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from pixlake.problems import Problems
from tests.conftest import make_image
from tests.core.conftest import World

BOX: dict[str, Any] = {
    "type": "rectangle",
    "label": "car",
    "rectangle": {"top": 1, "left": 2, "width": 10, "height": 5},
}


def _version(world: World, name: str = "cars", count: int = 2) -> DatasetVersion:
    """A dataset of alice's with ``count`` pictures (``p0.jpg``...) and a label ``car``."""
    caller, org = world.alice, world.alice.default_organization.id
    items = [
        datalake.NewPicture(f"p{i}.jpg", world.put(caller, make_image(100 + i)))
        for i in range(count)
    ]
    created = datalake.add_pictures(world.db, caller, org, items).created
    version = datasets.create_dataset(
        world.db, caller, org, name=name, picture_ids=[p.id for p in created]
    )
    datasets.create_labels(
        world.db, caller, org, version_id=version.id, labels=[("car", "rectangle")]
    )
    return version


def _item(url: str, *objects: dict[str, Any]) -> AnnotationInput:
    problems = Problems()
    parsed = datasets.parse_objects(list(objects), field="data", problems=problems)
    assert not problems
    return AnnotationInput(external_url=url, objects=parsed)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("what?", "'?'"),
        ("no#1", "'#'"),
        ("100%", "'%'"),
        ("tab\there", "control characters"),
        ("line\nbreak", "control characters"),
        ("..", "folder"),
        ("a/b", "no '/'"),
    ],
)
def test_a_name_that_cannot_travel_in_a_path_is_refused(
    world: World, name: str, reason: str
) -> None:
    version = _version(world)
    org = world.alice.default_organization.id
    with pytest.raises(InvalidInputError) as refused:
        datasets.create_dataset(
            world.db, world.alice, org, name=name, picture_ids=[], version="first"
        )
    assert refused.value.details[0]["field"] == "name"
    assert reason in refused.value.details[0]["message"]
    with pytest.raises(InvalidInputError) as as_version:
        datasets.new_version(world.db, world.alice, org, name="cars", version=name)
    assert as_version.value.details[0]["field"] == "version"
    assert [v.id for v in datasets.list_versions(world.db, world.alice, org)] == [version.id]


def test_names_with_spaces_and_letters_of_any_script_are_kept(world: World) -> None:
    _version(world)
    org = world.alice.default_organization.id
    made = datasets.new_version(world.db, world.alice, org, name="cars", version="été 2024 (v2)")
    assert made.version == "été 2024 (v2)"


def test_a_version_is_found_by_id_among_the_callers_organizations_only(world: World) -> None:
    version = _version(world)
    org = world.alice.default_organization.id
    assert datasets.version_organization(world.db, world.alice, version.id) == org
    with pytest.raises(ResourceNotFoundError) as foreign:
        datasets.version_organization(world.db, world.bob, version.id)
    unknown = uuid.uuid4()
    with pytest.raises(ResourceNotFoundError) as missing:
        datasets.version_organization(world.db, world.bob, unknown)
    assert foreign.value.message.replace(str(version.id), "X") == missing.value.message.replace(
        str(unknown), "X"
    )


def test_an_experiment_gives_its_attached_version(world: World) -> None:
    version = _version(world)
    caller, org = world.alice, world.alice.default_organization.id
    project = projects.create_project(world.db, caller, org, name="p")
    projects.attach_dataset(
        world.db, caller, org, project_id=project.id, name="cars", version="first"
    )
    attached = experiments.create_experiment(
        world.db, caller, org, project_id=project.id, name="with", dataset="cars/first"
    )
    bare = experiments.create_experiment(world.db, caller, org, project_id=project.id, name="bare")
    assert datasets.experiment_version(world.db, caller, attached.id) == (org, version.id)
    with pytest.raises(ResourceNotFoundError, match="no dataset attached"):
        datasets.experiment_version(world.db, caller, bare.id)
    with pytest.raises(ResourceNotFoundError, match="in your organizations"):
        datasets.experiment_version(world.db, world.bob, attached.id)


def test_one_picture_annotated_or_not_found_with_nothing_written(world: World) -> None:
    version = _version(world)
    caller, org = world.alice, world.alice.default_organization.id
    with pytest.raises(ResourceNotFoundError, match="no picture 'elsewhere.jpg' in dataset"):
        datasets.annotate_picture(
            world.db, caller, org, version_id=version.id, item=_item("elsewhere.jpg", BOX)
        )
    for _ in range(2):
        datasets.annotate_picture(
            world.db, caller, org, version_id=version.id, item=_item("p0.jpg", BOX), replace=False
        )
    record = datasets.get_annotation(
        world.db, caller, org, version_id=version.id, external_url="p0.jpg"
    )
    assert [o["label"] for o in record.objects] == ["car", "car"]
    with pytest.raises(ResourceNotFoundError, match="no annotation of a picture 'p1.jpg'"):
        datasets.get_annotation(world.db, caller, org, version_id=version.id, external_url="p1.jpg")
    with pytest.raises(InvalidInputError, match="nothing was written"):
        datasets.annotate_picture(
            world.db,
            caller,
            org,
            version_id=version.id,
            item=_item("p1.jpg", BOX, {**BOX, "label": "bike"}),
        )
    with pytest.raises(ResourceNotFoundError):
        datasets.get_annotation(world.db, caller, org, version_id=version.id, external_url="p1.jpg")


def test_deleting_a_picture_not_in_the_version_is_not_found(world: World) -> None:
    version = _version(world)
    caller, org = world.alice, world.alice.default_organization.id
    other = datalake.add_pictures(
        world.db, caller, org, [datalake.NewPicture("out.jpg", world.put(caller, make_image(9)))]
    ).created[0]
    datasets.annotate_picture(
        world.db, caller, org, version_id=version.id, item=_item("p0.jpg", BOX)
    )
    for picture_id in (other.id, uuid.uuid4()):
        with pytest.raises(ResourceNotFoundError, match="no picture"):
            datasets.delete_annotations(
                world.db, caller, org, version_id=version.id, picture_id=picture_id
            )
    pictures, _total, _next = datasets.list_version_pictures(
        world.db, caller, org, version_id=version.id, limit=10
    )
    by_name = {p.external_url: p.id for p in pictures}
    assert (
        datasets.delete_annotations(
            world.db, caller, org, version_id=version.id, picture_id=by_name["p1.jpg"]
        )
        == 0
    )
    assert (
        datasets.delete_annotations(
            world.db, caller, org, version_id=version.id, picture_id=by_name["p0.jpg"]
        )
        == 1
    )


def test_a_snapshot_is_a_blob_of_the_organization(world: World) -> None:
    version = _version(world)
    caller, org = world.alice, world.alice.default_organization.id
    document = json.dumps({"annotations": [], "total_assets": 0}).encode()
    entity = datasets.store_snapshot(
        world.db,
        world.store,
        caller,
        org,
        version_id=version.id,
        chunks=[document[:5], document[5:]],
    )
    described, stream = blobs.open_blob(world.db, world.store, caller, org, digest=entity.digest)
    with stream:
        assert stream.read() == document
    assert described.media_type == "application/json" and described.size == len(document)
    with pytest.raises(ResourceNotFoundError):
        datasets.store_snapshot(
            world.db,
            world.store,
            world.bob,
            world.bob.default_organization.id,
            version_id=version.id,
            chunks=[b"{}"],
        )
