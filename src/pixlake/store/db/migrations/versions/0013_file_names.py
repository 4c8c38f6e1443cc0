"""file names: an experiment's or a network's stored file keeps the name of the file stored

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 22:40:00

A stored file's object key ends with the stored file's own name (``<id>/best.pt``), as the
upstream client makes it, and downloads write that name. Until now the key ended with the
asset's name (``<id>/weights``), and a network file's key was not stored at all.

What is already stored gets its file name back where the database still has it: the key
the bytes were uploaded under through the upstream protocol (``storage_objects``, the same
bytes under the experiment's or network's prefix). Files stored through pixlake's own API
sent no file name: they keep the asset's name as their file name, which is the name their
downloads wrote so far.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_LATEST = "model-latest"

_objects = sa.table(
    "storage_objects",
    sa.column("organization_id", sa.Uuid),
    sa.column("bucket", sa.String),
    sa.column("key", sa.String),
    sa.column("digest", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
_experiments = sa.table(
    "experiments",
    sa.column("pk", sa.Integer),
    sa.column("id", sa.Uuid),
    sa.column("project_pk", sa.Integer),
)
_projects = sa.table("projects", sa.column("pk", sa.Integer), sa.column("organization_id", sa.Uuid))
_file_assets = sa.table(
    "file_assets",
    sa.column("pk", sa.Integer),
    sa.column("experiment_pk", sa.Integer),
    sa.column("name", sa.String),
    sa.column("digest", sa.String),
    sa.column("object_name", sa.String),
)
_networks = sa.table(
    "networks",
    sa.column("pk", sa.Integer),
    sa.column("id", sa.Uuid),
    sa.column("organization_id", sa.Uuid),
)
_network_files = sa.table(
    "network_files",
    sa.column("network_pk", sa.Integer),
    sa.column("name", sa.String),
    sa.column("digest", sa.String),
    sa.column("file_name", sa.String),
)


def _key(owner_id: Any, name: str, file_name: str) -> str:
    return f"{owner_id}/0/{file_name}" if name == _LATEST else f"{owner_id}/{file_name}"


def _uploaded_name(
    bind: sa.Connection, organization_id: Any, owner_id: Any, name: str, digest: str
) -> str | None:
    """The file name of the latest key these bytes were uploaded under, in the place the
    file's key would be (``<id>/<file>``, ``<id>/0/<file>`` for ``model-latest``)."""
    prefix = f"{owner_id}/0/" if name == _LATEST else f"{owner_id}/"
    keys = bind.execute(
        sa.select(_objects.c.key)
        .where(
            _objects.c.organization_id == organization_id,
            _objects.c.bucket == "models",
            _objects.c.digest == digest,
            _objects.c.key.startswith(prefix, autoescape=True),
        )
        .order_by(_objects.c.created_at.desc(), _objects.c.key)
    ).scalars()
    for key in keys:
        rest = key[len(prefix) :]
        if rest and "/" not in rest:
            return str(rest)
    return None


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("network_files") as batch:
        batch.add_column(sa.Column("file_name", sa.String(length=255), nullable=True))
    op.execute(_network_files.update().values(file_name=_network_files.c.name))
    stored = bind.execute(
        sa.select(
            _network_files.c.network_pk,
            _network_files.c.name,
            _network_files.c.digest,
            _networks.c.id,
            _networks.c.organization_id,
        ).join(_networks, _networks.c.pk == _network_files.c.network_pk)
    ).all()
    for network_pk, name, digest, network_id, organization_id in stored:
        found = _uploaded_name(bind, organization_id, network_id, name, digest)
        if found is not None:
            bind.execute(
                _network_files.update()
                .where(_network_files.c.network_pk == network_pk, _network_files.c.name == name)
                .values(file_name=found)
            )
    with op.batch_alter_table("network_files") as batch:
        batch.alter_column("file_name", existing_type=sa.String(length=255), nullable=False)

    files = bind.execute(
        sa.select(
            _file_assets.c.pk,
            _file_assets.c.name,
            _file_assets.c.digest,
            _file_assets.c.object_name,
            _experiments.c.id,
            _projects.c.organization_id,
        )
        .join(_experiments, _experiments.c.pk == _file_assets.c.experiment_pk)
        .join(_projects, _projects.c.pk == _experiments.c.project_pk)
    ).all()
    for pk, name, digest, key, experiment_id, organization_id in files:
        found = _uploaded_name(bind, organization_id, experiment_id, name, digest)
        if found is not None and _key(experiment_id, name, found) != key:
            bind.execute(
                _file_assets.update()
                .where(_file_assets.c.pk == pk)
                .values(object_name=_key(experiment_id, name, found))
            )


def downgrade() -> None:
    """Keys end with the asset's name again; the file names are lost."""
    bind = op.get_bind()
    files = bind.execute(
        sa.select(_file_assets.c.pk, _file_assets.c.name, _experiments.c.id).join(
            _experiments, _experiments.c.pk == _file_assets.c.experiment_pk
        )
    ).all()
    for pk, name, experiment_id in files:
        bind.execute(
            _file_assets.update()
            .where(_file_assets.c.pk == pk)
            .values(object_name=_key(experiment_id, name, name))
        )
    with op.batch_alter_table("network_files") as batch:
        batch.drop_column("file_name")
