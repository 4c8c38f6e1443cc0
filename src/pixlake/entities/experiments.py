"""Experiments and their assets: file assets, data assets (a line's points), run logs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["DataAsset", "Experiment", "FileAsset", "LogPage", "Series"]


@dataclass(frozen=True, slots=True)
class FileAsset:
    id: uuid.UUID
    name: str
    object_name: str
    large: bool
    digest: str
    size: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DataAsset:
    id: uuid.UUID
    name: str
    type: str
    data: Any
    size: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Experiment:
    id: uuid.UUID
    name: str
    description: str
    status: str
    owner: tuple[uuid.UUID, str] | None
    project_id: uuid.UUID
    project_name: str
    organization_id: uuid.UUID
    dataset: tuple[uuid.UUID, str, str] | None
    previous: str | None
    source: tuple[uuid.UUID, str] | None
    exit_code: int | None
    nb_log_lines: int
    files: tuple[FileAsset, ...]
    data: tuple[DataAsset, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Series:
    """A line's points (maybe downsampled): ``y``, ``x`` when the line has x values."""

    size: int
    idx: list[int]
    y: list[float | str]
    x: list[Any] | None


@dataclass(frozen=True, slots=True)
class LogPage:
    lines: list[tuple[int, str, str, datetime]]
    exit_code: int | None
    total: int
