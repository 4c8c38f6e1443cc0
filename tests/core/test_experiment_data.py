"""What the data-asset services give clients that name an experiment by its id alone and
log a line's points as they log its data: the organization holding the experiment, a
logged image's bytes found by its key, points appended in either form of a line."""

from __future__ import annotations

import re
import uuid

import pytest

from pixlake.core import experiments, projects
from pixlake.core.experiments._data import experiment_organization, image_object
from pixlake.core.experiments._points import append_line
from pixlake.entities.storage import StoredObject
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from tests.conftest import make_image
from tests.core.conftest import World


def _run(world: World) -> uuid.UUID:
    org = world.alice.default_organization.id
    project = projects.create_project(world.db, world.alice, org, name="p")
    return experiments.create_experiment(
        world.db, world.alice, org, project_id=project.id, name="e"
    ).id


def test_the_organization_of_an_experiment_is_the_callers_that_holds_it(world: World) -> None:
    run = _run(world)
    assert (
        experiment_organization(world.db, world.alice, run) == world.alice.default_organization.id
    )
    for caller, experiment_id in ((world.bob, run), (world.alice, uuid.uuid4())):
        with pytest.raises(ResourceNotFoundError, match="in your organizations"):
            experiment_organization(world.db, caller, experiment_id)


def test_an_image_logged_as_a_blob_is_found_by_its_key_the_last_logged_winning(
    world: World,
) -> None:
    org = world.alice.default_organization.id
    run = _run(world)
    first, second = make_image(1), make_image(2)
    for name, data in (("a", first), ("b", second)):
        digest = world.put(world.alice, data)
        experiments.log_data(
            world.db,
            world.alice,
            org,
            experiment_id=run,
            name=name,
            type="image",
            data={"object_name": f"{run}/chart.jpg", "sha256": digest},
        )
    experiments.log_data(
        world.db,
        world.alice,
        org,
        experiment_id=run,
        name="table",
        type="table",
        data={"object_name": f"{run}/other.jpg"},
    )
    with world.db.read() as tx:
        found = image_object(tx, org, f"{run}/chart.jpg")
        assert found == StoredObject(world.put(world.alice, second), len(second))
        assert image_object(tx, org, f"{run}/other.jpg") is None  # a table is no image
        assert image_object(tx, org, f"{run}/missing.jpg") is None
        assert image_object(tx, org, f"{uuid.uuid4()}/chart.jpg") is None
        assert image_object(tx, org, "not-an-id/chart.jpg") is None
        assert image_object(tx, world.bob.default_organization.id, f"{run}/chart.jpg") is None


def test_points_appended_as_a_line_is_written_name_their_field(world: World) -> None:
    org = world.alice.default_organization.id
    run = _run(world)

    def append(name: str, points: object) -> int:
        return append_line(world.db, world.alice, org, experiment_id=run, name=name, points=points)

    assert append("loss", [1.0, 0.5]) == 2 and append("loss", [0.25]) == 3
    assert append("lr", {"x": ["a"], "y": [0.1]}) == 1 and append("lr", {"x": ["b"], "y": [0.2]})
    got = experiments.get_data(world.db, world.alice, org, experiment_id=run, name="loss")
    assert got.data == [1.0, 0.5, 0.25]
    got = experiments.get_data(world.db, world.alice, org, experiment_id=run, name="lr")
    assert got.data == {"x": ["a", "b"], "y": [0.1, 0.2]}
    for points, field in (([1, "x"], "data[1]"), ({"x": [1], "y": "no"}, "data.y"), (3, "data")):
        with pytest.raises(InvalidInputError, match=f"^Invalid query : {re.escape(field)}: "):
            append("loss", points)
    with pytest.raises(InvalidInputError, match="no x values"):
        append("loss", {"x": [1], "y": [2.0]})
    with pytest.raises(ResourceNotFoundError):
        append_line(
            world.db,
            world.alice,
            org,
            experiment_id=run,
            name="new",
            points=[1.0],
            type_if_new=False,
        )
