"""projects: projects, experiments, their file and data assets, line points and run logs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 02:58:19.724561
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "projects",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_projects_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_projects_owner_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_projects")),
        sa.UniqueConstraint("id", name=op.f("uq_projects_id")),
        sa.UniqueConstraint("organization_id", "name", name=op.f("uq_projects_organization_id")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "experiments",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_pk", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=100), nullable=False),
        sa.Column("previous_pk", sa.Integer(), nullable=True),
        sa.Column("dataset_version_pk", sa.Integer(), nullable=True),
        sa.Column("source_network_pk", sa.Integer(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_pk"],
            ["dataset_versions.pk"],
            name=op.f("fk_experiments_dataset_version_pk_dataset_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_experiments_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["previous_pk"],
            ["experiments.pk"],
            name=op.f("fk_experiments_previous_pk_experiments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_pk"],
            ["projects.pk"],
            name=op.f("fk_experiments_project_pk_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_network_pk"],
            ["networks.pk"],
            name=op.f("fk_experiments_source_network_pk_networks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_experiments")),
        sa.UniqueConstraint("id", name=op.f("uq_experiments_id")),
        sa.UniqueConstraint("project_pk", "name", name=op.f("uq_experiments_project_pk")),
    )
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_experiments_dataset_version_pk"), ["dataset_version_pk"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_experiments_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_experiments_previous_pk"), ["previous_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_experiments_source_network_pk"), ["source_network_pk"], unique=False
        )

    op.create_table(
        "project_datasets",
        sa.Column("project_pk", sa.Integer(), nullable=False),
        sa.Column("version_pk", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_pk"],
            ["projects.pk"],
            name=op.f("fk_project_datasets_project_pk_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_pk"],
            ["dataset_versions.pk"],
            name=op.f("fk_project_datasets_version_pk_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_pk", "version_pk", name=op.f("pk_project_datasets")),
    )
    with op.batch_alter_table("project_datasets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_datasets_version_pk"), ["version_pk"], unique=False
        )

    op.create_table(
        "data_assets",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("experiment_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("has_x", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_pk"],
            ["experiments.pk"],
            name=op.f("fk_data_assets_experiment_pk_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_data_assets")),
        sa.UniqueConstraint("experiment_pk", "name", name=op.f("uq_data_assets_experiment_pk")),
        sa.UniqueConstraint("id", name=op.f("uq_data_assets_id")),
    )
    op.create_table(
        "file_assets",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("experiment_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("object_name", sa.String(length=400), nullable=False),
        sa.Column("large", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest"],
            ["blobs.digest"],
            name=op.f("fk_file_assets_digest_blobs"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["experiment_pk"],
            ["experiments.pk"],
            name=op.f("fk_file_assets_experiment_pk_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_file_assets")),
        sa.UniqueConstraint("experiment_pk", "name", name=op.f("uq_file_assets_experiment_pk")),
        sa.UniqueConstraint("id", name=op.f("uq_file_assets_id")),
    )
    with op.batch_alter_table("file_assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_file_assets_digest"), ["digest"], unique=False)

    op.create_table(
        "log_lines",
        sa.Column("experiment_pk", sa.Integer(), nullable=False),
        sa.Column("line_nb", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_pk"],
            ["experiments.pk"],
            name=op.f("fk_log_lines_experiment_pk_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_pk", "line_nb", name=op.f("pk_log_lines")),
    )
    op.create_table(
        "line_points",
        sa.Column("asset_pk", sa.Integer(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("special", sa.String(length=9), nullable=True),
        sa.Column("x", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_pk"],
            ["data_assets.pk"],
            name=op.f("fk_line_points_asset_pk_data_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_pk", "idx", name=op.f("pk_line_points")),
    )


def downgrade() -> None:

    op.drop_table("line_points")
    op.drop_table("log_lines")
    with op.batch_alter_table("file_assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_file_assets_digest"))

    op.drop_table("file_assets")
    op.drop_table("data_assets")
    with op.batch_alter_table("project_datasets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_datasets_version_pk"))

    op.drop_table("project_datasets")
    with op.batch_alter_table("experiments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_experiments_source_network_pk"))
        batch_op.drop_index(batch_op.f("ix_experiments_previous_pk"))
        batch_op.drop_index(batch_op.f("ix_experiments_owner_id"))
        batch_op.drop_index(batch_op.f("ix_experiments_dataset_version_pk"))

    op.drop_table("experiments")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_owner_id"))

    op.drop_table("projects")
