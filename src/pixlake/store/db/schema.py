"""Schema versioning: Alembic migrations, applied by ``pixlake migrate``.

A new, empty database is created at the newest revision on first start (zero set-up); a
database at an older revision is refused with a pointer to ``pixlake migrate``, so that an
upgrade is always a deliberate step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from pixlake import errors
from pixlake.store.db.engine import Database

__all__ = ["SchemaState", "downgrade", "ensure_schema", "schema_state", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


class OutdatedSchemaError(errors.PicselliaError):
    code = "outdated_schema"
    title = "Database schema out of date"
    prefix = ""


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str
    empty: bool

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", db.url)
    return config


def schema_state(db: Database) -> SchemaState:
    head = ScriptDirectory.from_config(_config(db)).get_current_head()
    assert head is not None, "no migrations shipped"
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        empty = not inspect(conn).get_table_names()
    return SchemaState(current=current, head=head, empty=empty)


def upgrade(db: Database, revision: str = "head") -> SchemaState:
    """Apply every pending migration."""
    from alembic import command

    config = _config(db)
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return schema_state(db)


def downgrade(db: Database, revision: str) -> SchemaState:
    """Undo the migrations after ``revision`` (with the pixlake that made them: back up the
    database first)."""
    from alembic import command

    config = _config(db)
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
    return schema_state(db)


def ensure_schema(db: Database) -> SchemaState:
    """Create a new database, accept an up-to-date one, refuse an outdated one."""
    state = schema_state(db)
    if state.up_to_date:
        return state
    if state.current is None and state.empty:
        return upgrade(db)
    if state.current is None:
        raise OutdatedSchemaError(
            f"the database at {db.url} has tables but no pixlake schema version; "
            "point PIXLAKE_DATABASE_URL at a pixlake database or an empty one"
        )
    raise OutdatedSchemaError(
        f"the database at {db.url} is at schema revision {state.current}, this pixlake "
        f"needs {state.head}: run `pixlake migrate` to upgrade it (back it up first)"
    )
