"""File assets: names within an experiment for bytes the organization holds (no copy).

The object key is ``<experiment_id>/<name>`` (``<experiment_id>/0/model-latest``).
"""

from __future__ import annotations

import uuid
from typing import BinaryIO

from pixlake.clock import utcnow
from pixlake.core.accounts import require_organization
from pixlake.core.blobs import require_held
from pixlake.core.experiments import _assets
from pixlake.core.experiments._common import check_asset_name, find_experiment
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import BlobEntity
from pixlake.entities.experiments import FileAsset
from pixlake.entities.networks import object_name
from pixlake.errors import ResourceNotFoundError
from pixlake.store.blobs import BlobStore
from pixlake.store.db.engine import Database
from pixlake.store.db.repositories import NewFile


def store_file(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
    digest: str,
    large: bool = False,
) -> FileAsset:
    """Record ``name`` for bytes the organization holds (a second store replaces them)."""
    require_organization(caller, organization_id, write=True)
    name = check_asset_name(name)
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        digest = require_held(tx, organization_id, digest)
        now = utcnow()
        files = tx.experiments.files
        key = files.key(experiment.pk, name)
        if key is None:
            new = NewFile(name, digest, object_name(experiment.id, name), large)
            key = files.add(experiment.pk, [new], at=now)[0]
        else:
            files.replace(key, digest=digest, large=large, at=now)
        tx.experiments.update(experiment.pk, at=now)
        return files.record(key)


def update_file(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
    new_name: str,
) -> FileAsset:
    require_organization(caller, organization_id, write=True)
    new_name = check_asset_name(new_name)
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        key = _assets.require(tx, _assets.FILES, experiment, name)
        if new_name != name:
            _assets.require_free(tx, _assets.FILES, experiment, new_name)
            tx.experiments.files.rename(
                key, name=new_name, object_name=object_name(experiment.id, new_name), at=utcnow()
            )
        return tx.experiments.files.record(key)


def delete_file(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
) -> None:
    _assets.delete_one(
        db, caller, organization_id, _assets.FILES, experiment_id=experiment_id, name=name
    )


def delete_all_files(
    db: Database, caller: Caller, organization_id: uuid.UUID, *, experiment_id: uuid.UUID
) -> None:
    _assets.delete_all(db, caller, organization_id, _assets.FILES, experiment_id=experiment_id)


def open_file(
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
) -> tuple[BlobEntity, BinaryIO]:
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        key = _assets.require(tx, _assets.FILES, experiment, name)
        entity = tx.blobs.get(tx.experiments.files.digest(key))
    try:
        return entity, store.open(entity.digest)
    except FileNotFoundError:
        raise ResourceNotFoundError(
            f"the bytes of file {name!r} are missing from storage; store it again"
        ) from None
