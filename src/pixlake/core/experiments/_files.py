"""File assets: names within an experiment for bytes the organization holds (no copy).

A file asset keeps the name of the file it was stored from (``best.pt`` for
``store("weights", "runs/best.pt")``, the zip's for a zipped folder), as the upstream client
does: its object key is ``<experiment_id>/<file name>`` (``<experiment_id>/0/<file name>``
for ``model-latest``), and both SDKs download it under that file name. A file stored
without one is named as the asset.

Clients written for S3 read a file by its key (``pixlake.core.object_storage``): storing a
file makes its key name those bytes, whichever API stored it, and :func:`file_under_key`
finds the file of a key that no upload named (one stored before keys were kept).
"""

from __future__ import annotations

import uuid
from typing import BinaryIO

from pixlake.clock import utcnow
from pixlake.core.accounts import require_organization
from pixlake.core.blobs import require_held
from pixlake.core.experiments import _assets
from pixlake.core.experiments._common import (
    check_asset_name,
    check_stored_file_name,
    experiment_of_key,
    find_experiment,
)
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import BlobEntity
from pixlake.entities.experiments import FileAsset
from pixlake.entities.networks import file_name_of, object_name
from pixlake.entities.storage import StoredObject
from pixlake.errors import ResourceNotFoundError
from pixlake.store.blobs import BlobStore
from pixlake.store.db.engine import Database
from pixlake.store.db.repositories import NewFile
from pixlake.store.db.unit_of_work import UnitOfWork


def _name_key(tx: UnitOfWork, organization_id: uuid.UUID, key: str, digest: str) -> None:
    """Make the object key of a file name its bytes (an upload under the key may have named
    others, before the file was stored again by digest)."""
    size = tx.blobs.get(digest).size
    tx.storage.put_object(organization_id, "models", key, StoredObject(digest, size), at=utcnow())


def store_file(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
    digest: str,
    large: bool = False,
    file_name: str | None = None,
) -> FileAsset:
    """Record ``name`` for bytes the organization holds, stored from a file named
    ``file_name`` (a second store replaces them; without a file name, a new file is named
    as the asset and a replaced one keeps its file name)."""
    require_organization(caller, organization_id, write=True)
    name = check_asset_name(name)
    if file_name is not None:
        file_name = check_stored_file_name(file_name)
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        digest = require_held(tx, organization_id, digest)
        now = utcnow()
        files = tx.experiments.files
        key = files.key(experiment.pk, name)
        if key is None:
            stored_as = object_name(experiment.id, name, file_name)
            key = files.add(experiment.pk, [NewFile(name, digest, stored_as, large)], at=now)[0]
        else:
            current = file_name_of(files.record(key).object_name)
            stored_as = object_name(experiment.id, name, file_name or current)
            files.replace(key, digest=digest, large=large, at=now, object_name=stored_as)
        _name_key(tx, organization_id, stored_as, digest)
        tx.experiments.update(experiment.pk, at=now)
        return files.record(key)


def update_file(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
    new_name: str | None = None,
    digest: str | None = None,
    large: bool | None = None,
    file_name: str | None = None,
) -> FileAsset:
    """Change file asset ``name``, which must exist: rename it, give it other bytes (stored
    from a file named ``file_name``) or another ``large`` flag, all at once."""
    require_organization(caller, organization_id, write=True)
    if new_name is not None:
        new_name = check_asset_name(new_name)
    if file_name is not None:
        file_name = check_stored_file_name(file_name)
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        key = _assets.require(tx, _assets.FILES, experiment, name)
        files = tx.experiments.files
        before = files.record(key)
        final = name
        if new_name is not None and new_name != name:
            _assets.require_free(tx, _assets.FILES, experiment, new_name)
            final = new_name
        stored_as = object_name(experiment.id, final, file_name or file_name_of(before.object_name))
        now = utcnow()
        if digest is not None or large is not None or stored_as != before.object_name:
            digest = before.digest if digest is None else require_held(tx, organization_id, digest)
            files.replace(
                key,
                digest=digest,
                large=before.large if large is None else large,
                at=now,
                object_name=stored_as,
            )
            _name_key(tx, organization_id, stored_as, digest)
            tx.experiments.update(experiment.pk, at=now)
        if final != name:
            files.rename(key, name=final, object_name=stored_as, at=now)
        return files.record(key)


def get_file(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
) -> FileAsset | None:
    """File asset ``name`` of the experiment, or ``None`` when it has none of that name (the
    experiment itself must exist)."""
    require_organization(caller, organization_id, write=False)
    with db.read() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        key = tx.experiments.files.key(experiment.pk, name)
        return None if key is None else tx.experiments.files.record(key)


def file_under_key(tx: UnitOfWork, organization_id: uuid.UUID, key: str) -> StoredObject | None:
    """The bytes of the organization's file asset whose object key is ``key``
    (``<experiment_id>/<file name>``), for a key that no upload named: a file stored before
    keys were kept, or copied from another experiment or a network."""
    experiment = experiment_of_key(tx, organization_id, key)
    if experiment is None:
        return None
    found = tx.experiments.files.under_key(experiment.pk, key)
    return None if found is None else StoredObject(found.digest, found.size)


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
