"""File assets at the service level: a file keeps the name of the file stored (its key ends
with it), through a second store, a rename, a copy to a new experiment and a publication;
its key names its bytes for clients that read by key; names that a URL's path would not
carry back are refused; projects and experiments are found by id among the caller's
organizations."""

from __future__ import annotations

import uuid

import pytest

from pixlake.core import experiments, networks, object_storage, projects
from pixlake.entities.experiments import Experiment
from pixlake.errors import AlreadyExistsError, InvalidInputError, ResourceNotFoundError
from tests.core.conftest import World


def run(world: World, name: str = "run-1", project: str = "p") -> Experiment:
    org = world.alice.default_organization.id
    with world.db.read() as tx:
        found = tx.projects.find(org, project)
    project_id = (
        found.id
        if found is not None
        else projects.create_project(world.db, world.alice, org, name=project).id
    )
    return experiments.create_experiment(
        world.db, world.alice, org, project_id=project_id, name=name
    )


def store(world: World, exp: Experiment, name: str, data: bytes, file_name: str | None) -> str:
    digest = world.put(world.alice, data)
    stored = experiments.store_file(
        world.db,
        world.alice,
        world.alice.default_organization.id,
        experiment_id=exp.id,
        name=name,
        digest=digest,
        file_name=file_name,
    )
    return stored.object_name


def key_names(world: World, key: str) -> str | None:
    """The digest a key names for clients that read by key (an upload, or a store)."""
    with world.db.read() as tx:
        found = tx.storage.object(world.alice.default_organization.id, "models", key)
    return None if found is None else found.digest


def test_a_file_keeps_the_name_of_the_file_stored(world: World) -> None:
    exp = run(world)
    assert store(world, exp, "weights", b"one", "best.pt") == f"{exp.id}/best.pt"
    assert store(world, exp, "model-latest", b"m", "saved_model.zip") == (
        f"{exp.id}/0/saved_model.zip"
    )
    # without a file name: a new file is named as the asset, a replaced one keeps its own
    assert store(world, exp, "notes", b"n", None) == f"{exp.id}/notes"
    assert store(world, exp, "weights", b"two", None) == f"{exp.id}/best.pt"
    assert store(world, exp, "weights", b"three", "last.pt") == f"{exp.id}/last.pt"


def test_a_key_names_the_bytes_last_stored_under_it_whichever_api_stored_them(
    world: World,
) -> None:
    exp = run(world)
    org = world.alice.default_organization.id
    key = f"{exp.id}/best.pt"
    store(world, exp, "weights", b"first", "best.pt")
    assert key_names(world, key) == world.put(world.alice, b"first")
    store(world, exp, "weights", b"second", "best.pt")
    second = world.put(world.alice, b"second")
    assert key_names(world, key) == second
    grant = object_storage.sign_download(
        world.db, world.alice, bucket="models", key=key, resolve=experiments.file_under_key
    )
    assert grant.ticket.digest == second
    with world.db.read() as tx:
        found = experiments.file_under_key(tx, org, key)
        assert found is not None and found.digest == second
        assert experiments.file_under_key(tx, org, f"{exp.id}/other.pt") is None
        assert experiments.file_under_key(tx, org, "not-an-id/best.pt") is None
        assert experiments.file_under_key(tx, org, str(exp.id)) is None
        assert experiments.file_under_key(tx, world.bob.default_organization.id, key) is None


def test_update_renames_stores_anew_or_moves_the_key_at_once(world: World) -> None:
    exp = run(world)
    org = world.alice.default_organization.id
    store(world, exp, "weights", b"one", "best.pt")
    store(world, exp, "config", b"c", "train.yaml")
    newer = world.put(world.alice, b"newer")
    changed = experiments.update_file(
        world.db,
        world.alice,
        org,
        experiment_id=exp.id,
        name="weights",
        new_name="model-latest",
        digest=newer,
        large=True,
        file_name="final.pt",
    )
    assert (changed.name, changed.object_name, changed.digest, changed.large) == (
        "model-latest",
        f"{exp.id}/0/final.pt",
        newer,
        True,
    )
    assert key_names(world, f"{exp.id}/0/final.pt") == newer
    renamed = experiments.update_file(
        world.db, world.alice, org, experiment_id=exp.id, name="model-latest", new_name="best"
    )
    assert renamed.object_name == f"{exp.id}/final.pt" and renamed.digest == newer
    with pytest.raises(AlreadyExistsError, match="config"):
        experiments.update_file(
            world.db, world.alice, org, experiment_id=exp.id, name="best", new_name="config"
        )
    with pytest.raises(ResourceNotFoundError, match="ghost"):
        experiments.update_file(
            world.db, world.alice, org, experiment_id=exp.id, name="ghost", new_name="x"
        )
    with pytest.raises(InvalidInputError, match="file_name"):
        experiments.update_file(
            world.db, world.alice, org, experiment_id=exp.id, name="best", file_name="a/b.pt"
        )
    got = experiments.get_file(world.db, world.alice, org, experiment_id=exp.id, name="best")
    assert got is not None and (got.object_name, got.digest) == (f"{exp.id}/final.pt", newer)
    assert experiments.get_file(world.db, world.alice, org, experiment_id=exp.id, name="x") is None
    with pytest.raises(ResourceNotFoundError):
        experiments.get_file(world.db, world.alice, org, experiment_id=uuid.uuid4(), name="x")


def test_copies_and_publications_keep_the_file_names(world: World) -> None:
    first = run(world)
    org = world.alice.default_organization.id
    store(world, first, "weights", b"w", "best.pt")
    store(world, first, "model-latest", b"m", "saved_model.zip")
    second = experiments.create_experiment(
        world.db,
        world.alice,
        org,
        project_id=first.project_id,
        name="run-2",
        previous="run-1",
        with_files=True,
    )
    assert {f.name: f.object_name for f in second.files} == {
        "weights": f"{second.id}/best.pt",
        "model-latest": f"{second.id}/0/saved_model.zip",
    }
    with world.db.read() as tx:  # a copy's key, which no upload named, still finds its bytes
        found = experiments.file_under_key(tx, org, f"{second.id}/best.pt")
        assert found is not None and found.digest == world.put(world.alice, b"w")
    net = experiments.publish(world.db, world.alice, org, experiment_id=first.id, name="cars")
    assert {f.name: f.object_name for f in net.files} == {
        "weights": f"{net.id}/best.pt",
        "model-latest": f"{net.id}/0/saved_model.zip",
    }
    third = experiments.create_experiment(
        world.db, world.alice, org, project_id=first.project_id, name="run-3", source="acme/cars"
    )
    assert {f.name: f.object_name for f in third.files} == {
        "weights": f"{third.id}/best.pt",
        "model-latest": f"{third.id}/0/saved_model.zip",
    }


def test_a_network_file_keeps_the_name_of_the_file_stored(world: World) -> None:
    org = world.alice.default_organization.id
    net = networks.create_network(world.db, world.alice, org, name="yolo", type="detection")
    digest = world.put(world.alice, b"weights")

    def stored(name: str, file_name: str | None, data: str = digest) -> str:
        done = networks.store_file(
            world.db,
            world.alice,
            org,
            network_id=net.id,
            name=name,
            digest=data,
            file_name=file_name,
        )
        return {f.name: f.object_name for f in done.files}[name]

    assert stored("model-latest", "best.pt") == f"{net.id}/0/best.pt"
    assert stored("config", None) == f"{net.id}/config"
    assert stored("model-latest", None) == f"{net.id}/0/best.pt"  # the same bytes, kept
    assert stored("model-latest", "final.pt") == f"{net.id}/0/final.pt"  # renamed alone
    other = world.put(world.alice, b"other")
    assert stored("model-latest", None, other) == f"{net.id}/0/final.pt"
    assert key_names(world, f"{net.id}/0/final.pt") == other
    with pytest.raises(InvalidInputError, match="file_name"):
        stored("config", "../x")


@pytest.mark.parametrize("name", ["a?b", "a#b", "50%", "5%41", "a/b", ".", "..", "tab\tin"])
def test_names_that_a_path_would_not_carry_back_are_refused(world: World, name: str) -> None:
    org = world.alice.default_organization.id
    with pytest.raises(InvalidInputError, match="name"):
        projects.create_project(world.db, world.alice, org, name=name)
    project = projects.create_project(world.db, world.alice, org, name="fine")
    with pytest.raises(InvalidInputError, match="name"):
        projects.update_project(world.db, world.alice, org, project_id=project.id, name=name)
    with pytest.raises(InvalidInputError, match="name"):
        experiments.create_experiment(world.db, world.alice, org, project_id=project.id, name=name)
    exp = experiments.create_experiment(
        world.db, world.alice, org, project_id=project.id, name="run"
    )
    digest = world.put(world.alice, b"x")
    with pytest.raises(InvalidInputError, match="name"):
        experiments.store_file(
            world.db, world.alice, org, experiment_id=exp.id, name=name, digest=digest
        )
    assert experiments.get_experiment(world.db, world.alice, org, experiment_id=exp.id).files == ()


def test_a_file_name_may_hold_what_only_a_path_would_change(world: World) -> None:
    exp = run(world)
    assert store(world, exp, "weights", b"w", "best#2 50%.pt") == f"{exp.id}/best#2 50%.pt"


def test_projects_and_experiments_are_found_by_id_among_the_callers_organizations(
    world: World,
) -> None:
    exp = run(world)
    org = world.alice.default_organization.id
    assert projects.project_organization(world.db, world.alice, exp.project_id) == org
    for caller, ref in ((world.bob, exp.project_id), (world.alice, uuid.uuid4())):
        with pytest.raises(ResourceNotFoundError, match="no project .* in your organizations"):
            projects.project_organization(world.db, caller, ref)
    other = projects.create_project(world.db, world.alice, org, name="other")
    found = experiments.get_experiment(
        world.db, world.alice, org, experiment_id=exp.id, project_id=exp.project_id
    )
    assert found.id == exp.id
    with pytest.raises(ResourceNotFoundError, match=str(other.id)):
        experiments.get_experiment(
            world.db, world.alice, org, experiment_id=exp.id, project_id=other.id
        )
