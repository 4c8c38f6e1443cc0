"""Which of the caller's organizations a version is in, for clients that name a version (or
an experiment, for its dataset) by id alone: the upstream client's paths carry a dataset's
id without its organization (``annotation/{dataset_id}``, ``experiment/{id}/dl_annotations``).

A version of an organization the caller is not in is not found, worded as one that does not
exist, so that ids of other organizations tell nothing.
"""

from __future__ import annotations

import uuid

from pixlake.entities.accounts import Caller
from pixlake.errors import ResourceNotFoundError
from pixlake.store.db.engine import Database

__all__ = ["experiment_version", "version_organization"]


def version_organization(db: Database, caller: Caller, version_id: uuid.UUID) -> uuid.UUID:
    """The organization, among the caller's, of version ``version_id``."""
    with db.read() as tx:
        for organization_id in caller.memberships:
            if tx.datasets.version(organization_id, version_id) is not None:
                return organization_id
    raise ResourceNotFoundError(f"no dataset version {version_id} in your organizations")


def experiment_version(
    db: Database, caller: Caller, experiment_id: uuid.UUID
) -> tuple[uuid.UUID, uuid.UUID]:
    """The organization, among the caller's, of experiment ``experiment_id``, and the id of
    the dataset version attached to it."""
    with db.read() as tx:
        for organization_id in caller.memberships:
            found = tx.experiments.find(organization_id, experiment_id)
            if found is None:
                continue
            dataset = tx.experiments.record(found.pk).dataset
            if dataset is None:
                raise ResourceNotFoundError(
                    f"experiment {found.name!r} has no dataset attached: create it with "
                    "dataset='<name>/<version>'"
                )
            return organization_id, dataset[0]
    raise ResourceNotFoundError(f"no experiment {experiment_id} in your organizations")
