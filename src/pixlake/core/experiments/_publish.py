"""Publishing: a network made from an experiment."""

from __future__ import annotations

import uuid

from pixlake.clock import utcnow
from pixlake.core import networks
from pixlake.core.accounts import require_organization
from pixlake.core.experiments._common import find_experiment
from pixlake.entities.accounts import Caller
from pixlake.entities.networks import Network, file_name_of
from pixlake.errors import AlreadyExistsError
from pixlake.store.db.engine import Database


def publish(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    experiment_id: uuid.UUID,
    name: str,
) -> Network:
    """A new network of the organization from the experiment's file assets (the same blobs,
    under the same file names) and its label map data asset if any, in one transaction."""
    require_organization(caller, organization_id, write=True)
    name = networks.check_name(name)
    with db.transaction() as tx:
        experiment = find_experiment(tx, organization_id, experiment_id)
        if tx.networks.name_taken(organization_id, name):
            raise AlreadyExistsError(
                f"a network named {name!r} already exists in this organization",
                details=[{"field": "name", "message": "network names are unique"}],
            )
        project = tx.projects.get(experiment.project_pk)
        labelmap = tx.experiments.data.labelmap(experiment.pk)
        labels = {str(k): str(v) for k, v in labelmap.items()} if isinstance(labelmap, dict) else {}
        made = tx.networks.add(
            organization_id,
            owner_id=caller.user_id,
            name=name,
            type=project.type or "unknown",
            description=f"published from experiment {experiment.name} of project {project.name}",
            labels=labels,
            at=utcnow(),
        )
        files = tx.experiments.files.of(experiment.pk)
        tx.networks.add_files(
            made.pk, [(f.name, f.digest, file_name_of(f.object_name)) for f in files]
        )
    return networks.get_network(db, caller, organization_id, ref=made.id)
