"""Datasets, their versions, labels and annotations.

By name (the contract's way of naming a version)::

    GET    /organizations/{org}/datasets                              every version
    POST   /organizations/{org}/datasets                              a dataset, first version
    GET    /organizations/{org}/datasets/{name}/versions/{version}    one ("latest" = newest)
    POST   /organizations/{org}/datasets/{name}/versions              a new version, copied
    DELETE /organizations/{org}/datasets/{name}/versions/{version}

By version id (``dataset_id`` in the contract)::

    GET  /organizations/{org}/dataset-versions/{id}
    GET  | POST   .../pictures          page | add datalake pictures
    GET  | POST   .../labels            list | create labels
    GET  | PUT | DELETE .../annotations   page (?status, ?external_url) | set | delete
    POST .../annotations/status         set the review status of pictures' annotations
    GET  .../items                      every picture with its annotation (downloads)
    GET  .../metadata                   labels with their format extras, and format info
    GET  .../export?format=&archive=    the version in an export format, one streamed
                                        tar or zip (images and annotation files); ?status
                                        keeps the pictures of that review status
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import StreamingResponse

from pixlake.api.deps import CallerDep, DbDep, OrganizationDep, SettingsDep, StoreDep, base_url
from pixlake.api.responses import export_response
from pixlake.api.routers.pictures import to_public as picture_public
from pixlake.core import datasets, exports
from pixlake.core.datasets import AnnotationInput
from pixlake.core.pagination import decode_cursor, encode_cursor
from pixlake.entities.datasets import AnnotationRecord, DatasetVersion
from pixlake.formats.registry import BUILTIN, names_text
from pixlake.problems import Problems
from pixlake.schemas.common import MAX_INT
from pixlake.schemas.datasets import (
    AnnotationPublic,
    AnnotationsPublic,
    AnnotationsSet,
    AnnotationsStatus,
    Count,
    DatasetCreate,
    DatasetPublic,
    DatasetsPublic,
    ItemPublic,
    ItemsPublic,
    LabelMetadata,
    LabelPublic,
    LabelsCreate,
    LabelsPublic,
    PictureIds,
    VersionCreate,
    VersionMetadata,
)
from pixlake.schemas.pictures import PicturesPublic

router = APIRouter(prefix="/organizations/{org_id}", tags=["datasets"])

#: The export formats and their aliases, for the API's documentation.
_EXPORTS = names_text(d.name for d in BUILTIN if d.exports)
_ALIASES = names_text(k for d in BUILTIN if d.exports for k in d.keys if k != d.name.lower())

Limit = Annotated[int, Query(ge=1, le=MAX_INT)]


def dataset_public(v: DatasetVersion) -> DatasetPublic:
    return DatasetPublic(
        dataset_id=v.id,
        dataset_name=v.name,
        version=v.version,
        size=v.size,
        description=v.description,
        private=v.private,
        date_created=v.created_at,
        created_from=v.created_from,
        labels=[LabelPublic(name=label.name, type=label.type) for label in v.labels],
        nb_annotations=v.nb_annotations,
        nb_objects=v.nb_objects,
        repartition=dict(v.repartition),
        splits=dict(v.splits),
    )


def annotation_public(a: AnnotationRecord) -> AnnotationPublic:
    return AnnotationPublic(
        internal_picture_id=a.picture_id,
        external_picture_url=a.external_url,
        width=a.width,
        height=a.height,
        status=a.status,
        annotations=a.objects,
        image_qa=a.image_qa,
        nb_instances=a.nb_instances,
        duration=a.duration,
        extra=dict(a.extra),
        updated_at=a.updated_at,
        split=a.split,
    )


# --------------------------------------------------------------------------- by name


@router.get("/datasets", summary="Every version of every dataset")
def list_datasets(org: OrganizationDep, caller: CallerDep, db: DbDep) -> DatasetsPublic:
    versions = datasets.list_versions(db, caller, org.id)
    return DatasetsPublic(data=[dataset_public(v) for v in versions], count=len(versions))


@router.post(
    "/datasets", status_code=status.HTTP_201_CREATED, summary="A dataset and its first version"
)
def create_dataset(
    body: DatasetCreate, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> DatasetPublic:
    version = datasets.create_dataset(
        db,
        caller,
        org.id,
        name=body.name,
        picture_ids=body.pictures,
        description=body.description,
        private=body.private,
        version=body.version,
    )
    return dataset_public(version)


@router.get("/datasets/{name}/versions/{version}", summary="A version ('latest': the newest)")
def get_dataset(
    name: str, version: str, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> DatasetPublic:
    return dataset_public(datasets.get_version(db, caller, org.id, name=name, version=version))


@router.post(
    "/datasets/{name}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="A new version: a copy of another (rows, not bytes) plus pictures",
)
def new_version(
    name: str, body: VersionCreate, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> DatasetPublic:
    created = datasets.new_version(
        db,
        caller,
        org.id,
        name=name,
        version=body.version,
        picture_ids=body.pictures,
        from_version=body.from_version,
        description=body.description,
    )
    return dataset_public(created)


@router.delete(
    "/datasets/{name}/versions/{version}",
    summary="Delete a version (not its pictures); the dataset goes with its last version",
)
def delete_dataset(
    name: str, version: str, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> DatasetPublic:
    return dataset_public(datasets.delete_version(db, caller, org.id, name=name, version=version))


# --------------------------------------------------------------------------- by version id


@router.get("/dataset-versions/{version_id}", summary="A version, by id")
def get_dataset_by_id(
    version_id: uuid.UUID, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> DatasetPublic:
    return dataset_public(datasets.get_version_by_id(db, caller, org.id, version_id=version_id))


@router.get(
    "/dataset-versions/{version_id}/metadata",
    summary="Labels with their format extras, and format-level info (for exports)",
)
def get_metadata(
    version_id: uuid.UUID, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> VersionMetadata:
    labels, info = datasets.get_metadata(db, caller, org.id, version_id=version_id)
    return VersionMetadata(
        labels=[
            LabelMetadata(name=label.name, type=label.type, extra=dict(label.extra or {}) or None)
            for label in labels
        ],
        info=info,
    )


@router.get("/dataset-versions/{version_id}/pictures", summary="A page of the version's pictures")
def list_version_pictures(
    version_id: uuid.UUID,
    request: Request,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    settings: SettingsDep,
    limit: Limit = 100,
    cursor: str | None = None,
) -> PicturesPublic:
    pictures, total, last = datasets.list_version_pictures(
        db,
        caller,
        org.id,
        version_id=version_id,
        limit=min(limit, settings.max_page_size),
        after=decode_cursor(cursor),
    )
    base = base_url(request)
    return PicturesPublic(
        data=[picture_public(p, base) for p in pictures],
        count=total,
        next_cursor=encode_cursor(last) if last else None,
    )


@router.post("/dataset-versions/{version_id}/pictures", summary="Add datalake pictures")
def add_version_pictures(
    version_id: uuid.UUID, body: PictureIds, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> Count:
    return Count(
        count=datasets.add_pictures(
            db, caller, org.id, version_id=version_id, picture_ids=body.pictures
        )
    )


@router.get("/dataset-versions/{version_id}/labels", summary="The version's labels, in order")
def list_labels(
    version_id: uuid.UUID, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> LabelsPublic:
    labels = datasets.get_version_by_id(db, caller, org.id, version_id=version_id).labels
    return LabelsPublic(
        data=[LabelPublic(name=label.name, type=label.type) for label in labels], count=len(labels)
    )


@router.post(
    "/dataset-versions/{version_id}/labels",
    summary="Create labels (an existing label of the same type is kept)",
)
def create_labels(
    version_id: uuid.UUID, body: LabelsCreate, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> LabelsPublic:
    labels = datasets.create_labels(
        db,
        caller,
        org.id,
        version_id=version_id,
        labels=[(label.name, label.type) for label in body.labels],
    )
    return LabelsPublic(
        data=[LabelPublic(name=label.name, type=label.type) for label in labels], count=len(labels)
    )


@router.get("/dataset-versions/{version_id}/annotations", summary="A page of annotations")
def list_annotations(
    version_id: uuid.UUID,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    settings: SettingsDep,
    limit: Limit = 200,
    cursor: str | None = None,
    offset: Annotated[int, Query(ge=0, le=MAX_INT, description="rows to skip (prefer cursor)")] = 0,
    status: str | None = None,
    external_url: str | None = None,
) -> AnnotationsPublic:
    records, total, last = datasets.list_annotations(
        db,
        caller,
        org.id,
        version_id=version_id,
        limit=min(limit, settings.max_page_size),
        after=decode_cursor(cursor),
        offset=offset,
        status=status,
        external_url=external_url,
    )
    return AnnotationsPublic(
        data=[annotation_public(a) for a in records],
        count=total,
        next_cursor=encode_cursor(last) if last else None,
    )


@router.put(
    "/dataset-versions/{version_id}/annotations",
    summary="Set (or append to) pictures' annotations; all or nothing",
)
def set_annotations(
    version_id: uuid.UUID, body: AnnotationsSet, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> Count:
    problems = Problems()
    items = []
    for i, a in enumerate(body.annotations):
        where = f"annotations[{i}]"
        items.append(
            AnnotationInput(
                external_url=a.external_url,
                objects=datasets.parse_objects(a.data, field=f"{where}.data", problems=problems),
                image_qa=datasets.parse_image_qa(
                    a.image_qa, field=f"{where}.image_qa", problems=problems
                ),
                status=a.status,
                nb_instances=a.nb_instances,
                duration=a.duration,
                split=a.split,
            )
        )
    problems.raise_if_any("annotations")
    count = datasets.set_annotations(
        db, caller, org.id, version_id=version_id, items=items, replace=body.replace
    )
    return Count(count=count)


@router.post("/dataset-versions/{version_id}/annotations/status", summary="Set the review status")
def set_status(
    version_id: uuid.UUID,
    body: AnnotationsStatus,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
) -> Count:
    return Count(
        count=datasets.set_status(
            db,
            caller,
            org.id,
            version_id=version_id,
            external_urls=body.pictures,
            status=body.status,
        )
    )


@router.delete(
    "/dataset-versions/{version_id}/annotations",
    summary="Delete one picture's annotation (?picture_id) or all of them",
)
def delete_annotations(
    version_id: uuid.UUID,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    picture_id: uuid.UUID | None = None,
) -> Count:
    count = datasets.delete_annotations(
        db, caller, org.id, version_id=version_id, picture_id=picture_id
    )
    return Count(count=count)


@router.get(
    "/dataset-versions/{version_id}/items",
    summary="Every picture of the version with its annotation, a page at a time",
)
def list_items(
    version_id: uuid.UUID,
    request: Request,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    settings: SettingsDep,
    limit: Limit = 500,
    cursor: str | None = None,
) -> ItemsPublic:
    items, total, last = datasets.list_items(
        db,
        caller,
        org.id,
        version_id=version_id,
        limit=min(limit, settings.max_page_size),
        after=decode_cursor(cursor),
    )
    base = base_url(request)
    return ItemsPublic(
        data=[
            ItemPublic(
                picture=picture_public(p, base),
                annotation=annotation_public(a) if a is not None else None,
            )
            for p, a in items
        ],
        count=total,
        next_cursor=encode_cursor(last) if last else None,
    )


@router.get(
    "/dataset-versions/{version_id}/export",
    summary=f"The version as {_EXPORTS}: one archive, streamed as it is written",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/x-tar": {}, "application/zip": {}},
            "description": "The images and annotation files.  An export that fails after its "
            f"first byte ends with the member `{exports.ERROR_MEMBER}`, a JSON problem.",
        }
    },
)
def export_version(
    version_id: uuid.UUID,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    format: Annotated[str, Query(description=f"{_EXPORTS} (case-insensitive; also {_ALIASES})")],
    archive: Annotated[
        Literal["tar", "zip"], Query(description="tar to unpack as it arrives, or zip")
    ] = "zip",
    yolo_mode: Annotated[
        Literal["detect", "segment"] | None,
        Query(description="YOLO only: box rows (detect, the default) or polygon rows (segment)"),
    ] = None,
    yolo_path: Annotated[
        str | None,
        Query(
            description="YOLO only: the absolute path data.yaml gives as `path` (where the "
            "export will be); without it, data.yaml has no `path` and Ultralytics reads the "
            "folders beside it"
        ),
    ] = None,
    images: Annotated[
        Literal["bytes", "reference"],
        Query(
            description="tar only: each image's bytes (the default), or a reference to its "
            "blob instead (an empty member whose pax header has `PIXLAKE.sha256` and "
            "`PIXLAKE.size`), for a client that copies blobs from the store itself "
            "(see `GET /local-store`)"
        ),
    ] = "bytes",
    status: Annotated[
        str | None,
        Query(
            description="only the pictures whose annotation has this review status "
            "(pending, accepted, rejected or review), with every label of the version"
        ),
    ] = None,
) -> StreamingResponse:
    stream = exports.export_version(
        db,
        store,
        caller,
        org.id,
        version_id,
        format,
        archive=archive,
        yolo_mode=yolo_mode,
        yolo_path=yolo_path,
        images=images,
        status=status,
    )
    return export_response(stream)
