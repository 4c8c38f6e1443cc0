"""Projects.

GET    /organizations/{org}/projects                     the organization's projects
POST   /organizations/{org}/projects                     create {name, description, type}
GET    /organizations/{org}/projects/{id or name}        one project
PATCH  /organizations/{org}/projects/{id}                change {project_name, description, type}
DELETE /organizations/{org}/projects/{id}                delete (not its datasets)
POST   /organizations/{org}/projects/{id}/datasets       attach {dataset: "name/version"}
GET    /organizations/{org}/projects/{id}/workers        {workers: [...]}
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from pixlake.api.deps import CallerDep, DbDep, OrganizationDep
from pixlake.core import projects
from pixlake.entities.projects import Project, Worker
from pixlake.errors import InvalidInputError
from pixlake.schemas.projects import (
    DatasetAttach,
    ProjectCreate,
    ProjectDataset,
    ProjectPublic,
    ProjectUpdate,
    WorkerPublic,
    WorkersPublic,
)

router = APIRouter(tags=["projects"])

ORG = "/organizations/{org_id}/projects"


def _worker(w: Worker) -> WorkerPublic:
    return WorkerPublic(id=w.id, username=w.username, role=w.role)


def workers_public(workers: list[Worker]) -> WorkersPublic:
    return WorkersPublic(workers=[_worker(w) for w in workers])


def to_public(p: Project) -> ProjectPublic:
    return ProjectPublic(
        project_id=p.id,
        project_name=p.name,
        description=p.description,
        type=p.type,
        organization={"id": str(p.organization.id), "name": p.organization.name},
        project_manager=_worker(p.manager) if p.manager else None,
        contributors=[_worker(w) for w in p.contributors],
        datasets=[
            ProjectDataset(dataset_id=d.id, dataset_name=d.name, version=d.version)
            for d in p.datasets
        ],
        creation_date=p.created_at,
        last_update=p.updated_at,
    )


@router.get(ORG, summary="The organization's projects")
def list_projects(org: OrganizationDep, caller: CallerDep, db: DbDep) -> list[ProjectPublic]:
    return [to_public(p) for p in projects.list_projects(db, caller, org.id)]


@router.post(ORG, status_code=status.HTTP_201_CREATED, summary="Create a project")
def create_project(
    org: OrganizationDep, body: ProjectCreate, caller: CallerDep, db: DbDep
) -> ProjectPublic:
    return to_public(
        projects.create_project(
            db, caller, org.id, name=body.name, description=body.description, type=body.type
        )
    )


@router.get(ORG + "/{project_id}", summary="One project, by id or name")
def get_project(
    org: OrganizationDep,
    ref: Annotated[str, Path(alias="project_id", description="the project's id or its name")],
    caller: CallerDep,
    db: DbDep,
) -> ProjectPublic:
    return to_public(projects.get_project(db, caller, org.id, ref=ref))


@router.patch(ORG + "/{project_id}", summary="Change some fields of a project")
def update_project(
    org: OrganizationDep, project_id: uuid.UUID, body: ProjectUpdate, caller: CallerDep, db: DbDep
) -> ProjectPublic:
    return to_public(
        projects.update_project(
            db,
            caller,
            org.id,
            project_id=project_id,
            name=body.project_name,
            description=body.description,
            type=body.type,
        )
    )


@router.delete(
    ORG + "/{project_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a project"
)
def delete_project(
    org: OrganizationDep, project_id: uuid.UUID, caller: CallerDep, db: DbDep
) -> Response:
    projects.delete_project(db, caller, org.id, project_id=project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(ORG + "/{project_id}/datasets", summary="Attach a dataset version (name/version)")
def attach_dataset(
    org: OrganizationDep, project_id: uuid.UUID, body: DatasetAttach, caller: CallerDep, db: DbDep
) -> ProjectPublic:
    parts = body.dataset.split("/")
    if len(parts) != 2 or not all(parts):
        raise InvalidInputError(
            f"dataset {body.dataset!r}: expected '<name>/<version>'",
            details=[{"field": "dataset", "message": "expected 'name/version'"}],
        )
    return to_public(
        projects.attach_dataset(
            db, caller, org.id, project_id=project_id, name=parts[0], version=parts[1]
        )
    )


@router.get(ORG + "/{project_id}/workers", summary="The project's contributors")
def list_workers(
    org: OrganizationDep, project_id: uuid.UUID, caller: CallerDep, db: DbDep
) -> WorkersPublic:
    return workers_public(projects.list_workers(db, caller, org.id, project_id=project_id))
