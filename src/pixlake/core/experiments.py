"""Experiments of a project: file assets, data assets, line points, run logs, publishing.

* File assets reference blobs the organization already holds (no copy); the object key is
  ``<experiment_id>/<name>`` (``<experiment_id>/0/model-latest``).
* Data assets keep their JSON, validated by ``pixlake.schemas.experiments.check_data``,
  except ``line`` assets, whose points are rows (``LinePointRow``): an append inserts rows.
* The run log is numbered lines with a part (step) and a timestamp; the exit code is a
  column of the experiment.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from pixlake.core import networks
from pixlake.core.accounts import require_organization
from pixlake.core.blobs import require_held
from pixlake.core.projects import project_row
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import BlobEntity
from pixlake.errors import (
    AlreadyExistsError,
    InvalidInputError,
    ResourceNotFoundError,
)
from pixlake.names import file_name_problem
from pixlake.schemas.experiments import (
    MAX_DESCRIPTION,
    MAX_EXPERIMENT_NAME,
    check_data,
    check_line,
)
from pixlake.store.blobs import BlobStore
from pixlake.store.db.engine import Database
from pixlake.store.db.models import (
    BlobRow,
    DataAssetRow,
    DatasetRow,
    DatasetVersionRow,
    ExperimentRow,
    FileAssetRow,
    LinePointRow,
    LogLineRow,
    NetworkFileRow,
    NetworkRow,
    OrganizationBlobRow,
    OrganizationRow,
    ProjectDatasetRow,
    ProjectRow,
    UserRow,
    utcnow,
)
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = [
    "DataAsset",
    "Experiment",
    "FileAsset",
    "LogPage",
    "Series",
    "append_logs",
    "append_points",
    "create_experiment",
    "delete_all_data",
    "delete_all_experiments",
    "delete_all_files",
    "delete_data",
    "delete_experiment",
    "delete_file",
    "get_data",
    "get_experiment",
    "list_experiments",
    "log_data",
    "open_file",
    "publish",
    "read_logs",
    "read_points",
    "store_file",
    "update_data",
    "update_experiment",
    "update_file",
]

#: A line read inside a record is downsampled to this many points at most.
RECORD_POINTS = 1000
MAX_STATUS = 100
MAX_PART = 255
MAX_LINE = 100_000


# --------------------------------------------------------------------------- entities


@dataclass(frozen=True, slots=True)
class FileAsset:
    id: uuid.UUID
    name: str
    object_name: str
    large: bool
    digest: str
    size: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DataAsset:
    id: uuid.UUID
    name: str
    type: str
    data: Any
    size: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Experiment:
    id: uuid.UUID
    name: str
    description: str
    status: str
    owner: tuple[uuid.UUID, str] | None
    project_id: uuid.UUID
    project_name: str
    organization_id: uuid.UUID
    dataset: tuple[uuid.UUID, str, str] | None
    previous: str | None
    source: tuple[uuid.UUID, str] | None
    exit_code: int | None
    nb_log_lines: int
    files: tuple[FileAsset, ...]
    data: tuple[DataAsset, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Series:
    """A line's points (maybe downsampled): ``y``, ``x`` when the line has x values."""

    size: int
    idx: list[int]
    y: list[float | str]
    x: list[Any] | None


@dataclass(frozen=True, slots=True)
class LogPage:
    lines: list[tuple[int, str, str, datetime]]
    exit_code: int | None
    total: int


# --------------------------------------------------------------------------- helpers


def _bad(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", details=[{"field": field, "message": message}])


def _check_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise _bad(field, "expected a non-empty experiment name")
    if len(name) > MAX_EXPERIMENT_NAME:
        raise _bad(field, f"the name has {len(name)} characters; {MAX_EXPERIMENT_NAME} at most")
    if "/" in name or "\\" in name or "\x00" in name or name != name.strip():
        raise _bad(field, "an experiment name has no '/', '\\' or NUL, and no edge spaces")
    if name in (".", ".."):
        raise _bad(field, "expected a name other than '.' or '..': the SDK makes a folder of it")
    return name


def _check_description(text: object) -> str:
    if not isinstance(text, str):
        raise _bad("description", "expected a string")
    if len(text) > MAX_DESCRIPTION:
        raise _bad(
            "description", f"the description has {len(text)} characters; {MAX_DESCRIPTION} at most"
        )
    return text


def _check_asset_name(name: object, field: str = "name") -> str:
    if not isinstance(name, str):
        raise _bad(field, "expected a name")
    problem = file_name_problem(name)
    if problem:
        raise _bad(field, problem)
    return name


def object_name(experiment_id: uuid.UUID, name: str) -> str:
    return f"{experiment_id}/0/{name}" if name == "model-latest" else f"{experiment_id}/{name}"


def _row(
    session: Session, caller: Caller, organization_id: uuid.UUID, experiment_id: uuid.UUID
) -> ExperimentRow:
    row = session.scalar(
        select(ExperimentRow)
        .join(ProjectRow, ProjectRow.pk == ExperimentRow.project_pk)
        .where(ProjectRow.organization_id == organization_id, ExperimentRow.id == experiment_id)
    )
    if row is None:
        raise ResourceNotFoundError(f"no experiment {experiment_id} in this organization")
    return row


def _series(session: Session, asset: DataAssetRow, max_points: int | None) -> Series:
    count = (
        session.scalar(
            select(func.count()).select_from(LinePointRow).where(LinePointRow.asset_pk == asset.pk)
        )
        or 0
    )
    cols = [LinePointRow.idx, LinePointRow.value, LinePointRow.special]
    if asset.has_x:
        cols.append(LinePointRow.x)
    query = select(*cols).where(LinePointRow.asset_pk == asset.pk)
    if max_points is not None and 0 < max_points < count:
        # every stride-th point, and the last one: the series' shape at a bounded size
        stride = math.ceil(count / max_points)
        last = count - 1
        query = query.where((LinePointRow.idx % stride == 0) | (LinePointRow.idx == last))
    rows: list[Any] = list(session.execute(query.order_by(LinePointRow.idx)).all())
    return Series(
        size=count,
        idx=[r[0] for r in rows],
        y=[r[2] if r[2] is not None else (r[1] if r[1] is not None else "NaN") for r in rows],
        x=[r[3] for r in rows] if asset.has_x else None,
    )


def _asset_data(session: Session, asset: DataAssetRow, max_points: int | None) -> tuple[Any, int]:
    if asset.type != "line":
        return asset.data, 0
    series = _series(session, asset, max_points)
    data: Any = series.y if series.x is None else {"x": series.x, "y": series.y}
    return data, series.size


def _data_entity(
    session: Session, asset: DataAssetRow, *, with_data: bool, max_points: int | None
) -> DataAsset:
    data, size = _asset_data(session, asset, max_points) if with_data else (None, 0)
    return DataAsset(
        asset.id,
        asset.name,
        asset.type,
        data,
        size if asset.type == "line" and with_data else None,
        asset.created_at,
        asset.updated_at,
    )


def _files(session: Session, experiment_pk: int) -> list[FileAsset]:
    rows = session.execute(
        select(FileAssetRow, BlobRow.size)
        .join(BlobRow, BlobRow.digest == FileAssetRow.digest)
        .where(FileAssetRow.experiment_pk == experiment_pk)
        .order_by(FileAssetRow.name)
    ).all()
    return [
        FileAsset(f.id, f.name, f.object_name, f.large, f.digest, size, f.created_at, f.updated_at)
        for f, size in rows
    ]


def _entity(session: Session, row: ExperimentRow, *, with_data: bool = False) -> Experiment:
    project = session.get_one(ProjectRow, row.project_pk)
    owner = session.get(UserRow, row.owner_id) if row.owner_id else None
    dataset = None
    if row.dataset_version_pk is not None:
        found = session.execute(
            select(DatasetVersionRow.id, DatasetRow.name, DatasetVersionRow.version)
            .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
            .where(DatasetVersionRow.pk == row.dataset_version_pk)
        ).one_or_none()
        dataset = (found[0], found[1], found[2]) if found else None
    previous = (
        session.scalar(select(ExperimentRow.name).where(ExperimentRow.pk == row.previous_pk))
        if row.previous_pk
        else None
    )
    source = None
    if row.source_network_pk is not None:
        net = session.get(NetworkRow, row.source_network_pk)
        source = (net.id, net.name) if net else None
    assets = session.scalars(
        select(DataAssetRow).where(DataAssetRow.experiment_pk == row.pk).order_by(DataAssetRow.name)
    )
    nb_lines = (
        session.scalar(
            select(func.count()).select_from(LogLineRow).where(LogLineRow.experiment_pk == row.pk)
        )
        or 0
    )
    return Experiment(
        id=row.id,
        name=row.name,
        description=row.description,
        status=row.status,
        owner=(owner.id, owner.username) if owner else None,
        project_id=project.id,
        project_name=project.name,
        organization_id=project.organization_id,
        dataset=dataset,
        previous=previous,
        source=source,
        exit_code=row.exit_code,
        nb_log_lines=nb_lines,
        files=tuple(_files(session, row.pk)),
        data=tuple(
            _data_entity(session, a, with_data=with_data, max_points=RECORD_POINTS) for a in assets
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _touch(row: ExperimentRow) -> None:
    row.updated_at = utcnow()


def _resolve_source(session: Session, caller: Caller, ref: str) -> NetworkRow:
    """``"<organization or username>/<network>"``: a network of the caller's organizations,
    or a public one of another organization."""
    parts = ref.split("/")
    if len(parts) != 2 or not all(parts):
        raise _bad("source", f"{ref!r}: expected '<organization or username>/<network name>'")
    owner, name = parts
    org_id = session.scalar(select(OrganizationRow.id).where(OrganizationRow.name == owner))
    if org_id is None:
        org_id = session.scalar(
            select(UserRow.default_organization_id).where(UserRow.username == owner)
        )
    net = None
    if org_id is not None:
        net = session.scalar(
            select(NetworkRow).where(NetworkRow.organization_id == org_id, NetworkRow.name == name)
        )
    if net is None or (net.private and caller.role_in(net.organization_id) is None):
        raise ResourceNotFoundError(
            f"source: no network {ref!r} among yours or the public ones",
            details=[{"field": "source", "message": "unknown network"}],
        )
    return net


def _copy_assets(
    session: Session, source: ExperimentRow, target: ExperimentRow, *, files: bool, data: bool
) -> None:
    now = utcnow()
    if files:
        for f in session.scalars(
            select(FileAssetRow).where(FileAssetRow.experiment_pk == source.pk)
        ):
            session.add(
                FileAssetRow(
                    id=uuid.uuid4(),
                    experiment_pk=target.pk,
                    name=f.name,
                    digest=f.digest,
                    object_name=object_name(target.id, f.name),
                    large=f.large,
                    created_at=now,
                    updated_at=now,
                )
            )
    if data:
        for a in list(
            session.scalars(select(DataAssetRow).where(DataAssetRow.experiment_pk == source.pk))
        ):
            copy = DataAssetRow(
                id=uuid.uuid4(),
                experiment_pk=target.pk,
                name=a.name,
                type=a.type,
                data=a.data,
                has_x=a.has_x,
                created_at=now,
                updated_at=now,
            )
            session.add(copy)
            session.flush()
            if a.type == "line":
                points = session.execute(
                    select(
                        LinePointRow.idx, LinePointRow.value, LinePointRow.special, LinePointRow.x
                    ).where(LinePointRow.asset_pk == a.pk)
                ).all()
                if points:
                    session.execute(
                        insert(LinePointRow),
                        [
                            {"asset_pk": copy.pk, "idx": i, "value": v, "special": s, "x": x}
                            for i, v, s, x in points
                        ],
                    )


# --------------------------------------------------------------------------- experiments


def create_experiment(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    project_id: uuid.UUID,
    *,
    name: str,
    description: str = "",
    previous: str | None = None,
    dataset: str | None = None,
    source: str | None = None,
    with_files: bool = False,
    with_data: bool = False,
) -> Experiment:
    require_organization(caller, organization_id, write=True)
    name = _check_name(name)
    description = _check_description(description)
    with db.transaction() as tx:
        session = tx.session
        project = project_row(session, caller, organization_id, project_id)
        if session.scalar(
            select(ExperimentRow.pk).where(
                ExperimentRow.project_pk == project.pk, ExperimentRow.name == name
            )
        ):
            raise AlreadyExistsError(
                f"an experiment named {name!r} already exists in project {project.name!r}",
                details=[{"field": "name", "message": "names are unique per project"}],
            )
        prev_row = None
        if previous is not None:
            prev_row = session.scalar(
                select(ExperimentRow).where(
                    ExperimentRow.project_pk == project.pk, ExperimentRow.name == previous
                )
            )
            if prev_row is None:
                raise ResourceNotFoundError(
                    f"previous: no experiment {previous!r} in project {project.name!r}",
                    details=[{"field": "previous", "message": "unknown experiment"}],
                )
        version_pk = None
        if dataset is not None:
            parts = dataset.split("/")
            if len(parts) != 2 or not all(parts):
                raise _bad("dataset", f"{dataset!r}: expected '<name>/<version>'")
            version_pk = session.scalar(
                select(DatasetVersionRow.pk)
                .join(DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id)
                .join(ProjectDatasetRow, ProjectDatasetRow.version_pk == DatasetVersionRow.pk)
                .where(
                    DatasetRow.organization_id == organization_id,
                    DatasetRow.name == parts[0],
                    DatasetVersionRow.version == parts[1],
                    ProjectDatasetRow.project_pk == project.pk,
                )
            )
            if version_pk is None:
                raise ResourceNotFoundError(
                    f"dataset: no dataset version {dataset!r} attached to project "
                    f"{project.name!r} (attach it with Project.attach_dataset first)",
                    details=[{"field": "dataset", "message": "unknown or not attached"}],
                )
        net = _resolve_source(session, caller, source) if source is not None else None
        now = utcnow()
        row = ExperimentRow(
            id=uuid.uuid4(),
            project_pk=project.pk,
            owner_id=caller.user_id,
            name=name,
            description=description,
            status="started",
            previous_pk=prev_row.pk if prev_row else None,
            dataset_version_pk=version_pk,
            source_network_pk=net.pk if net else None,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        if prev_row is not None and (with_files or with_data):
            _copy_assets(session, prev_row, row, files=with_files, data=with_data)
        if net is not None:
            for f in session.scalars(
                select(NetworkFileRow).where(NetworkFileRow.network_pk == net.pk)
            ):
                if net.organization_id != organization_id:
                    _hold(session, organization_id, f.digest)
                session.merge(
                    FileAssetRow(
                        id=uuid.uuid4(),
                        experiment_pk=row.pk,
                        name=f.name,
                        digest=f.digest,
                        object_name=object_name(row.id, f.name),
                        large=False,
                        created_at=now,
                        updated_at=now,
                    )
                )
            if net.labels:
                session.add(
                    DataAssetRow(
                        id=uuid.uuid4(),
                        experiment_pk=row.pk,
                        name="labelmap",
                        type="labelmap",
                        data=dict(net.labels),
                        created_at=now,
                        updated_at=now,
                    )
                )
        session.flush()
        return _entity(session, row)


def _hold(session: Session, organization_id: uuid.UUID, digest: str) -> None:
    """Let the organization hold bytes it received from a public network."""
    if session.get(OrganizationBlobRow, (organization_id, digest)) is None:
        session.add(OrganizationBlobRow(organization_id=organization_id, digest=digest))


def list_experiments(
    db: Database, caller: Caller, organization_id: uuid.UUID, project_id: uuid.UUID
) -> list[Experiment]:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        session = tx.session
        project = project_row(session, caller, organization_id, project_id)
        rows = session.scalars(
            select(ExperimentRow)
            .where(ExperimentRow.project_pk == project.pk)
            .order_by(ExperimentRow.pk)
        )
        return [_entity(session, r) for r in rows]


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
    """An experiment by id, or by name within a project."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        session = tx.session
        if experiment_id is not None:
            row = _row(session, caller, organization_id, experiment_id)
        else:
            if project_id is None or name is None:
                raise _bad("name", "an experiment is found by id, or by project and name")
            project = project_row(session, caller, organization_id, project_id)
            found = session.scalar(
                select(ExperimentRow).where(
                    ExperimentRow.project_pk == project.pk, ExperimentRow.name == name
                )
            )
            if found is None:
                raise ResourceNotFoundError(
                    f"no experiment named {name!r} in project {project.name!r}"
                )
            row = found
        return _entity(session, row, with_data=with_data)


def update_experiment(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    *,
    name: str | None = None,
    description: str | None = None,
    status: str | None = None,
    exit_code: int | None = None,
) -> Experiment:
    require_organization(caller, organization_id, write=True)
    if name is not None:
        name = _check_name(name)
    if description is not None:
        description = _check_description(description)
    if status is not None and (not status.strip() or len(status) > MAX_STATUS):
        raise _bad("status", f"expected a non-empty status of {MAX_STATUS} characters at most")
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        if name is not None and name != row.name:
            if session.scalar(
                select(ExperimentRow.pk).where(
                    ExperimentRow.project_pk == row.project_pk, ExperimentRow.name == name
                )
            ):
                raise AlreadyExistsError(
                    f"an experiment named {name!r} already exists in this project",
                    details=[{"field": "name", "message": "names are unique per project"}],
                )
            row.name = name
        if description is not None:
            row.description = description
        if status is not None:
            row.status = status
        if exit_code is not None:
            row.exit_code = exit_code
        _touch(row)
        session.flush()
        return _entity(session, row)


def delete_experiment(
    db: Database, caller: Caller, organization_id: uuid.UUID, experiment_id: uuid.UUID
) -> None:
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        session.execute(delete(ExperimentRow).where(ExperimentRow.pk == row.pk))


def delete_all_experiments(
    db: Database, caller: Caller, organization_id: uuid.UUID, project_id: uuid.UUID
) -> int:
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        session = tx.session
        project = project_row(session, caller, organization_id, project_id)
        result = session.execute(
            delete(ExperimentRow).where(ExperimentRow.project_pk == project.pk)
        )
        return int(getattr(result, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- file assets


def _file_row(session: Session, row: ExperimentRow, name: str) -> FileAssetRow:
    found = session.scalar(
        select(FileAssetRow).where(FileAssetRow.experiment_pk == row.pk, FileAssetRow.name == name)
    )
    if found is None:
        raise ResourceNotFoundError(f"experiment {row.name!r} has no file named {name!r}")
    return found


def store_file(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    *,
    name: str,
    digest: str,
    large: bool = False,
) -> FileAsset:
    """Record ``name`` for bytes the organization holds (a second store replaces them)."""
    require_organization(caller, organization_id, write=True)
    name = _check_asset_name(name)
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        digest = require_held(tx, organization_id, digest)
        now = utcnow()
        found = session.scalar(
            select(FileAssetRow).where(
                FileAssetRow.experiment_pk == row.pk, FileAssetRow.name == name
            )
        )
        if found is None:
            found = FileAssetRow(
                id=uuid.uuid4(),
                experiment_pk=row.pk,
                name=name,
                digest=digest,
                object_name=object_name(row.id, name),
                large=large,
                created_at=now,
                updated_at=now,
            )
            session.add(found)
        else:
            found.digest, found.large, found.updated_at = digest, large, now
        _touch(row)
        session.flush()
        return next(f for f in _files(session, row.pk) if f.name == name)


def update_file(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    name: str,
    *,
    new_name: str,
) -> FileAsset:
    require_organization(caller, organization_id, write=True)
    new_name = _check_asset_name(new_name)
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        found = _file_row(session, row, name)
        if new_name != name:
            if session.scalar(
                select(FileAssetRow.pk).where(
                    FileAssetRow.experiment_pk == row.pk, FileAssetRow.name == new_name
                )
            ):
                raise AlreadyExistsError(
                    f"experiment {row.name!r} already has a file named {new_name!r}",
                    details=[{"field": "name", "message": "file names are unique"}],
                )
            found.name = new_name
            found.object_name = object_name(row.id, new_name)
            found.updated_at = utcnow()
        session.flush()
        return next(f for f in _files(session, row.pk) if f.name == new_name)


def delete_file(
    db: Database, caller: Caller, organization_id: uuid.UUID, experiment_id: uuid.UUID, name: str
) -> None:
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        found = _file_row(session, row, name)
        session.execute(delete(FileAssetRow).where(FileAssetRow.pk == found.pk))


def delete_all_files(
    db: Database, caller: Caller, organization_id: uuid.UUID, experiment_id: uuid.UUID
) -> None:
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        session.execute(delete(FileAssetRow).where(FileAssetRow.experiment_pk == row.pk))


def open_file(
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    name: str,
) -> tuple[BlobEntity, BinaryIO]:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        found = _file_row(session, row, name)
        blob = session.get_one(BlobRow, found.digest)
        entity = BlobEntity(blob.digest, blob.size, blob.media_type, blob.width, blob.height)
    try:
        return entity, store.open(entity.digest)
    except FileNotFoundError:
        raise ResourceNotFoundError(
            f"the bytes of file {name!r} are missing from storage; store it again"
        ) from None


# --------------------------------------------------------------------------- data assets


def _asset(session: Session, row: ExperimentRow, name: str) -> DataAssetRow:
    found = session.scalar(
        select(DataAssetRow).where(DataAssetRow.experiment_pk == row.pk, DataAssetRow.name == name)
    )
    if found is None:
        raise ResourceNotFoundError(f"experiment {row.name!r} has no data named {name!r}")
    return found


def _points(
    asset_pk: int, start: int, xs: list[Any] | None, ys: Sequence[float | str]
) -> list[dict[str, Any]]:
    """Rows for a bulk insert (the same keys in every row; ``x`` only when the line has x)."""
    rows = [
        {"asset_pk": asset_pk, "idx": start + i, "value": None, "special": y}
        if isinstance(y, str)
        else {"asset_pk": asset_pk, "idx": start + i, "value": float(y), "special": None}
        for i, y in enumerate(ys)
    ]
    if xs is not None:
        for row, x in zip(rows, xs, strict=True):
            row["x"] = x
    return rows


def _write_points(
    session: Session,
    asset: DataAssetRow,
    xs: list[Any] | None,
    ys: list[float | str],
    *,
    replace: bool,
) -> None:
    if replace:
        session.execute(delete(LinePointRow).where(LinePointRow.asset_pk == asset.pk))
        asset.has_x = xs is not None
        start = 0
    else:
        if (xs is not None) != asset.has_x:
            raise _bad(
                "x",
                "this line has x values: send {'x': [...], 'y': [...]}"
                if asset.has_x
                else "this line has no x values: send a list of numbers",
            )
        last = session.scalar(
            select(func.max(LinePointRow.idx)).where(LinePointRow.asset_pk == asset.pk)
        )
        start = 0 if last is None else last + 1
    rows = _points(asset.pk, start, xs, ys)
    if rows:
        # Core insert (executemany): no ORM bookkeeping per point
        session.execute(insert(LinePointRow.__table__), rows)  # type: ignore[arg-type]


def _held_data(tx: UnitOfWork, organization_id: uuid.UUID, kind: str, data: Any) -> Any:
    """``check_data``, and an image's bytes held by the organization: an image asset refers
    to bytes (garbage collection keeps them), so naming a digest is not enough."""
    checked = check_data(kind, data)
    if kind == "image" and "sha256" in checked:
        require_held(tx, organization_id, checked["sha256"], field="data.sha256")
    return checked


def log_data(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    *,
    name: str,
    type: str | None,
    data: Any,
    replace: bool = False,
) -> DataAsset:
    """Create data asset ``name`` (``type`` required then), or overwrite it; a ``line``
    without ``replace`` gets ``data`` appended."""
    require_organization(caller, organization_id, write=True)
    name = _check_asset_name(name)
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        asset = session.scalar(
            select(DataAssetRow)
            .where(DataAssetRow.experiment_pk == row.pk, DataAssetRow.name == name)
            .with_for_update()
        )
        now = utcnow()
        if asset is None:
            if not type:
                raise _bad("type", f"data {name!r} does not exist yet: its first log needs a type")
            checked = _held_data(tx, organization_id, type, data)
            asset = DataAssetRow(
                id=uuid.uuid4(),
                experiment_pk=row.pk,
                name=name,
                type=type,
                data=None if type == "line" else checked,
                has_x=False,
                created_at=now,
                updated_at=now,
            )
            session.add(asset)
            session.flush()
            if type == "line":
                xs, ys = check_line(data)
                _write_points(session, asset, xs, ys, replace=True)
        else:
            kind = type or asset.type
            checked = _held_data(tx, organization_id, kind, data)
            if kind == "line":
                xs, ys = check_line(data)
                _write_points(session, asset, xs, ys, replace=replace or asset.type != "line")
                asset.data = None
            else:
                if asset.type == "line":
                    session.execute(delete(LinePointRow).where(LinePointRow.asset_pk == asset.pk))
                asset.data = checked
            asset.type = kind
            asset.updated_at = now
        session.flush()
        return _data_entity(session, asset, with_data=True, max_points=RECORD_POINTS)


def append_points(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    name: str,
    *,
    y: list[Any],
    x: list[Any] | None = None,
    type_if_new: bool = True,
) -> int:
    """Append points to line ``name`` (created when missing); returns the line's size."""
    require_organization(caller, organization_id, write=True)
    name = _check_asset_name(name)
    xs, ys = check_line({"x": x, "y": y} if x is not None else y, "y" if x is None else "data")
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        asset = session.scalar(
            select(DataAssetRow)
            .where(DataAssetRow.experiment_pk == row.pk, DataAssetRow.name == name)
            .with_for_update()
        )
        now = utcnow()
        if asset is None:
            if not type_if_new:
                raise ResourceNotFoundError(f"experiment {row.name!r} has no data named {name!r}")
            asset = DataAssetRow(
                id=uuid.uuid4(),
                experiment_pk=row.pk,
                name=name,
                type="line",
                data=None,
                has_x=xs is not None,
                created_at=now,
                updated_at=now,
            )
            session.add(asset)
            session.flush()
        elif asset.type != "line":
            raise _bad(
                "type",
                f"data {name!r} is a {asset.type!r} asset: points can only be appended to a "
                "'line' (log it with replace=True and type='line' to change its type)",
            )
        _write_points(session, asset, xs, ys, replace=False)
        asset.updated_at = now
        session.flush()
        return (
            session.scalar(
                select(func.count())
                .select_from(LinePointRow)
                .where(LinePointRow.asset_pk == asset.pk)
            )
            or 0
        )


def get_data(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    name: str,
    *,
    max_points: int | None = None,
) -> DataAsset:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        return _data_entity(
            session, _asset(session, row, name), with_data=True, max_points=max_points
        )


def read_points(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    name: str,
    *,
    max_points: int | None = None,
) -> Series:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        asset = _asset(session, row, name)
        if asset.type != "line":
            raise _bad("name", f"data {name!r} is a {asset.type!r} asset, not a line")
        return _series(session, asset, max_points)


def update_data(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    name: str,
    *,
    new_name: str | None = None,
    type: str | None = None,
    data: Any = None,
) -> DataAsset:
    require_organization(caller, organization_id, write=True)
    if new_name is not None:
        new_name = _check_asset_name(new_name)
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        asset = _asset(session, row, name)
        if new_name is not None and new_name != name:
            if session.scalar(
                select(DataAssetRow.pk).where(
                    DataAssetRow.experiment_pk == row.pk, DataAssetRow.name == new_name
                )
            ):
                raise AlreadyExistsError(
                    f"experiment {row.name!r} already has data named {new_name!r}",
                    details=[{"field": "name", "message": "data names are unique"}],
                )
            asset.name = new_name
        kind = type or asset.type
        if data is not None or kind != asset.type:
            if data is None:
                raise _bad("data", f"changing the type to {kind!r} needs data of that type")
            checked = _held_data(tx, organization_id, kind, data)
            if kind == "line":
                xs, ys = check_line(data)
                _write_points(session, asset, xs, ys, replace=True)
                asset.data = None
            else:
                session.execute(delete(LinePointRow).where(LinePointRow.asset_pk == asset.pk))
                asset.data = checked
            asset.type = kind
        asset.updated_at = utcnow()
        session.flush()
        return _data_entity(session, asset, with_data=True, max_points=RECORD_POINTS)


def delete_data(
    db: Database, caller: Caller, organization_id: uuid.UUID, experiment_id: uuid.UUID, name: str
) -> None:
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        asset = _asset(session, row, name)
        session.execute(delete(DataAssetRow).where(DataAssetRow.pk == asset.pk))


def delete_all_data(
    db: Database, caller: Caller, organization_id: uuid.UUID, experiment_id: uuid.UUID
) -> None:
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        session.execute(delete(DataAssetRow).where(DataAssetRow.experiment_pk == row.pk))


# --------------------------------------------------------------------------- run logs


def append_logs(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    *,
    lines: Sequence[str],
    part: str = "",
    exit_code: int | None = None,
) -> int:
    """Append numbered lines (and maybe the exit code); returns the number of lines."""
    require_organization(caller, organization_id, write=True)
    if len(part) > MAX_PART:
        raise _bad("part", f"longer than {MAX_PART} characters")
    for i, line in enumerate(lines):
        if len(line) > MAX_LINE:
            raise _bad(f"lines[{i}]", f"longer than {MAX_LINE} characters")
    with db.transaction() as tx:
        session = tx.session
        row = session.scalar(
            select(ExperimentRow)
            .join(ProjectRow, ProjectRow.pk == ExperimentRow.project_pk)
            .where(ProjectRow.organization_id == organization_id, ExperimentRow.id == experiment_id)
            .with_for_update()
        )
        if row is None:
            raise ResourceNotFoundError(f"no experiment {experiment_id} in this organization")
        last = session.scalar(
            select(func.max(LogLineRow.line_nb)).where(LogLineRow.experiment_pk == row.pk)
        )
        start = 0 if last is None else last + 1
        now = utcnow()
        if lines:
            session.execute(
                insert(LogLineRow),
                [
                    {
                        "experiment_pk": row.pk,
                        "line_nb": start + i,
                        "part": part,
                        "text": t,
                        "at": now,
                    }
                    for i, t in enumerate(lines)
                ],
            )
        if exit_code is not None:
            row.exit_code = exit_code
        _touch(row)
        return start + len(lines)


def read_logs(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    *,
    after: int = -1,
    limit: int = 10_000,
) -> LogPage:
    """Lines numbered above ``after`` (readable while the run goes on)."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        rows = session.execute(
            select(LogLineRow.line_nb, LogLineRow.part, LogLineRow.text, LogLineRow.at)
            .where(LogLineRow.experiment_pk == row.pk, LogLineRow.line_nb > after)
            .order_by(LogLineRow.line_nb)
            .limit(limit)
        ).all()
        total = (
            session.scalar(
                select(func.count())
                .select_from(LogLineRow)
                .where(LogLineRow.experiment_pk == row.pk)
            )
            or 0
        )
        return LogPage([(n, p, t, a) for n, p, t, a in rows], row.exit_code, total)


# --------------------------------------------------------------------------- publish


def publish(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    experiment_id: uuid.UUID,
    *,
    name: str,
) -> networks.Network:
    """A new network of the organization from the experiment's file assets (the same blobs)
    and its label map data asset if any, in one transaction."""
    require_organization(caller, organization_id, write=True)
    name = networks.check_name(name)
    with db.transaction() as tx:
        session = tx.session
        row = _row(session, caller, organization_id, experiment_id)
        if session.scalar(
            select(NetworkRow.pk).where(
                NetworkRow.organization_id == organization_id, NetworkRow.name == name
            )
        ):
            raise AlreadyExistsError(
                f"a network named {name!r} already exists in this organization",
                details=[{"field": "name", "message": "network names are unique"}],
            )
        project = session.get_one(ProjectRow, row.project_pk)
        labels: dict[str, str] = {}
        labelmap = session.scalar(
            select(DataAssetRow.data)
            .where(DataAssetRow.experiment_pk == row.pk, DataAssetRow.type == "labelmap")
            .order_by(DataAssetRow.name)
            .limit(1)
        )
        if isinstance(labelmap, dict):
            labels = {str(k): str(v) for k, v in labelmap.items()}
        now = utcnow()
        net = NetworkRow(
            id=uuid.uuid4(),
            organization_id=organization_id,
            owner_id=caller.user_id,
            name=name,
            type=project.type or "unknown",
            framework="",
            private=True,
            description=f"published from experiment {row.name} of project {project.name}",
            readme_text="",
            labels=labels,
            base_parameters={},
            created_at=now,
            updated_at=now,
        )
        session.add(net)
        session.flush()
        for f in session.scalars(select(FileAssetRow).where(FileAssetRow.experiment_pk == row.pk)):
            session.add(NetworkFileRow(network_pk=net.pk, name=f.name, digest=f.digest))
        session.flush()
    return networks.get_network(db, caller, organization_id, net.id)
