"""Rows 60 to 66 of the wire table: an experiment's data assets.

GET    /experiment/{id}/data          every data asset, with its data: {"data_assets": [...]}
PUT    /experiment/{id}/data          {"0": {name, data, type}}: the first log of a name
DELETE /experiment/{id}/data          every data asset
GET    /experiment/{id}/data/{name}   {"data_asset": record}; 404 when missing, which is how
                                      the client's ``log`` knows to create it
PATCH  /experiment/{id}/data/{name}   {name?, data?, type?}: rename, retype, replace
POST   /experiment/{id}/data/{name}   {data: points, type: "line"}: append to a line
DELETE /experiment/{id}/data/{name}   one data asset

The client names an experiment by its id alone: the organization is the caller's that holds
it. Two things differ from pixlake's own API, both in what the client sends:

- a logged image is uploaded first, by form, under ``<experiment id>/<path as given>`` in
  the models bucket, and named by that key only: the key is resolved to the bytes sent,
  which the asset then holds (``sha256``) as an image logged with pixlake's SDK does; and
  the image logged with pixlake's SDK, named by a key nothing was uploaded under, downloads
  by that key too (``storage.resolvers``);
- a line may be logged one number at a time (``log("loss", 0.5, type="line")``): a number
  is a line of one point.

A data asset's name travels back in the URL's path, unescaped: the services refuse, where a
name is given, one that a path would cut or change (``#``, ``%``...).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import RootModel

from pixlake.api.deps import CallerDep, DbDep
from pixlake.api.routers.experiments import data_public
from pixlake.api.upstream import storage
from pixlake.api.upstream._wire import WireModel, body_of, created, ok
from pixlake.core import experiments as ex
from pixlake.core import object_storage
from pixlake.entities.accounts import Caller
from pixlake.entities.experiments import DataAsset
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from pixlake.store.db.engine import Database

__all__ = ["router"]

router = APIRouter(tags=["experiment_data"])

storage.register_resolver(ex.image_object)


@dataclass(frozen=True, slots=True)
class Run:
    """The experiment of the path, and the organization of the caller's that holds it."""

    organization_id: uuid.UUID
    experiment_id: uuid.UUID


def _run(experiment_id: str, caller: CallerDep, db: DbDep) -> Run:
    try:
        parsed = uuid.UUID(experiment_id)
    except ValueError:
        raise ResourceNotFoundError(
            f"no experiment {experiment_id[:60]!r}: an experiment is named by its id"
        ) from None
    return Run(ex.experiment_organization(db, caller, parsed), parsed)


RunDep = Annotated[Run, Depends(_run)]


def _bad(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", details=[{"field": field, "message": message}])


def _sent(db: Database, caller: Caller, run: Run, kind: str | None, data: Any) -> Any:
    """``data`` of type ``kind`` as pixlake stores it: a number logged to a line is a line of
    one point; an image named by the key its bytes were uploaded under holds those bytes."""
    if kind == "line" and isinstance(data, int | float) and not isinstance(data, bool):
        return [data]
    key = data.get("object_name") if isinstance(data, dict) else None
    if kind == "image" and isinstance(key, str) and "sha256" not in data:
        stored = object_storage.uploaded(db, caller, run.organization_id, bucket="models", key=key)
        return {**data, "sha256": stored.digest}
    return data


def _one(asset: DataAsset) -> dict[str, Any]:
    return {"data_asset": data_public(asset)}


# --------------------------------------------------------------------------- rows 60-62


@router.get("/experiment/{experiment_id}/data", summary="Every data asset, with its data")
def list_data(run: RunDep, caller: CallerDep, db: DbDep) -> Response:
    found = ex.get_experiment(
        db, caller, run.organization_id, experiment_id=run.experiment_id, with_data=True
    )
    return ok({"data_assets": [data_public(d) for d in found.data]})


class Logged(WireModel):
    name: str
    data: Any = None
    type: str | None = None


class FirstLog(RootModel[dict[str, Logged]]):
    """``{"0": {name, data, type}}``: one data asset, under its index."""


@router.put("/experiment/{experiment_id}/data", summary="Log data for the first time")
def create_data(
    run: RunDep,
    caller: CallerDep,
    db: DbDep,
    body: FirstLog = Depends(body_of(FirstLog)),  # noqa: B008
) -> Response:
    if len(body.root) != 1:
        raise _bad("body", "expected one data asset, as {'0': {'name', 'data', 'type'}}")
    (logged,) = body.root.values()
    asset = ex.log_data(
        db,
        caller,
        run.organization_id,
        experiment_id=run.experiment_id,
        name=logged.name,
        type=logged.type,
        data=_sent(db, caller, run, logged.type, logged.data),
        replace=True,
    )
    return created(_one(asset))


@router.delete("/experiment/{experiment_id}/data", summary="Delete every data asset")
def delete_all_data(run: RunDep, caller: CallerDep, db: DbDep) -> Response:
    ex.delete_all_data(db, caller, run.organization_id, experiment_id=run.experiment_id)
    return ok()


# --------------------------------------------------------------------------- rows 63-66


@router.get("/experiment/{experiment_id}/data/{name}", summary="One data asset (404: none)")
def get_data(run: RunDep, name: str, caller: CallerDep, db: DbDep) -> Response:
    asset = ex.get_data(db, caller, run.organization_id, experiment_id=run.experiment_id, name=name)
    return ok(_one(asset))


class Change(WireModel):
    name: str | None = None
    data: Any = None
    type: str | None = None


@router.patch("/experiment/{experiment_id}/data/{name}", summary="Rename, retype or replace")
def update_data(
    run: RunDep,
    name: str,
    caller: CallerDep,
    db: DbDep,
    body: Change = Depends(body_of(Change)),  # noqa: B008
) -> Response:
    asset = ex.update_data(
        db,
        caller,
        run.organization_id,
        experiment_id=run.experiment_id,
        name=name,
        new_name=body.name,
        type=body.type,
        data=None if body.data is None else _sent(db, caller, run, body.type, body.data),
    )
    return ok(_one(asset))


class Points(WireModel):
    data: Any = None
    type: str | None = "line"


@router.post("/experiment/{experiment_id}/data/{name}", summary="Append points to a line")
def append_data(
    run: RunDep,
    name: str,
    caller: CallerDep,
    db: DbDep,
    body: Points = Depends(body_of(Points)),  # noqa: B008
) -> Response:
    if body.type not in (None, "line"):
        raise _bad("type", f"points are appended to a 'line', not to a {body.type!r}")
    size = ex.append_line(
        db,
        caller,
        run.organization_id,
        experiment_id=run.experiment_id,
        name=name,
        points=_sent(db, caller, run, "line", body.data),
    )
    return ok({"name": name, "size": size})


@router.delete("/experiment/{experiment_id}/data/{name}", summary="Delete one data asset")
def delete_data(run: RunDep, name: str, caller: CallerDep, db: DbDep) -> Response:
    ex.delete_data(db, caller, run.organization_id, experiment_id=run.experiment_id, name=name)
    return ok()
