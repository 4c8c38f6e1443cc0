"""Projects, the dataset versions attached to them, and their contributors."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from pixlake.entities.accounts import Organization
from pixlake.entities.projects import AttachedDataset, Project, Worker
from pixlake.store.db.models import (
    DatasetRow,
    DatasetVersionRow,
    MembershipRow,
    OrganizationRow,
    ProjectDatasetRow,
    ProjectRow,
    UserRow,
)
from pixlake.store.db.repositories._base import Repository

__all__ = ["ProjectRepository", "StoredProject"]


@dataclass(frozen=True, slots=True)
class StoredProject:
    """A project found: its key and what the services check (name, type)."""

    pk: int
    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    type: str


def _stored(row: ProjectRow) -> StoredProject:
    return StoredProject(row.pk, row.id, row.organization_id, row.name, row.type)


class ProjectRepository(Repository):
    __slots__ = ()

    # ----------------------------------------------------------------------- reading

    def find(self, organization_id: uuid.UUID, ref: str | uuid.UUID) -> StoredProject | None:
        """A project of the organization by id, else by name."""
        base = select(ProjectRow).where(ProjectRow.organization_id == organization_id)
        row = None
        try:
            row = self.session.scalar(base.where(ProjectRow.id == uuid.UUID(str(ref))))
        except ValueError:
            pass
        if row is None:
            row = self.session.scalar(base.where(ProjectRow.name == str(ref)))
        return None if row is None else _stored(row)

    def get(self, pk: int) -> StoredProject:
        return _stored(self.session.get_one(ProjectRow, pk))

    def name_taken(self, organization_id: uuid.UUID, name: str) -> bool:
        return bool(
            self.session.scalar(
                select(ProjectRow.pk).where(
                    ProjectRow.organization_id == organization_id, ProjectRow.name == name
                )
            )
        )

    def workers(self, organization_id: uuid.UUID) -> list[Worker]:
        """The organization's members, by username."""
        rows = self.session.execute(
            select(UserRow.id, UserRow.username, MembershipRow.role)
            .join(MembershipRow, MembershipRow.user_id == UserRow.id)
            .where(MembershipRow.organization_id == organization_id)
            .order_by(UserRow.username)
        ).all()
        return [Worker(i, u, r) for i, u, r in rows]

    def record(self, pk: int) -> Project:
        """The project with its manager, contributors and attached dataset versions."""
        return self._record(self.session.get_one(ProjectRow, pk))

    def records(self, organization_id: uuid.UUID) -> list[Project]:
        """The organization's projects in creation order."""
        rows = self.session.scalars(
            select(ProjectRow)
            .where(ProjectRow.organization_id == organization_id)
            .order_by(ProjectRow.pk)
        ).all()
        return [self._record(row) for row in rows]

    def _record(self, row: ProjectRow) -> Project:
        org = self.session.get(OrganizationRow, row.organization_id)
        workers = self.workers(row.organization_id)
        manager = next((w for w in workers if w.id == row.owner_id), None)
        if manager is None and row.owner_id is not None:
            user = self.session.get(UserRow, row.owner_id)
            manager = Worker(user.id, user.username, "") if user else None
        attached = self.session.execute(
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

    def dataset_version(
        self,
        organization_id: uuid.UUID,
        *,
        name: str,
        version: str,
        attached_to: int | None = None,
    ) -> int | None:
        """The key of the organization's dataset version ``name/version`` (only if attached
        to project ``attached_to``, when given)."""
        query = (
            select(DatasetVersionRow.pk)
            .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
            .where(
                DatasetRow.organization_id == organization_id,
                DatasetRow.name == name,
                DatasetVersionRow.version == version,
            )
        )
        if attached_to is not None:
            query = query.join(
                ProjectDatasetRow, ProjectDatasetRow.version_pk == DatasetVersionRow.pk
            ).where(ProjectDatasetRow.project_pk == attached_to)
        return self.session.scalar(query)

    # ----------------------------------------------------------------------- writing

    def add(
        self,
        organization_id: uuid.UUID,
        *,
        owner_id: uuid.UUID,
        name: str,
        description: str,
        type: str,
        at: datetime,
    ) -> StoredProject:
        row = ProjectRow(
            id=uuid.uuid4(),
            organization_id=organization_id,
            owner_id=owner_id,
            name=name,
            description=description,
            type=type,
            created_at=at,
            updated_at=at,
        )
        with self._guard(
            exists=f"a project named {name!r} already exists in this organization",
            missing=f"no organization {organization_id}",
        ):
            self.session.add(row)
        return _stored(row)

    def update(self, pk: int, values: Mapping[str, str], *, at: datetime) -> None:
        """Set ``name``, ``description`` or ``type`` (the keys of ``values``)."""
        row = self.session.get_one(ProjectRow, pk)
        name = values.get("name", row.name)
        with self._guard(exists=f"a project named {name!r} already exists in this organization"):
            for key in ("name", "description", "type"):
                if key in values:
                    setattr(row, key, values[key])
            row.updated_at = at

    def delete(self, pk: int) -> None:
        self.session.execute(delete(ProjectRow).where(ProjectRow.pk == pk))

    def attach(self, pk: int, version_pk: int, *, at: datetime) -> None:
        """Attach the dataset version (already attached: nothing changes)."""
        if self.session.get(ProjectDatasetRow, (pk, version_pk)) is not None:
            return
        with self._guard(missing="the project or the dataset version no longer exists"):
            self.session.add(ProjectDatasetRow(project_pk=pk, version_pk=version_pk))
            self.session.get_one(ProjectRow, pk).updated_at = at
