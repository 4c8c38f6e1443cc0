"""The server's health: its database answers, and what it runs on."""

from __future__ import annotations

from dataclasses import dataclass

from pixlake.core.config import Settings
from pixlake.store.db.engine import Database

__all__ = ["HealthReport", "check_health"]


@dataclass(frozen=True, slots=True)
class HealthReport:
    #: The database's dialect ("sqlite", "postgresql"), once it has answered a query.
    database: str
    #: The blob store's URL scheme ("file", "s3").
    storage: str


def check_health(db: Database, settings: Settings) -> HealthReport:
    """Ask the database one query (its error is the answer when it does not respond)."""
    return HealthReport(database=db.ping(), storage=settings.storage_url.split(":", 1)[0])
