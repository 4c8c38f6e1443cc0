"""networks: the model registry (networks, their files and tags)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "networks",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("framework", sa.String(length=100), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("readme_text", sa.Text(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("base_parameters", sa.JSON(), nullable=False),
        sa.Column("thumbnail_digest", sa.String(length=64), nullable=True),
        sa.Column("thumbnail_original_digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_networks_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_networks_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["thumbnail_digest"],
            ["blobs.digest"],
            name=op.f("fk_networks_thumbnail_digest_blobs"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["thumbnail_original_digest"],
            ["blobs.digest"],
            name=op.f("fk_networks_thumbnail_original_digest_blobs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_networks")),
        sa.UniqueConstraint("id", name=op.f("uq_networks_id")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_networks_organization_id")),
    )
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_networks_organization_id_pk", ["organization_id", "pk"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_networks_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_networks_private_pk", ["private", "pk"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_networks_thumbnail_digest"), ["thumbnail_digest"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_networks_thumbnail_original_digest"),
            ["thumbnail_original_digest"],
            unique=False,
        )

    op.create_table(
        "network_files",
        sa.Column("network_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest"],
            ["blobs.digest"],
            name=op.f("fk_network_files_digest_blobs"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["network_pk"],
            ["networks.pk"],
            name=op.f("fk_network_files_network_pk_networks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("network_pk", "name", name=op.f("pk_network_files")),
    )
    with op.batch_alter_table("network_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_files_digest"), ["digest"], unique=False)

    op.create_table(
        "network_tags",
        sa.Column("network_pk", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_pk"],
            ["networks.pk"],
            name=op.f("fk_network_tags_network_pk_networks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("network_pk", "tag", name=op.f("pk_network_tags")),
    )
    with op.batch_alter_table("network_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_tags_tag"), ["tag"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("network_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_tags_tag"))

    op.drop_table("network_tags")
    with op.batch_alter_table("network_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_files_digest"))

    op.drop_table("network_files")
    with op.batch_alter_table("networks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_networks_thumbnail_original_digest"))
        batch_op.drop_index(batch_op.f("ix_networks_thumbnail_digest"))
        batch_op.drop_index("ix_networks_private_pk")
        batch_op.drop_index(batch_op.f("ix_networks_owner_id"))
        batch_op.drop_index("ix_networks_organization_id_pk")

    op.drop_table("networks")
