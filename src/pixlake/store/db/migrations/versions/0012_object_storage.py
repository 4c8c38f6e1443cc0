"""object storage: keys of buckets, multipart uploads and signed URLs, for S3 clients

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 22:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_objects",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("bucket", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["digest"],
            ["blobs.digest"],
            name=op.f("fk_storage_objects_digest_blobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_storage_objects_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organization_id", "bucket", "key", name=op.f("pk_storage_objects")
        ),
    )
    with op.batch_alter_table("storage_objects") as batch:
        batch.create_index(batch.f("ix_storage_objects_digest"), ["digest"], unique=False)
    op.create_table(
        "storage_uploads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("bucket", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_storage_uploads_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_uploads")),
    )
    op.create_table(
        "storage_tickets",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=6), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("bucket", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("max_size", sa.BigInteger(), nullable=True),
        sa.Column("upload_id", sa.Uuid(), nullable=True),
        sa.Column("part_no", sa.Integer(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["digest"],
            ["blobs.digest"],
            name=op.f("fk_storage_tickets_digest_blobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_storage_tickets_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["storage_uploads.id"],
            name=op.f("fk_storage_tickets_upload_id_storage_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_storage_tickets")),
    )
    with op.batch_alter_table("storage_tickets") as batch:
        batch.create_index(batch.f("ix_storage_tickets_digest"), ["digest"], unique=False)
        batch.create_index(batch.f("ix_storage_tickets_expires_at"), ["expires_at"], unique=False)
        batch.create_index(batch.f("ix_storage_tickets_upload_id"), ["upload_id"], unique=False)


def downgrade() -> None:
    op.drop_table("storage_tickets")
    op.drop_table("storage_uploads")
    op.drop_table("storage_objects")
