"""Datasets and their versions: finding, describing, creating, copying, deleting, and the
pictures a version holds."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pixlake._text import count_is
from pixlake.clock import utcnow
from pixlake.core.accounts import require_organization
from pixlake.core.datasets._rules import LATEST, check_name
from pixlake.entities.accounts import Caller
from pixlake.entities.datasets import DatasetVersion, Label, StoredVersion
from pixlake.errors import ResourceNotFoundError
from pixlake.store.db.engine import Database
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = [
    "VersionHeader",
    "get_version_header",
    "add_pictures",
    "create_dataset",
    "delete_version",
    "describe",
    "find_version",
    "get_version",
    "get_version_by_id",
    "get_version_pk",
    "link_pictures",
    "list_versions",
    "new_dataset",
    "new_version",
    "version_by_id",
]


def find_version(
    tx: UnitOfWork, organization_id: uuid.UUID, name: str, version: str | None
) -> StoredVersion:
    """The organization's version ``version`` of dataset ``name`` (``None`` or ``latest``:
    the newest)."""
    dataset_id = tx.datasets.dataset_named(organization_id, name)
    if dataset_id is None:
        raise ResourceNotFoundError(f"no dataset named {name!r} in this organization")
    found = tx.datasets.version_named(dataset_id, None if version in (None, LATEST) else version)
    if found is None:
        raise ResourceNotFoundError(f"dataset {name!r} has no version {version!r}")
    return found


def version_by_id(
    tx: UnitOfWork, organization_id: uuid.UUID, version_id: uuid.UUID
) -> StoredVersion:
    found = tx.datasets.version(organization_id, version_id)
    if found is None:
        raise ResourceNotFoundError(f"no dataset version {version_id} in this organization")
    return found


def describe(tx: UnitOfWork, version: StoredVersion) -> DatasetVersion:
    """What the API shows of a version: its counts, labels and origin."""
    size = tx.datasets.size(version.pk)
    nb_annotations = tx.annotations.count(version.pk)
    repartition = tx.annotations.repartition(version.pk)
    splits = tx.annotations.splits(version.pk)
    created_from = None
    if version.created_from_pk is not None:
        created_from = tx.datasets.version_name(version.created_from_pk)
    return DatasetVersion(
        id=version.id,
        dataset_id=version.dataset_id,
        organization_id=version.organization_id,
        name=version.name,
        version=version.version,
        description=version.description,
        private=version.private,
        created_at=version.created_at,
        created_from=created_from,
        size=size,
        labels=tuple(tx.annotations.labels(version.pk)),
        nb_annotations=nb_annotations,
        nb_objects=sum(repartition.values()),
        repartition=repartition,
        splits=splits,
    )


@dataclass(frozen=True, slots=True)
class VersionHeader:
    """What a page of a version shows above its pictures: no counts that read all of its
    annotations (``describe`` has them)."""

    id: uuid.UUID
    name: str
    version: str
    labels: tuple[Label, ...]
    size: int


def get_version_header(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, version_id: uuid.UUID
) -> VersionHeader:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        found = version_by_id(tx, organization_id, version_id)
        return VersionHeader(
            id=found.id,
            name=found.name,
            version=found.version,
            labels=tuple(tx.annotations.labels(found.pk)),
            size=tx.datasets.size(found.pk),
        )


def link_pictures(
    tx: UnitOfWork,
    organization_id: uuid.UUID,
    *,
    version_pk: int,
    picture_ids: Sequence[uuid.UUID],
) -> int:
    """Add datalake pictures to a version; every id must be a picture of the organization.
    Returns how many were new to the version."""
    pks = tx.pictures.keys(organization_id, picture_ids)
    if len(set(pks)) != len(set(picture_ids)):
        found = tx.datasets.known_pictures(organization_id, picture_ids)
        unknown = [str(i) for i in dict.fromkeys(picture_ids) if i not in found]
        raise ResourceNotFoundError(
            f"{count_is(len(unknown), 'picture')} not in this organization's datalake",
            details=[
                {"field": "pictures", "message": f"unknown picture {u}"} for u in unknown[:50]
            ],
        )
    before = tx.datasets.size(version_pk)
    tx.datasets.link(version_pk, pks)
    return tx.datasets.size(version_pk) - before


def new_dataset(
    tx: UnitOfWork,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    name: str,
    version: str,
    description: str,
    private: bool,
) -> StoredVersion:
    """A new dataset and its first (empty) version."""
    check_name(name, "name")
    check_name(version, "version")
    dataset_id = tx.datasets.add_dataset(organization_id, name)
    return tx.datasets.add_version(
        organization_id=organization_id,
        dataset_id=dataset_id,
        name=name,
        version=version,
        description=description,
        private=private,
        created_by=caller.user_id,
    )


# --------------------------------------------------------------------------- use cases


def list_versions(db: Database, caller: Caller, organization_id: uuid.UUID) -> list[DatasetVersion]:
    """Every version of every dataset of the organization, by dataset name then creation."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        return [describe(tx, v) for v in tx.datasets.versions(organization_id)]


def get_version(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    name: str,
    version: str | None = None,
) -> DatasetVersion:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        return describe(tx, find_version(tx, organization_id, name, version))


def get_version_by_id(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, version_id: uuid.UUID
) -> DatasetVersion:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        return describe(tx, version_by_id(tx, organization_id, version_id))


def get_version_pk(db: Database, organization_id: uuid.UUID, *, version_id: uuid.UUID) -> int:
    """The internal key of a version of the organization (for jobs that stream a version)."""
    with db.read() as tx:
        return version_by_id(tx, organization_id, version_id).pk


def create_dataset(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    name: str,
    picture_ids: Sequence[uuid.UUID],
    description: str = "",
    private: bool = True,
    version: str = "first",
) -> DatasetVersion:
    """A new dataset whose first version holds ``picture_ids``."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        created = new_dataset(
            tx,
            caller,
            organization_id,
            name=name,
            version=version,
            description=description,
            private=private,
        )
        link_pictures(tx, organization_id, version_pk=created.pk, picture_ids=picture_ids)
        return describe(tx, created)


def new_version(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    name: str,
    version: str,
    picture_ids: Sequence[uuid.UUID] = (),
    from_version: str = LATEST,
    description: str | None = None,
) -> DatasetVersion:
    """A new version copying ``from_version``'s pictures, labels and annotations (rows only),
    plus ``picture_ids``."""
    require_organization(caller, organization_id, write=True)
    check_name(version, "version")
    with db.transaction() as tx:
        base = find_version(tx, organization_id, name, from_version)
        created = tx.datasets.add_version(
            organization_id=organization_id,
            dataset_id=base.dataset_id,
            name=base.name,
            version=version,
            description=base.description if description is None else description,
            private=base.private,
            created_by=caller.user_id,
            created_from_pk=base.pk,
        )
        tx.datasets.copy_contents(base.pk, created.pk, now=utcnow())
        if picture_ids:
            link_pictures(tx, organization_id, version_pk=created.pk, picture_ids=picture_ids)
        return describe(tx, created)


def add_pictures(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    picture_ids: Sequence[uuid.UUID],
) -> int:
    """Add datalake pictures to a version (idempotent); returns how many were new to it."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        found = version_by_id(tx, organization_id, version_id)
        return link_pictures(tx, organization_id, version_pk=found.pk, picture_ids=picture_ids)


def delete_version(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    name: str,
    version: str | None = None,
) -> DatasetVersion:
    """Delete a version (its membership, labels and annotations, not the pictures).  The
    dataset goes with its last version."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        found = find_version(tx, organization_id, name, version)
        entity = describe(tx, found)
        tx.datasets.delete_version(found.pk)
        if not tx.datasets.version_count(found.dataset_id):
            tx.datasets.delete_dataset(found.dataset_id)
    return entity
