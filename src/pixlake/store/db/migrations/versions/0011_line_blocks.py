"""line blocks: each line's points summarized by block, so that a chart reads blocks

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 22:10:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from pixlake.store.db import lines

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: Blocks written to the new table at a time while the lines stored before it are summarized.
_BATCH = 1000


def upgrade() -> None:
    op.create_table(
        "line_blocks",
        sa.Column("asset_pk", sa.Integer(), nullable=False),
        sa.Column("block", sa.Integer(), nullable=False),
        sa.Column("first_value", sa.Float(), nullable=True),
        sa.Column("first_special", sa.String(length=9), nullable=True),
        sa.Column("last_idx", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("last_special", sa.String(length=9), nullable=True),
        sa.Column("low_idx", sa.Integer(), nullable=True),
        sa.Column("low", sa.Float(), nullable=True),
        sa.Column("high_idx", sa.Integer(), nullable=True),
        sa.Column("high", sa.Float(), nullable=True),
        sa.Column("nan_idx", sa.Integer(), nullable=True),
        sa.Column("inf_idx", sa.Integer(), nullable=True),
        sa.Column("ninf_idx", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asset_pk"],
            ["data_assets.pk"],
            name=op.f("fk_line_blocks_asset_pk_data_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_pk", "block", name=op.f("pk_line_blocks")),
    )
    _summarize_stored_lines()


def _summarize_stored_lines() -> None:
    """Summarize every line stored so far, block by block in index order."""
    bind = op.get_bind()
    points = sa.table(
        "line_points",
        sa.column("asset_pk", sa.Integer),
        sa.column("idx", sa.Integer),
        sa.column("value", sa.Float),
        sa.column("special", sa.String),
    )
    blocks = sa.table("line_blocks", sa.column("asset_pk"), *map(sa.column, lines.COLUMNS))
    assets = bind.execute(sa.select(points.c.asset_pk).distinct()).scalars().all()
    for asset in assets:
        rows = bind.execute(
            sa.select(points.c.idx, points.c.value, points.c.special)
            .where(points.c.asset_pk == asset)
            .order_by(points.c.idx)
        )
        pending: list[dict[str, Any]] = []
        block, ys = -1, list[Any]()
        for idx, value, special in rows:
            if idx // lines.BLOCK != block:
                if ys:
                    pending.append(_row(asset, block, ys))
                block, ys = idx // lines.BLOCK, []
            ys.append(special if special is not None else value)
            if len(pending) >= _BATCH:
                bind.execute(sa.insert(blocks), pending)
                pending = []
        if ys:
            pending.append(_row(asset, block, ys))
        if pending:
            bind.execute(sa.insert(blocks), pending)


def _row(asset: int, block: int, ys: list[Any]) -> dict[str, Any]:
    return {"asset_pk": asset, **lines.summarize(block * lines.BLOCK, ys).block_row()}


def downgrade() -> None:
    op.drop_table("line_blocks")
