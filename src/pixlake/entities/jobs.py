"""Background jobs: their state, progress and outcome."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

__all__ = ["UNFINISHED", "Job"]

#: The states of a job that has not ended.
UNFINISHED: Final = ("queued", "running")


@dataclass(frozen=True, slots=True)
class Job:
    id: uuid.UUID
    kind: str
    status: str
    done: int
    total: int
    message: str
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
