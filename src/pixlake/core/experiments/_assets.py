"""The named asset of an experiment: what file assets and data assets share.

Both are named uniquely within their experiment, found by that name (a missing one is a
``ResourceNotFoundError`` naming the experiment), renamed only to a free name, and deleted
one by one or all at once.  An ``AssetKind`` says which repository and which words.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pixlake.core.accounts import require_organization
from pixlake.core.experiments._common import find_experiment
from pixlake.entities.accounts import Caller
from pixlake.errors import AlreadyExistsError, ResourceNotFoundError
from pixlake.store.db.engine import Database
from pixlake.store.db.repositories import NamedAssetRepository, StoredExperiment
from pixlake.store.db.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class AssetKind:
    #: how messages name one asset of the kind: "a file", "data"
    one: str
    #: how messages name the kind: "file", "data"
    noun: str
    repository: Callable[[UnitOfWork], NamedAssetRepository]


FILES = AssetKind("a file", "file", lambda tx: tx.experiments.files)
DATA = AssetKind("data", "data", lambda tx: tx.experiments.data)


def require(tx: UnitOfWork, kind: AssetKind, experiment: StoredExperiment, name: str) -> int:
    """The key of the experiment's asset named so."""
    key = kind.repository(tx).key(experiment.pk, name)
    if key is None:
        raise ResourceNotFoundError(
            f"experiment {experiment.name!r} has no {kind.noun} named {name!r}"
        )
    return key


def require_free(tx: UnitOfWork, kind: AssetKind, experiment: StoredExperiment, name: str) -> None:
    """Refuse a name that another asset of the kind has in the experiment."""
    if kind.repository(tx).key(experiment.pk, name) is not None:
        raise AlreadyExistsError(
            f"experiment {experiment.name!r} already has {kind.one} named {name!r}",
            details=[{"field": "name", "message": f"{kind.noun} names are unique"}],
        )


def delete_one(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    kind: AssetKind,
    *,
    experiment_id: uuid.UUID,
    name: str,
) -> None:
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        kind.repository(tx).delete(require(tx, kind, experiment, name))


def delete_all(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    kind: AssetKind,
    *,
    experiment_id: uuid.UUID,
) -> None:
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        kind.repository(tx).delete_all(experiment.pk)
