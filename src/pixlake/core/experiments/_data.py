"""Data assets: JSON of a type (checked by ``pixlake.schemas.experiments.check_data``), except
a ``line``, whose points are rows (``_points``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pixlake.clock import utcnow
from pixlake.core.accounts import require_organization
from pixlake.core.blobs import require_held
from pixlake.core.experiments import _assets
from pixlake.core.experiments._common import (
    RECORD_POINTS,
    bad,
    check_asset_name,
    experiment_of_key,
    find_experiment,
)
from pixlake.core.experiments._points import write_points
from pixlake.entities.accounts import Caller
from pixlake.entities.experiments import DataAsset
from pixlake.entities.storage import StoredObject
from pixlake.errors import ResourceNotFoundError
from pixlake.schemas.experiments import check_data, check_line
from pixlake.store.db.engine import Database
from pixlake.store.db.repositories import StoredData, StoredExperiment
from pixlake.store.db.unit_of_work import UnitOfWork


def _held_data(tx: UnitOfWork, organization_id: uuid.UUID, kind: str, data: Any) -> Any:
    """``check_data``, and an image's bytes held by the organization: an image asset refers
    to bytes (garbage collection keeps them), so naming a digest is not enough."""
    checked = check_data(kind, data)
    if kind == "image" and "sha256" in checked:
        require_held(tx, organization_id, checked["sha256"], field="data.sha256")
    return checked


def _create(
    tx: UnitOfWork,
    organization_id: uuid.UUID,
    experiment: StoredExperiment,
    *,
    name: str,
    type: str | None,
    data: Any,
    at: datetime,
) -> int:
    if not type:
        raise bad("type", f"data {name!r} does not exist yet: its first log needs a type")
    checked = _held_data(tx, organization_id, type, data)
    asset = tx.experiments.data.add(
        experiment.pk,
        name=name,
        type=type,
        data=None if type == "line" else checked,
        has_x=False,
        at=at,
    )
    if type == "line":
        xs, ys = check_line(data)
        write_points(tx, asset, xs, ys, replace=True)
    return asset.pk


def _overwrite(
    tx: UnitOfWork,
    organization_id: uuid.UUID,
    asset: StoredData,
    *,
    kind: str,
    data: Any,
    append: bool,
    at: datetime | None,
) -> None:
    """Give the asset data of type ``kind``: a line's points replace the old ones, or follow
    them when ``append`` and the asset is a line already."""
    checked = _held_data(tx, organization_id, kind, data)
    if kind == "line":
        xs, ys = check_line(data)
        write_points(tx, asset, xs, ys, replace=not append or asset.type != "line")
        tx.experiments.data.set(asset.pk, type=kind, data=None, at=at)
    else:
        if asset.type == "line":
            tx.experiments.data.clear_points(asset.pk)
        tx.experiments.data.set(asset.pk, type=kind, data=checked, at=at)


def log_data(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
    type: str | None,
    data: Any,
    replace: bool = False,
) -> DataAsset:
    """Create data asset ``name`` (``type`` required then), or overwrite it; a ``line``
    without ``replace`` gets ``data`` appended."""
    require_organization(caller, organization_id, write=True)
    name = check_asset_name(name)
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        asset = tx.experiments.data.head(experiment.pk, name, lock=True)
        now = utcnow()
        if asset is None:
            key = _create(tx, organization_id, experiment, name=name, type=type, data=data, at=now)
        else:
            key = asset.pk
            kind = type or asset.type
            _overwrite(tx, organization_id, asset, kind=kind, data=data, append=not replace, at=now)
        return tx.experiments.data.record(key, with_data=True, max_points=RECORD_POINTS)


def get_data(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
    max_points: int | None = None,
) -> DataAsset:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        key = _assets.require(tx, _assets.DATA, experiment, name)
        return tx.experiments.data.record(key, with_data=True, max_points=max_points)


def update_data(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
    new_name: str | None = None,
    type: str | None = None,
    data: Any = None,
) -> DataAsset:
    require_organization(caller, organization_id, write=True)
    if new_name is not None:
        new_name = check_asset_name(new_name)
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        asset = tx.experiments.data.stored(_assets.require(tx, _assets.DATA, experiment, name))
        if new_name is not None and new_name != name:
            _assets.require_free(tx, _assets.DATA, experiment, new_name)
            tx.experiments.data.rename(asset.pk, name=new_name)
        kind = type or asset.type
        if data is not None or kind != asset.type:
            if data is None:
                raise bad("data", f"changing the type to {kind!r} needs data of that type")
            _overwrite(tx, organization_id, asset, kind=kind, data=data, append=False, at=None)
        tx.experiments.data.touch(asset.pk, at=utcnow())
        return tx.experiments.data.record(asset.pk, with_data=True, max_points=RECORD_POINTS)


def delete_data(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
) -> None:
    _assets.delete_one(
        db, caller, organization_id, _assets.DATA, experiment_id=experiment_id, name=name
    )


def delete_all_data(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, experiment_id: uuid.UUID
) -> None:
    _assets.delete_all(db, caller, organization_id, _assets.DATA, experiment_id=experiment_id)


def experiment_organization(db: Database, caller: Caller, experiment_id: uuid.UUID) -> uuid.UUID:
    """The organization of the caller's that holds the experiment, for clients that name an
    experiment by its id alone (the upstream protocol): one of another organization is not
    found, as one that does not exist. What the caller may do there, each service checks."""
    with db.read() as tx:
        for organization_id in caller.memberships:
            if tx.experiments.find(organization_id, experiment_id) is not None:
                return organization_id
    raise ResourceNotFoundError(f"no experiment {experiment_id} in your organizations")


def image_object(tx: UnitOfWork, organization_id: uuid.UUID, key: str) -> StoredObject | None:
    """The bytes of the image data asset whose ``object_name`` is ``key``
    (``<experiment_id>/...``), so that an image logged through pixlake's own API, which sent
    its bytes as a blob and named no storage key, downloads by key as one uploaded under it
    does. Of two images named alike, the one logged last."""
    experiment = experiment_of_key(tx, organization_id, key)
    if experiment is None:
        return None
    data = tx.experiments.data
    found: DataAsset | None = None
    for asset in data.of(experiment.pk, with_data=False, max_points=None):
        if asset.type != "image" or (found and found.updated_at >= asset.updated_at):
            continue
        asset_key = data.key(experiment.pk, asset.name)
        image = data.record(asset_key, with_data=True, max_points=None) if asset_key else None
        if image and image.data.get("object_name") == key and "sha256" in image.data:
            found = image
    if found is None:
        return None
    blob = tx.blobs.get(found.data["sha256"])
    return StoredObject(blob.digest, blob.size)
