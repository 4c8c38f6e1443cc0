"""Projects, their contributors and the dataset versions attached to them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pixlake.entities.accounts import Organization

__all__ = ["AttachedDataset", "Project", "Worker"]


@dataclass(frozen=True, slots=True)
class Worker:
    id: uuid.UUID
    username: str
    role: str


@dataclass(frozen=True, slots=True)
class AttachedDataset:
    id: uuid.UUID
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class Project:
    id: uuid.UUID
    organization: Organization
    name: str
    description: str
    type: str
    manager: Worker | None
    contributors: tuple[Worker, ...]
    datasets: tuple[AttachedDataset, ...]
    created_at: datetime
    updated_at: datetime
