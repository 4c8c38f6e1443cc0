"""Wire models: datalake pictures.

``PicturePublic`` keeps the field names of the Picsellia picture record (``picture_id``,
``external_url``, ``internal_key``, ``width``, ``height``, ``tag``) and adds ``source``,
``date_created``, ``sha256``, ``size`` and ``url`` (where to download the bytes).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from pixlake.schemas.common import Name, Tag, WireModel

__all__ = [
    "PictureCreate",
    "PicturePublic",
    "PictureRejected",
    "PictureSelection",
    "PicturesCreate",
    "PicturesCreated",
    "PicturesPublic",
    "PicturesSample",
    "PicturesTag",
    "SelectionResult",
]


class PicturePublic(BaseModel):
    picture_id: uuid.UUID
    external_url: str
    internal_key: str
    width: int
    height: int
    tag: list[str]
    source: str
    date_created: datetime
    sha256: str
    size: int
    url: str


class PicturesPublic(BaseModel):
    data: list[PicturePublic]
    count: int
    next_cursor: str | None = None


class PictureCreate(WireModel):
    external_url: str = Field(description="the file name, unique in the organization")
    sha256: str = Field(description="digest of bytes already sent to /blobs")


class PicturesCreate(WireModel):
    pictures: list[PictureCreate]
    tags: list[Tag] = Field(default_factory=list)
    source: Name = "sdk"
    report_missing: bool = Field(
        False,
        description="report the pictures whose bytes the organization has not sent (or that "
        "are gone from storage) in `missing`, instead of refusing them: send those bytes, "
        "then register those pictures again",
    )


class PictureRejected(BaseModel):
    external_url: str
    reason: str


class PicturesCreated(BaseModel):
    created: list[PicturePublic]
    existing: list[PicturePublic] = Field(description="same name and bytes: tags merged")
    rejected: list[PictureRejected]
    missing: list[PictureCreate] = Field(
        default_factory=list,
        description="with `report_missing`: pictures to register again once their bytes are sent",
    )


class PicturesSample(WireModel):
    tags: list[str]
    quantity: float = Field(1.0, description="fraction of the matches, in (0, 1]; >= 1 is all")
    seed: int | None = Field(None, description="makes the sample reproducible")


class PictureSelection(WireModel):
    pictures: list[uuid.UUID]


class PicturesTag(WireModel):
    pictures: list[uuid.UUID]
    tags: list[Tag]


class SelectionResult(BaseModel):
    count: int = Field(description="how many of the given pictures were found and changed")
