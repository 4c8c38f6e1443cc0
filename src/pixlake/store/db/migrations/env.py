"""Alembic environment.  pixlake runs migrations programmatically (``pixlake migrate``); the
connection to migrate is handed over in ``config.attributes["connection"]``."""

from __future__ import annotations

from alembic import context

from pixlake.store.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when run by the alembic command itself
    raise RuntimeError("run migrations with `pixlake migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
