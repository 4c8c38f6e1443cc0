"""thumbnails: the small picture made once from an image blob, for the web UI's grids

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 19:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "thumbnails",
        sa.Column("source_digest", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_digest"],
            ["blobs.digest"],
            name=op.f("fk_thumbnails_source_digest_blobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["digest"],
            ["blobs.digest"],
            name=op.f("fk_thumbnails_digest_blobs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("source_digest", name=op.f("pk_thumbnails")),
    )
    with op.batch_alter_table("thumbnails") as batch:
        batch.create_index(batch.f("ix_thumbnails_digest"), ["digest"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("thumbnails") as batch:
        batch.drop_index(batch.f("ix_thumbnails_digest"))
    op.drop_table("thumbnails")
