"""Wire models: datasets, versions, labels, annotations, imports and jobs.

``DatasetPublic`` keeps the Picsellia dataset record's names (``dataset_id`` is the id of a
*version*, ``dataset_name``, ``version``, ``size``) and adds ``description``, ``private``,
``date_created``, ``labels``, ``nb_annotations``, ``nb_objects`` and ``repartition``.
Annotation objects travel in the contract's wire shape (see ``pixlake.formats``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from pixlake.schemas.common import MAX_DESCRIPTION, Name, WireModel, text_field
from pixlake.schemas.pictures import PicturePublic

#: The import document the SDK writes (``POST .../imports``; see ``pixlake.core.imports``).
IMPORT_DOCUMENT_FORMAT = "pixlake-import/2"
#: The member that ends an export archive that failed after its first byte: a JSON problem
#: (``code``, ``status``, ``detail``, ``errors``).
EXPORT_ERROR_MEMBER = "pixlake-export-error.json"
#: The member that ends an export whose format could not hold everything as it is: what was
#: left out or changed, a sentence a line (YOLO's crowd regions, PASCAL-VOC's sub-pixel
#: boxes...).  It stays in the export, beside the files it speaks of.
EXPORT_NOTES_MEMBER = "pixlake-export-notes.txt"

__all__ = [
    "EXPORT_ERROR_MEMBER",
    "EXPORT_NOTES_MEMBER",
    "IMPORT_DOCUMENT_FORMAT",
    "AnnotationIn",
    "AnnotationPublic",
    "AnnotationsPublic",
    "AnnotationsSet",
    "AnnotationsStatus",
    "Count",
    "DatasetCreate",
    "DatasetPublic",
    "DatasetsPublic",
    "ImportCreate",
    "ItemPublic",
    "ItemsPublic",
    "JobPublic",
    "LabelIn",
    "LabelMetadata",
    "LabelPublic",
    "LabelsCreate",
    "LabelsPublic",
    "PictureIds",
    "VersionCreate",
    "VersionMetadata",
]

LabelType = Literal["rectangle", "polygon", "classification"]
Status = Literal["pending", "accepted", "rejected", "review"]


class LabelPublic(BaseModel):
    name: str
    type: str


class DatasetPublic(BaseModel):
    dataset_id: uuid.UUID
    dataset_name: str
    version: str
    size: int
    description: str
    private: bool
    date_created: datetime
    created_from: str | None
    labels: list[LabelPublic]
    nb_annotations: int
    nb_objects: int
    repartition: dict[str, int]
    splits: dict[str, int] = Field(
        default_factory=dict, description="pictures per split (train, val...), when they have one"
    )


class DatasetsPublic(BaseModel):
    data: list[DatasetPublic]
    count: int


class DatasetCreate(WireModel):
    name: Name
    description: str = text_field(MAX_DESCRIPTION, "")
    private: bool = True
    pictures: list[uuid.UUID] = Field(min_length=1, description="the first version's pictures")
    version: Name = "first"


class VersionCreate(WireModel):
    version: Name
    from_version: str = "latest"
    pictures: list[uuid.UUID] = Field(default_factory=list, description="added on top")
    description: str | None = text_field(MAX_DESCRIPTION, None)


class PictureIds(WireModel):
    pictures: list[uuid.UUID] = Field(min_length=1)


class Count(BaseModel):
    count: int


class LabelIn(WireModel):
    name: Name
    type: LabelType


class LabelMetadata(BaseModel):
    name: str
    type: str
    extra: dict[str, Any] | None


class VersionMetadata(BaseModel):
    """What an export needs beyond annotations: labels with their format leftovers, and the
    format-level ``info`` an import kept (COCO ``info``, ``licenses``, category records)."""

    labels: list[LabelMetadata]
    info: dict[str, Any]


class LabelsCreate(WireModel):
    labels: list[LabelIn]


class LabelsPublic(BaseModel):
    data: list[LabelPublic]
    count: int


class AnnotationIn(WireModel):
    external_url: str = Field(description="the picture's file name")
    data: list[Any] = Field(description="objects in the wire shape")
    image_qa: list[Any] | None = None
    status: Status | None = None
    nb_instances: int | None = None
    duration: float | None = None
    split: str | None = Field(
        None, description="the part of the dataset the picture is in ('train', 'val'...)"
    )


class AnnotationsSet(WireModel):
    annotations: list[AnnotationIn]
    replace: bool = Field(True, description="replace each picture's objects (else append)")


class AnnotationsStatus(WireModel):
    pictures: list[str] = Field(description="file names of the pictures")
    status: Status


class AnnotationPublic(BaseModel):
    internal_picture_id: uuid.UUID
    external_picture_url: str
    width: int
    height: int
    status: str
    annotations: list[dict[str, Any]]
    image_qa: list[dict[str, str]]
    nb_instances: int | None
    duration: float | None
    extra: dict[str, Any]
    updated_at: datetime
    split: str | None = Field(None, description="the part of the dataset it is in, if any")


class AnnotationsPublic(BaseModel):
    data: list[AnnotationPublic]
    count: int
    next_cursor: str | None = None


class ItemPublic(BaseModel):
    picture: PicturePublic
    annotation: AnnotationPublic | None


class ItemsPublic(BaseModel):
    data: list[ItemPublic]
    count: int
    next_cursor: str | None = None


class ImportCreate(WireModel):
    document: str = Field(description="sha256 of an uploaded pixlake import document")
    name: Name | None = Field(None, description="the new dataset (when not annotating a version)")
    version: Name | None = None
    version_id: uuid.UUID | None = Field(None, description="annotate this existing version")
    description: str = text_field(MAX_DESCRIPTION, "")
    private: bool = True


class JobPublic(BaseModel):
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
