"""Rows 36 to 42 of the wire table: projects, the datasets attached to them, their workers.

GET    /project/{org}                          every project: {"projects": [...]}
PUT    /project/{org}                          create {project_name, description, type}: the
                                               record, unwrapped
GET    /project/by_name/{org}/{name}           one project: the record, unwrapped
PATCH  /project/by_name/{org}/{name}           {project_name?, description?, type?}:
                                               {"project": record}
DELETE /project/by_name/{org}/{name}           delete (not its datasets)
POST   /project/attach_dataset/{project_token} {dataset_name, version}
GET    /worker/{project_token}                 {"workers": [...]}

``{org}`` is the organization's name, one of the caller's; a project token is the
project's id, found among the caller's organizations. Another organization's names and
ids answer as ones that do not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import ConfigDict

from pixlake.api.deps import CallerDep, DbDep
from pixlake.api.routers.projects import to_public, workers_public
from pixlake.api.upstream._wire import WireModel, as_id, body_of, created, ok
from pixlake.core import accounts, projects
from pixlake.entities.accounts import Caller
from pixlake.entities.projects import Project
from pixlake.store.db.engine import Database

__all__ = ["router"]

router = APIRouter(tags=["projects"])


def _record(project: Project) -> dict[str, Any]:
    return to_public(project).model_dump(mode="json")


def _organization(db: Database, caller: Caller, name: str) -> uuid.UUID:
    return accounts.resolve_organization(db, caller, name).id


def _named(db: Database, caller: Caller, org: str, name: str) -> tuple[uuid.UUID, Project]:
    """The organization of the path and its project of that name."""
    organization_id = _organization(db, caller, org)
    return organization_id, projects.get_project(db, caller, organization_id, ref=name)


def _token(db: Database, caller: Caller, project_token: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The organization that holds the project of a token, and the project's id."""
    project_id = as_id(project_token, "project_token")
    return projects.project_organization(db, caller, project_id), project_id


@router.get("/project/{org}", summary="Every project of the organization")
def list_projects(org: str, caller: CallerDep, db: DbDep) -> Response:
    found = projects.list_projects(db, caller, _organization(db, caller, org))
    return ok({"projects": [_record(p) for p in found]})


class Creation(WireModel):
    project_name: str | None = None
    description: str | None = None
    type: str | None = None


@router.put("/project/{org}", summary="Create a project: the record, unwrapped")
def create_project(
    org: str,
    caller: CallerDep,
    db: DbDep,
    body: Creation = Depends(body_of(Creation)),  # noqa: B008
) -> Response:
    project = projects.create_project(
        db,
        caller,
        _organization(db, caller, org),
        name=body.project_name or "",
        description=body.description or "",
        type=body.type or "",
    )
    return created(_record(project))


@router.get("/project/by_name/{org}/{name}", summary="One project: the record, unwrapped")
def get_project(org: str, name: str, caller: CallerDep, db: DbDep) -> Response:
    return ok(_record(_named(db, caller, org, name)[1]))


class Changes(WireModel):
    """The fields a project's update may change: any other is refused, naming it."""

    model_config = ConfigDict(extra="forbid")

    project_name: str | None = None
    description: str | None = None
    type: str | None = None


@router.patch("/project/by_name/{org}/{name}", summary="Change a project: {project: record}")
def update_project(
    org: str,
    name: str,
    caller: CallerDep,
    db: DbDep,
    body: Changes = Depends(body_of(Changes)),  # noqa: B008
) -> Response:
    organization_id, project = _named(db, caller, org, name)
    changed = projects.update_project(
        db,
        caller,
        organization_id,
        project_id=project.id,
        name=body.project_name,
        description=body.description,
        type=body.type,
    )
    return ok({"project": _record(changed)})


@router.delete("/project/by_name/{org}/{name}", summary="Delete a project (not its datasets)")
def delete_project(org: str, name: str, caller: CallerDep, db: DbDep) -> Response:
    organization_id, project = _named(db, caller, org, name)
    projects.delete_project(db, caller, organization_id, project_id=project.id)
    return ok()


class Attachment(WireModel):
    dataset_name: str
    version: str


@router.post("/project/attach_dataset/{project_token}", summary="Attach a dataset version")
def attach_dataset(
    project_token: str,
    caller: CallerDep,
    db: DbDep,
    body: Attachment = Depends(body_of(Attachment)),  # noqa: B008
) -> Response:
    organization_id, project_id = _token(db, caller, project_token)
    projects.attach_dataset(
        db,
        caller,
        organization_id,
        project_id=project_id,
        name=body.dataset_name,
        version=body.version,
    )
    return ok()


@router.get("/worker/{project_token}", summary="The project's contributors: {workers: [...]}")
def list_workers(project_token: str, caller: CallerDep, db: DbDep) -> Response:
    organization_id, project_id = _token(db, caller, project_token)
    found = projects.list_workers(db, caller, organization_id, project_id=project_id)
    return ok(workers_public(found).model_dump(mode="json"))
