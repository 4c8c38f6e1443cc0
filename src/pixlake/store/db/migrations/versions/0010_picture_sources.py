"""picture sources: an index to list an organization's sources without reading its pictures

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 19:55:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pictures") as batch:
        batch.create_index("ix_pictures_organization_id_source", ["organization_id", "source"])


def downgrade() -> None:
    with op.batch_alter_table("pictures") as batch:
        batch.drop_index("ix_pictures_organization_id_source")
