"""Experiments (runs) of a project: created (maybe from a previous run or a network),
listed, found, changed and deleted."""

from __future__ import annotations

import uuid
from datetime import datetime

from pixlake.clock import utcnow
from pixlake.core.accounts import require_organization
from pixlake.core.experiments._common import (
    MAX_STATUS,
    RECORD_POINTS,
    bad,
    check_description,
    check_exit_code,
    check_name,
    find_experiment,
)
from pixlake.core.projects import find_project
from pixlake.entities.accounts import Caller
from pixlake.entities.experiments import Experiment
from pixlake.entities.networks import file_name_of, object_name
from pixlake.errors import AlreadyExistsError, ResourceNotFoundError
from pixlake.store.db.engine import Database
from pixlake.store.db.repositories import (
    NewFile,
    StoredExperiment,
    StoredNetwork,
    StoredProject,
)
from pixlake.store.db.unit_of_work import UnitOfWork


def _previous(tx: UnitOfWork, project: StoredProject, name: str) -> StoredExperiment:
    found = tx.experiments.named(project.pk, name)
    if found is None:
        raise ResourceNotFoundError(
            f"previous: no experiment {name!r} in project {project.name!r}",
            details=[{"field": "previous", "message": "unknown experiment"}],
        )
    return found


def _dataset_version(
    tx: UnitOfWork, organization_id: uuid.UUID, project: StoredProject, ref: str
) -> int:
    """``"<name>/<version>"``: a dataset version attached to the project."""
    parts = ref.split("/")
    if len(parts) != 2 or not all(parts):
        raise bad("dataset", f"{ref!r}: expected '<name>/<version>'")
    found = tx.projects.dataset_version(
        organization_id, name=parts[0], version=parts[1], attached_to=project.pk
    )
    if found is None:
        raise ResourceNotFoundError(
            f"dataset: no dataset version {ref!r} attached to project "
            f"{project.name!r} (attach it with Project.attach_dataset first)",
            details=[{"field": "dataset", "message": "unknown or not attached"}],
        )
    return found


def _source(tx: UnitOfWork, caller: Caller, ref: str) -> StoredNetwork:
    """``"<organization or username>/<network>"``: a network of the caller's organizations,
    or a public one of another organization."""
    parts = ref.split("/")
    if len(parts) != 2 or not all(parts):
        raise bad("source", f"{ref!r}: expected '<organization or username>/<network name>'")
    owner, name = parts
    org = tx.accounts.organization_named(owner)
    org_id = org.id if org is not None else None
    if org_id is None:
        user = tx.accounts.user_named(owner)
        org_id = user.default_organization_id if user is not None else None
    net = tx.networks.find_named(org_id, name) if org_id is not None else None
    if net is None or (net.private and caller.role_in(net.organization_id) is None):
        raise ResourceNotFoundError(
            f"source: no network {ref!r} among yours or the public ones",
            details=[{"field": "source", "message": "unknown network"}],
        )
    return net


def _copy_previous(
    tx: UnitOfWork,
    previous: StoredExperiment,
    target: StoredExperiment,
    *,
    files: bool,
    data: bool,
    at: datetime,
) -> None:
    if files:
        copies = [
            NewFile(
                f.name,
                f.digest,
                object_name(target.id, f.name, file_name_of(f.object_name)),
                f.large,
            )
            for f in tx.experiments.files.of(previous.pk)
        ]
        tx.experiments.files.add(target.pk, copies, at=at)
    if data:
        tx.experiments.data.copy(previous.pk, target.pk, at=at)


def _copy_network(
    tx: UnitOfWork,
    organization_id: uuid.UUID,
    net: StoredNetwork,
    target: StoredExperiment,
    *,
    at: datetime,
) -> None:
    """The network's files as file assets (the organization receives a public network's
    bytes), and its label map as a data asset."""
    files = tx.networks.files(net.pk)
    if net.organization_id != organization_id:
        for _name, digest, _file_name in files:
            tx.blobs.grant(organization_id, digest)
    copies = [
        NewFile(name, digest, object_name(target.id, name, file_name))
        for name, digest, file_name in files
    ]
    tx.experiments.files.add(target.pk, copies, at=at)
    if net.labels:
        tx.experiments.data.add(
            target.pk, name="labelmap", type="labelmap", data=dict(net.labels), has_x=False, at=at
        )


def create_experiment(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    project_id: uuid.UUID,
    name: str,
    description: str = "",
    previous: str | None = None,
    dataset: str | None = None,
    source: str | None = None,
    with_files: bool = False,
    with_data: bool = False,
) -> Experiment:
    require_organization(caller, organization_id, write=True)
    name = check_name(name)
    description = check_description(description)
    with db.transaction() as tx:
        project = find_project(tx, organization_id, project_id)
        if tx.experiments.name_taken(project.pk, name):
            raise AlreadyExistsError(
                f"an experiment named {name!r} already exists in project {project.name!r}",
                details=[{"field": "name", "message": "names are unique per project"}],
            )
        prev = _previous(tx, project, previous) if previous is not None else None
        version_pk = (
            _dataset_version(tx, organization_id, project, dataset) if dataset is not None else None
        )
        net = _source(tx, caller, source) if source is not None else None
        now = utcnow()
        made = tx.experiments.add(
            project.pk,
            owner_id=caller.user_id,
            name=name,
            description=description,
            previous_pk=prev.pk if prev else None,
            dataset_version_pk=version_pk,
            source_network_pk=net.pk if net else None,
            at=now,
        )
        if prev is not None and (with_files or with_data):
            _copy_previous(tx, prev, made, files=with_files, data=with_data, at=now)
        if net is not None:
            _copy_network(tx, organization_id, net, made, at=now)
        return tx.experiments.record(made.pk)


def list_experiments(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, project_id: uuid.UUID
) -> list[Experiment]:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        return tx.experiments.records(find_project(tx, organization_id, project_id).pk)


def get_experiment(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID | None = None,
    project_id: uuid.UUID | None = None,
    name: str | None = None,
    with_data: bool = False,
) -> Experiment:
    """An experiment by id (of project ``project_id`` when given), or by name within a
    project."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        if experiment_id is not None:
            found = find_experiment(tx, organization_id, experiment_id)
            if project_id is not None and tx.projects.get(found.project_pk).id != project_id:
                raise ResourceNotFoundError(
                    f"no experiment {experiment_id} in project {project_id}"
                )
        else:
            if project_id is None or name is None:
                raise bad("name", "an experiment is found by id, or by project and name")
            project = find_project(tx, organization_id, project_id)
            named = tx.experiments.named(project.pk, name)
            if named is None:
                raise ResourceNotFoundError(
                    f"no experiment named {name!r} in project {project.name!r}"
                )
            found = named
        return tx.experiments.record(found.pk, with_data=with_data, max_points=RECORD_POINTS)


def update_experiment(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str | None = None,
    description: str | None = None,
    status: str | None = None,
    exit_code: int | None = None,
) -> Experiment:
    require_organization(caller, organization_id, write=True)
    if name is not None:
        name = check_name(name)
    if description is not None:
        description = check_description(description)
    exit_code = check_exit_code(exit_code)
    if status is not None and (not status.strip() or len(status) > MAX_STATUS):
        raise bad("status", f"expected a non-empty status of {MAX_STATUS} characters at most")
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        if name is not None and name != experiment.name:
            if tx.experiments.name_taken(experiment.project_pk, name):
                raise AlreadyExistsError(
                    f"an experiment named {name!r} already exists in this project",
                    details=[{"field": "name", "message": "names are unique per project"}],
                )
        tx.experiments.update(
            experiment.pk,
            name=name,
            description=description,
            status=status,
            exit_code=exit_code,
            at=utcnow(),
        )
        return tx.experiments.record(experiment.pk)


def delete_experiment(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, experiment_id: uuid.UUID
) -> None:
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        tx.experiments.delete(find_experiment(tx, organization_id, experiment_id).pk)


def delete_all_experiments(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, project_id: uuid.UUID
) -> int:
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        return tx.experiments.delete_all(find_project(tx, organization_id, project_id).pk)
