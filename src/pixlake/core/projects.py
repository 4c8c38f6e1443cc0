"""Projects: named uniquely per organization, they group experiments over the dataset
versions attached to them.  Contributors are the organization's members (``Worker``).

A project's name travels in URLs' paths as clients write them, unescaped (the upstream
client's ``project/by_name/<organization>/<name>``), so it is refused at creation when a
path would not carry it back intact (``pixlake.names.path_problem``).
"""

from __future__ import annotations

import uuid

from pixlake.clock import utcnow
from pixlake.core.accounts import require_organization
from pixlake.entities.accounts import Caller
from pixlake.entities.projects import Project, Worker
from pixlake.errors import AlreadyExistsError, InvalidInputError, ResourceNotFoundError
from pixlake.names import name_problem, path_problem
from pixlake.store.db.engine import Database
from pixlake.store.db.repositories import StoredProject
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = [
    "attach_dataset",
    "create_project",
    "delete_project",
    "find_project",
    "get_project",
    "list_projects",
    "list_workers",
    "project_organization",
    "update_project",
]

MAX_NAME = 100
MAX_TYPE = 100
MAX_DESCRIPTION = 10_000


def _bad(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", details=[{"field": field, "message": message}])


def _check_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise _bad(field, "expected a non-empty project name")
    problem = name_problem(name, what="project name", limit=MAX_NAME)
    if problem is None:
        problem = path_problem(name, what="project name")
    if problem is not None:
        raise _bad(field, problem)
    return name


def _check_text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise _bad(field, "expected a string")
    if len(value) > limit:
        raise _bad(field, f"longer than {limit} characters")
    return value


def find_project(tx: UnitOfWork, organization_id: uuid.UUID, ref: str | uuid.UUID) -> StoredProject:
    """A project of the organization by id, else by name (``ResourceNotFoundError``)."""
    found = tx.projects.find(organization_id, ref)
    if found is None:
        raise ResourceNotFoundError(f"no project {str(ref)!r} in this organization")
    return found


def project_organization(db: Database, caller: Caller, project_id: uuid.UUID) -> uuid.UUID:
    """The organization of the caller's that holds the project, for clients that name a
    project by its id alone (the upstream protocol's project token): a project of another
    organization is not found, as one that does not exist. What the caller may do in it,
    each service checks."""
    with db.read() as tx:
        for organization_id in caller.memberships:
            if tx.projects.find(organization_id, project_id) is not None:
                return organization_id
    raise ResourceNotFoundError(f"no project {project_id} in your organizations")


def _unique(tx: UnitOfWork, organization_id: uuid.UUID, name: str, field: str) -> None:
    if tx.projects.name_taken(organization_id, name):
        raise AlreadyExistsError(
            f"a project named {name!r} already exists in this organization",
            details=[{"field": field, "message": "project names are unique per organization"}],
        )


def create_project(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    name: str,
    description: str = "",
    type: str = "",
) -> Project:
    require_organization(caller, organization_id, write=True)
    name = _check_name(name)
    description = _check_text(description, "description", MAX_DESCRIPTION)
    kind = _check_text(type, "type", MAX_TYPE)
    with db.transaction() as tx:
        _unique(tx, organization_id, name, "name")
        made = tx.projects.add(
            organization_id,
            owner_id=caller.user_id,
            name=name,
            description=description,
            type=kind,
            at=utcnow(),
        )
        return tx.projects.record(made.pk)


def list_projects(db: Database, caller: Caller, organization_id: uuid.UUID) -> list[Project]:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        return tx.projects.records(organization_id)


def get_project(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, ref: str | uuid.UUID
) -> Project:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        return tx.projects.record(find_project(tx, organization_id, ref).pk)


def update_project(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    project_id: uuid.UUID,
    name: str | None = None,
    description: str | None = None,
    type: str | None = None,
) -> Project:
    require_organization(caller, organization_id, write=True)
    values: dict[str, str] = {}
    if name is not None:
        values["name"] = _check_name(name, "project_name")
    if description is not None:
        values["description"] = _check_text(description, "description", MAX_DESCRIPTION)
    if type is not None:
        values["type"] = _check_text(type, "type", MAX_TYPE)
    with db.transaction() as tx:
        project = find_project(tx, organization_id, project_id)
        if "name" in values and values["name"] != project.name:
            _unique(tx, organization_id, values["name"], "project_name")
        tx.projects.update(project.pk, values, at=utcnow())
        return tx.projects.record(project.pk)


def delete_project(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, project_id: uuid.UUID
) -> None:
    """Delete the project and its experiments (not its datasets)."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        tx.projects.delete(find_project(tx, organization_id, project_id).pk)


def attach_dataset(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    project_id: uuid.UUID,
    name: str,
    version: str,
) -> Project:
    """Link dataset version ``name/version`` of the organization (twice: no-op)."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        project = find_project(tx, organization_id, project_id)
        found = tx.projects.dataset_version(organization_id, name=name, version=version)
        if found is None:
            raise ResourceNotFoundError(
                f"dataset: no dataset version {name}/{version} in this organization",
                details=[{"field": "dataset", "message": "unknown dataset version"}],
            )
        tx.projects.attach(project.pk, found, at=utcnow())
        return tx.projects.record(project.pk)


def list_workers(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, project_id: uuid.UUID
) -> list[Worker]:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        find_project(tx, organization_id, project_id)
        return tx.projects.workers(organization_id)
