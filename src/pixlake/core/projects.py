"""Projects: named uniquely per organization, they group experiments over the dataset
versions attached to them.  Contributors are the organization's members (``Worker``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pixlake.core.accounts import require_organization
from pixlake.entities.accounts import Caller, Organization
from pixlake.errors import AlreadyExistsError, InvalidInputError, ResourceNotFoundError
from pixlake.store.db.engine import Database
from pixlake.store.db.models import (
    DatasetRow,
    DatasetVersionRow,
    MembershipRow,
    OrganizationRow,
    ProjectDatasetRow,
    ProjectRow,
    UserRow,
    utcnow,
)

__all__ = [
    "AttachedDataset",
    "Project",
    "Worker",
    "attach_dataset",
    "create_project",
    "delete_project",
    "get_project",
    "list_projects",
    "list_workers",
    "project_row",
    "update_project",
]

MAX_NAME = 100
MAX_TYPE = 100
MAX_DESCRIPTION = 10_000


@dataclass(frozen=True, slots=True)
class Worker:
    id: uuid.UUID
    username: str
    role: str


@dataclass(frozen=True, slots=True)
class AttachedDataset:
    id: uuid.UUID
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class Project:
    id: uuid.UUID
    organization: Organization
    name: str
    description: str
    type: str
    manager: Worker | None
    contributors: tuple[Worker, ...]
    datasets: tuple[AttachedDataset, ...]
    created_at: datetime
    updated_at: datetime


def _bad(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", details=[{"field": field, "message": message}])


def _check_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise _bad(field, "expected a non-empty project name")
    if name != name.strip() or len(name) > MAX_NAME or "/" in name:
        raise _bad(field, f"a project name has no '/', no edge spaces, {MAX_NAME} characters max")
    return name


def _check_text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str):
        raise _bad(field, "expected a string")
    if len(value) > limit:
        raise _bad(field, f"longer than {limit} characters")
    return value


def _workers(session: Session, organization_id: uuid.UUID) -> list[Worker]:
    rows = session.execute(
        select(UserRow.id, UserRow.username, MembershipRow.role)
        .join(MembershipRow, MembershipRow.user_id == UserRow.id)
        .where(MembershipRow.organization_id == organization_id)
        .order_by(UserRow.username)
    ).all()
    return [Worker(i, u, r) for i, u, r in rows]


def _entity(session: Session, row: ProjectRow) -> Project:
    org = session.get(OrganizationRow, row.organization_id)
    workers = _workers(session, row.organization_id)
    manager = next((w for w in workers if w.id == row.owner_id), None)
    if manager is None and row.owner_id is not None:
        user = session.get(UserRow, row.owner_id)
        manager = Worker(user.id, user.username, "") if user else None
    attached = session.execute(
        select(DatasetVersionRow.id, DatasetRow.name, DatasetVersionRow.version)
        .join(ProjectDatasetRow, ProjectDatasetRow.version_pk == DatasetVersionRow.pk)
        .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
        .where(ProjectDatasetRow.project_pk == row.pk)
        .order_by(ProjectDatasetRow.created_at, DatasetVersionRow.pk)
    ).all()
    return Project(
        id=row.id,
        organization=Organization(row.organization_id, org.name if org else ""),
        name=row.name,
        description=row.description,
        type=row.type,
        manager=manager,
        contributors=tuple(workers),
        datasets=tuple(AttachedDataset(i, n, v) for i, n, v in attached),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def project_row(
    session: Session, caller: Caller, organization_id: uuid.UUID, ref: str | uuid.UUID
) -> ProjectRow:
    """A project of the organization by id, else by name (``ResourceNotFoundError``)."""
    base = select(ProjectRow).where(ProjectRow.organization_id == organization_id)
    row = None
    try:
        row = session.scalar(base.where(ProjectRow.id == uuid.UUID(str(ref))))
    except ValueError:
        pass
    if row is None:
        row = session.scalar(base.where(ProjectRow.name == str(ref)))
    if row is None:
        raise ResourceNotFoundError(f"no project {str(ref)!r} in this organization")
    return row


def _unique(session: Session, organization_id: uuid.UUID, name: str, field: str) -> None:
    if session.scalar(
        select(ProjectRow.pk).where(
            ProjectRow.organization_id == organization_id, ProjectRow.name == name
        )
    ):
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
        session = tx.session
        _unique(session, organization_id, name, "name")
        now = utcnow()
        row = ProjectRow(
            id=uuid.uuid4(),
            organization_id=organization_id,
            owner_id=caller.user_id,
            name=name,
            description=description,
            type=kind,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return _entity(session, row)


def list_projects(db: Database, caller: Caller, organization_id: uuid.UUID) -> list[Project]:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        session = tx.session
        rows = session.scalars(
            select(ProjectRow)
            .where(ProjectRow.organization_id == organization_id)
            .order_by(ProjectRow.pk)
        )
        return [_entity(session, r) for r in rows]


def get_project(
    db: Database, caller: Caller, organization_id: uuid.UUID, ref: str | uuid.UUID
) -> Project:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        session = tx.session
        return _entity(session, project_row(session, caller, organization_id, ref))


def update_project(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    project_id: uuid.UUID,
    *,
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
        session = tx.session
        row = project_row(session, caller, organization_id, project_id)
        if "name" in values and values["name"] != row.name:
            _unique(session, organization_id, values["name"], "project_name")
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        session.flush()
        return _entity(session, row)


def delete_project(
    db: Database, caller: Caller, organization_id: uuid.UUID, project_id: uuid.UUID
) -> None:
    """Delete the project and its experiments (not its datasets)."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        session = tx.session
        row = project_row(session, caller, organization_id, project_id)
        session.execute(delete(ProjectRow).where(ProjectRow.pk == row.pk))


def attach_dataset(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    project_id: uuid.UUID,
    *,
    name: str,
    version: str,
) -> Project:
    """Link dataset version ``name/version`` of the organization (twice: no-op)."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        session = tx.session
        row = project_row(session, caller, organization_id, project_id)
        found = session.scalar(
            select(DatasetVersionRow.pk)
            .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
            .where(
                DatasetRow.organization_id == organization_id,
                DatasetRow.name == name,
                DatasetVersionRow.version == version,
            )
        )
        if found is None:
            raise ResourceNotFoundError(
                f"dataset: no dataset version {name}/{version} in this organization",
                details=[{"field": "dataset", "message": "unknown dataset version"}],
            )
        if session.get(ProjectDatasetRow, (row.pk, found)) is None:
            session.add(ProjectDatasetRow(project_pk=row.pk, version_pk=found))
            row.updated_at = utcnow()
        session.flush()
        return _entity(session, row)


def list_workers(
    db: Database, caller: Caller, organization_id: uuid.UUID, project_id: uuid.UUID
) -> list[Worker]:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        session = tx.session
        project_row(session, caller, organization_id, project_id)
        return _workers(session, organization_id)
