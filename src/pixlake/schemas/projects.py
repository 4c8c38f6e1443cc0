"""Wire models: projects (the Picsellia project record) and their workers."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from pixlake.schemas.common import MAX_DESCRIPTION, MAX_NAME, Name, WireModel, text_field

__all__ = [
    "DatasetAttach",
    "ProjectCreate",
    "ProjectDataset",
    "ProjectPublic",
    "ProjectUpdate",
    "WorkerPublic",
    "WorkersPublic",
]


class ProjectCreate(WireModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Name
    description: str = text_field(MAX_DESCRIPTION, "")
    type: str = text_field(MAX_NAME, "")


class ProjectUpdate(WireModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    project_name: Name | None = None
    description: str | None = text_field(MAX_DESCRIPTION, None)
    type: str | None = text_field(MAX_NAME, None)


class DatasetAttach(WireModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    dataset: str


class WorkerPublic(BaseModel):
    id: uuid.UUID
    username: str
    role: str


class WorkersPublic(BaseModel):
    workers: list[WorkerPublic]


class ProjectDataset(BaseModel):
    dataset_id: uuid.UUID
    dataset_name: str
    version: str


class ProjectPublic(BaseModel):
    project_id: uuid.UUID
    project_name: str
    description: str
    type: str
    organization: dict[str, str]
    project_manager: WorkerPublic | None
    contributors: list[WorkerPublic]
    datasets: list[ProjectDataset]
    creation_date: datetime
    last_update: datetime
