"""Experiments, their file assets, data assets (line points) and run logs.

GET    /organizations/{org}/projects/{pid}/experiments                 the project's experiments
POST   /organizations/{org}/projects/{pid}/experiments                 create
DELETE /organizations/{org}/projects/{pid}/experiments                 delete them all
GET    /organizations/{org}/projects/{pid}/experiments/by-name/{name}  one, by name
GET    /organizations/{org}/experiments/{id}                           one (?with_data=true)
PATCH  /organizations/{org}/experiments/{id}                           {name, description, status}
DELETE /organizations/{org}/experiments/{id}                           delete with its assets
POST   /organizations/{org}/experiments/{id}/files                     store {name, sha256, large}
PATCH  /organizations/{org}/experiments/{id}/files/{name}              rename {name}
DELETE /organizations/{org}/experiments/{id}/files[/{name}]            delete one / all
GET    /organizations/{org}/experiments/{id}/files/{name}/content      the bytes (Range: 206)
GET    /organizations/{org}/experiments/{id}/data                      data assets (no data)
POST   /organizations/{org}/experiments/{id}/data                      log {name, type, data, ...}
GET    /organizations/{org}/experiments/{id}/data/{name}               one (?max_points=N)
PATCH  /organizations/{org}/experiments/{id}/data/{name}               {name, type, data}
DELETE /organizations/{org}/experiments/{id}/data[/{name}]             delete one / all
POST   /organizations/{org}/experiments/{id}/data/{name}/points        append {y, x?}
GET    /organizations/{org}/experiments/{id}/data/{name}/points        a line (?max_points=N)
POST   /organizations/{org}/experiments/{id}/logs                      append {lines, part, ...}
GET    /organizations/{org}/experiments/{id}/logs                      lines (?after=N)
POST   /organizations/{org}/experiments/{id}/publish                   a network {name}
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from pixlake.api.deps import CallerDep, DbDep, OrganizationDep, StoreDep, base_url
from pixlake.api.responses import BLOB_RESPONSES, blob_response
from pixlake.api.routers.networks import to_public as network_public
from pixlake.core import experiments as ex
from pixlake.entities.experiments import DataAsset, Experiment, FileAsset, LogPage
from pixlake.entities.networks import file_name_of
from pixlake.schemas.common import MAX_INT
from pixlake.schemas.experiments import (
    DataAssetCreate,
    DataAssetPublic,
    DataAssetUpdate,
    ExperimentCreate,
    ExperimentPublic,
    ExperimentUpdate,
    FileAssetCreate,
    FileAssetPublic,
    FileAssetUpdate,
    LogLinesCreate,
    PointsAppend,
    PublishRequest,
)
from pixlake.schemas.networks import NetworkPublic

router = APIRouter(tags=["experiments"])

PROJECT = "/organizations/{org_id}/projects/{project_id}/experiments"
ONE = "/organizations/{org_id}/experiments/{experiment_id}"
RangeHeader = Annotated[str | None, Header(alias="Range")]
MaxPoints = Annotated[
    int | None, Query(ge=1, le=MAX_INT, description="downsample a line to N points")
]


def file_public(
    f: FileAsset, base: str, org_id: uuid.UUID, experiment_id: uuid.UUID
) -> FileAssetPublic:
    return FileAssetPublic(
        id=f.id,
        name=f.name,
        object_name=f.object_name,
        file_name=file_name_of(f.object_name),
        large=f.large,
        sha256=f.digest,
        size=f.size,
        url=f"{base}/api/v1/organizations/{org_id}/experiments/{experiment_id}/files/"
        f"{quote(f.name, safe='')}/content",
        date_created=f.created_at,
        last_update=f.updated_at,
    )


def data_public(d: DataAsset) -> DataAssetPublic:
    return DataAssetPublic(
        id=d.id,
        name=d.name,
        type=d.type,
        data=d.data,
        size=d.size,
        date_created=d.created_at,
        last_update=d.updated_at,
    )


def to_public(e: Experiment, base: str) -> ExperimentPublic:
    return ExperimentPublic(
        id=e.id,
        name=e.name,
        description=e.description,
        status=e.status,
        owner={"id": str(e.owner[0]), "username": e.owner[1]} if e.owner else None,
        date_created=e.created_at,
        last_update=e.updated_at,
        project={"project_id": str(e.project_id), "project_name": e.project_name},
        dataset=(
            {
                "dataset_id": str(e.dataset[0]),
                "dataset_name": e.dataset[1],
                "version": e.dataset[2],
                "name": f"{e.dataset[1]}/{e.dataset[2]}",
            }
            if e.dataset
            else None
        ),
        previous=e.previous,
        source={"model_id": str(e.source[0]), "network_name": e.source[1]} if e.source else None,
        logging={"exit_code": e.exit_code, "nb_lines": e.nb_log_lines},
        files=[file_public(f, base, e.organization_id, e.id) for f in e.files],
        data=[data_public(d) for d in e.data],
    )


# --------------------------------------------------------------------------- experiments


@router.get(PROJECT, summary="The project's experiments")
def list_experiments(
    org: OrganizationDep, project_id: uuid.UUID, request: Request, caller: CallerDep, db: DbDep
) -> list[ExperimentPublic]:
    base = base_url(request)
    return [
        to_public(e, base) for e in ex.list_experiments(db, caller, org.id, project_id=project_id)
    ]


@router.post(PROJECT, status_code=status.HTTP_201_CREATED, summary="Create an experiment")
def create_experiment(
    org: OrganizationDep,
    project_id: uuid.UUID,
    body: ExperimentCreate,
    request: Request,
    caller: CallerDep,
    db: DbDep,
) -> ExperimentPublic:
    e = ex.create_experiment(
        db,
        caller,
        org.id,
        project_id=project_id,
        name=body.name,
        description=body.description,
        previous=body.previous,
        dataset=body.dataset,
        source=body.source,
        with_files=body.with_files,
        with_data=body.with_data,
    )
    return to_public(e, base_url(request))


@router.delete(PROJECT, summary="Delete every experiment of the project")
def delete_all_experiments(
    org: OrganizationDep, project_id: uuid.UUID, caller: CallerDep, db: DbDep
) -> dict[str, int]:
    return {"deleted": ex.delete_all_experiments(db, caller, org.id, project_id=project_id)}


@router.get(PROJECT + "/by-name/{name}", summary="One experiment of the project, by name")
def get_by_name(
    org: OrganizationDep,
    project_id: uuid.UUID,
    name: str,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    with_data: bool = False,
) -> ExperimentPublic:
    e = ex.get_experiment(db, caller, org.id, project_id=project_id, name=name, with_data=with_data)
    return to_public(e, base_url(request))


@router.get(ONE, summary="One experiment")
def get_experiment(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    with_data: bool = False,
) -> ExperimentPublic:
    e = ex.get_experiment(db, caller, org.id, experiment_id=experiment_id, with_data=with_data)
    return to_public(e, base_url(request))


@router.patch(ONE, summary="Change name, description, status or exit code")
def update_experiment(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    body: ExperimentUpdate,
    request: Request,
    caller: CallerDep,
    db: DbDep,
) -> ExperimentPublic:
    e = ex.update_experiment(
        db,
        caller,
        org.id,
        experiment_id=experiment_id,
        name=body.name,
        description=body.description,
        status=body.status,
        exit_code=body.exit_code,
    )
    return to_public(e, base_url(request))


@router.delete(ONE, status_code=status.HTTP_204_NO_CONTENT, summary="Delete an experiment")
def delete_experiment(
    org: OrganizationDep, experiment_id: uuid.UUID, caller: CallerDep, db: DbDep
) -> Response:
    ex.delete_experiment(db, caller, org.id, experiment_id=experiment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(ONE + "/publish", status_code=status.HTTP_201_CREATED, summary="Make a network")
def publish(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    body: PublishRequest,
    request: Request,
    caller: CallerDep,
    db: DbDep,
) -> NetworkPublic:
    network = ex.publish(db, caller, org.id, experiment_id=experiment_id, name=body.name)
    return network_public(network, base_url(request))


# --------------------------------------------------------------------------- files


@router.post(ONE + "/files", summary="Store a file asset for bytes already sent")
def store_file(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    body: FileAssetCreate,
    request: Request,
    caller: CallerDep,
    db: DbDep,
) -> FileAssetPublic:
    f = ex.store_file(
        db,
        caller,
        org.id,
        experiment_id=experiment_id,
        name=body.name,
        digest=body.sha256,
        large=body.large,
        file_name=body.file_name,
    )
    return file_public(f, base_url(request), org.id, experiment_id)


@router.patch(ONE + "/files/{name}", summary="Rename a file asset")
def update_file(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    name: str,
    body: FileAssetUpdate,
    request: Request,
    caller: CallerDep,
    db: DbDep,
) -> FileAssetPublic:
    f = ex.update_file(
        db, caller, org.id, experiment_id=experiment_id, name=name, new_name=body.name
    )
    return file_public(f, base_url(request), org.id, experiment_id)


@router.delete(ONE + "/files/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_file(
    org: OrganizationDep, experiment_id: uuid.UUID, name: str, caller: CallerDep, db: DbDep
) -> Response:
    ex.delete_file(db, caller, org.id, experiment_id=experiment_id, name=name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(ONE + "/files", status_code=status.HTTP_204_NO_CONTENT)
def delete_all_files(
    org: OrganizationDep, experiment_id: uuid.UUID, caller: CallerDep, db: DbDep
) -> Response:
    ex.delete_all_files(db, caller, org.id, experiment_id=experiment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    ONE + "/files/{name}/content",
    summary="A file asset's bytes",
    response_class=StreamingResponse,
    responses=BLOB_RESPONSES,
)
def file_content(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    name: str,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    range_header: RangeHeader = None,
) -> StreamingResponse:
    entity, stream = ex.open_file(db, store, caller, org.id, experiment_id=experiment_id, name=name)
    return blob_response(entity, stream, filename=name, range_header=range_header)


# --------------------------------------------------------------------------- data


@router.get(ONE + "/data", summary="The data assets (without their data)")
def list_data(
    org: OrganizationDep, experiment_id: uuid.UUID, caller: CallerDep, db: DbDep
) -> list[DataAssetPublic]:
    e = ex.get_experiment(db, caller, org.id, experiment_id=experiment_id)
    return [data_public(d) for d in e.data]


@router.post(ONE + "/data", summary="Log data: create, overwrite, or append to a line")
def log_data(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    body: DataAssetCreate,
    caller: CallerDep,
    db: DbDep,
) -> DataAssetPublic:
    d = ex.log_data(
        db,
        caller,
        org.id,
        experiment_id=experiment_id,
        name=body.name,
        type=body.type,
        data=body.data,
        replace=body.replace,
    )
    return data_public(d)


@router.get(ONE + "/data/{name}", summary="One data asset")
def get_data(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    name: str,
    caller: CallerDep,
    db: DbDep,
    max_points: MaxPoints = None,
) -> DataAssetPublic:
    return data_public(
        ex.get_data(
            db, caller, org.id, experiment_id=experiment_id, name=name, max_points=max_points
        )
    )


@router.patch(ONE + "/data/{name}", summary="Rename, retype or replace a data asset")
def update_data(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    name: str,
    body: DataAssetUpdate,
    caller: CallerDep,
    db: DbDep,
) -> DataAssetPublic:
    d = ex.update_data(
        db,
        caller,
        org.id,
        experiment_id=experiment_id,
        name=name,
        new_name=body.name,
        type=body.type,
        data=body.data,
    )
    return data_public(d)


@router.delete(ONE + "/data/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_data(
    org: OrganizationDep, experiment_id: uuid.UUID, name: str, caller: CallerDep, db: DbDep
) -> Response:
    ex.delete_data(db, caller, org.id, experiment_id=experiment_id, name=name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(ONE + "/data", status_code=status.HTTP_204_NO_CONTENT)
def delete_all_data(
    org: OrganizationDep, experiment_id: uuid.UUID, caller: CallerDep, db: DbDep
) -> Response:
    ex.delete_all_data(db, caller, org.id, experiment_id=experiment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(ONE + "/data/{name}/points", summary="Append points to a line (created if new)")
def append_points(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    name: str,
    body: PointsAppend,
    caller: CallerDep,
    db: DbDep,
) -> dict[str, int]:
    size = ex.append_points(
        db, caller, org.id, experiment_id=experiment_id, name=name, y=body.y, x=body.x
    )
    return {"size": size}


@router.get(ONE + "/data/{name}/points", summary="A line's points (maybe downsampled)")
def read_points(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    name: str,
    caller: CallerDep,
    db: DbDep,
    max_points: MaxPoints = None,
) -> Response:
    s = ex.read_points(
        db, caller, org.id, experiment_id=experiment_id, name=name, max_points=max_points
    )
    body: dict[str, Any] = {"name": name, "size": s.size, "idx": s.idx, "y": s.y, "x": s.x}
    return Response(json.dumps(body, separators=(",", ":")), media_type="application/json")


# --------------------------------------------------------------------------- logs


@router.post(ONE + "/logs", summary="Append numbered log lines (and maybe the exit code)")
def append_logs(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    body: LogLinesCreate,
    caller: CallerDep,
    db: DbDep,
) -> dict[str, int]:
    total = ex.append_logs(
        db,
        caller,
        org.id,
        experiment_id=experiment_id,
        lines=body.lines,
        part=body.part,
        exit_code=body.exit_code,
    )
    return {"lines": total}


@router.get(ONE + "/logs", summary="The run log: lines numbered above ?after")
def read_logs(
    org: OrganizationDep,
    experiment_id: uuid.UUID,
    caller: CallerDep,
    db: DbDep,
    after: Annotated[int, Query(ge=-1, le=MAX_INT)] = -1,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
) -> dict[str, Any]:
    page = ex.read_logs(db, caller, org.id, experiment_id=experiment_id, after=after, limit=limit)
    return logs_public(page)


def logs_public(page: LogPage) -> dict[str, Any]:
    """A page of the run log, as the experiment record's ``logging``: the lines by part
    (``logs``), each line's part, number, text and time, the exit code."""
    steps: dict[str, list[str]] = {}
    for _nb, part, text, _at in page.lines:
        steps.setdefault(part, []).append(text)
    return {
        "logs": steps,
        "steps": [p for _n, p, _t, _a in page.lines],
        "lines": [n for n, _p, _t, _a in page.lines],
        "texts": [t for _n, _p, t, _a in page.lines],
        "timestamps": [a.isoformat() for _n, _p, _t, a in page.lines],
        "exit_code": page.exit_code,
        "total": page.total,
    }
