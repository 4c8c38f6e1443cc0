"""Rows 13 to 23, 25 to 28 and 67 of the wire table: datasets, their pictures, labels and
annotations.

GET    /dataset/{org_id}                             every version: {"datasets": [...]}
PUT    /dataset/{org_id}                             a dataset, its first version "first"
POST   /dataset/{org_id}                             add pictures to name/version (or pk)
PUT    /dataset/{org_id}/new_version                 a version copied from another
GET    /dataset/{org_id}/{name}/{version}            one version ("latest": the newest)
DELETE /dataset/{org_id}/{name}/{version}
GET    /dataset/{org_id}/{name}/{version}/download   its images, each with a signed URL
POST   /dataset/{dataset_id}/update_stats            the client's counts (pixlake keeps its own)
GET    /picture/{dataset_id}                         the version's pictures
PUT    /label/{dataset_id}/{name}/{ann_type}         a label (its name may hold a '/')
PUT    /annotation/new/{dataset_id}/{external_url}   objects added to a picture's annotation
GET    /annotation/new/{dataset_id}/{picture_name}   one picture's annotation
GET    /annotation/{dataset_id}                      a page (limit, offset), or a snapshot
DELETE /annotation/{dataset_id}/{picture_id}         one picture's annotation
DELETE /annotation/{dataset_id}                      all of them
GET    /experiment/{id}/dl_annotations/{option}      the attached version's images (signed),
                                                     annotations (all or accepted), labels

A ``dataset_id`` is a version's id, as in pixlake's own API; the paths that carry it alone
find its organization among the caller's. Records are the ones ``/api/v1`` answers.
Long lists are written a page at a time, the first page read before the answer starts, so
that an unknown dataset is a 404 rather than a broken answer.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import Field, field_validator
from pydantic_core import to_json

from pixlake.api.deps import CallerDep, DbDep, OrganizationDep, SettingsDep, StoreDep, base_url
from pixlake.api.routers.datasets import annotation_public, dataset_public
from pixlake.api.routers.pictures import files_url, public_fields
from pixlake.api.upstream._wire import WireModel, as_id, body_of, created, ok, picture_ids
from pixlake.core import datasets, object_storage
from pixlake.core.datasets import AnnotationInput
from pixlake.entities.accounts import Caller
from pixlake.entities.datalake import Picture
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from pixlake.problems import Problems
from pixlake.schemas.common import MAX_DESCRIPTION, MAX_INT, text_field, value_problem
from pixlake.store.blobs import BlobStore
from pixlake.store.db.engine import Database

__all__ = ["router"]

router = APIRouter(tags=["datasets"])

T = TypeVar("T")

#: Pictures (and annotations) read, signed and sent at a time in a long list.
_BATCH = 1000
#: A page of pictures or annotations, and the key the next one starts after (or ``None``).
Page = tuple[list[T], int | None]


class _Body(WireModel):
    """A body whose every value is one a service can store (valid text, 64-bit integers),
    checked as ``/api/v1`` checks its bodies."""

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        problem = value_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


# --------------------------------------------------------------------------- answers


def _document(parts: Sequence[tuple[str, Iterable[Sequence[Any]]]]) -> Iterator[bytes]:
    """``{"<key>": [...], ...}``, each list written a batch at a time."""
    yield b"{"
    for n, (key, batches) in enumerate(parts):
        yield (b"," if n else b"") + to_json(key) + b":["
        sep = b""
        for batch in batches:
            if batch:
                yield sep + to_json(batch)[1:-1]
                sep = b","
        yield b"]"
    yield b"}"


def _streamed(parts: Sequence[tuple[str, Iterable[Sequence[Any]]]]) -> StreamingResponse:
    return StreamingResponse(_document(parts), media_type="application/json")


def _pages(first: Page[T], fetch: Callable[[int], Page[T]]) -> Iterator[list[T]]:
    """The first page (read already), then the next ones as they are needed."""
    items, after = first
    yield items
    while after is not None:
        items, after = fetch(after)
        yield items


def _version_pictures(
    db: Database, caller: Caller, organization_id: uuid.UUID, version_id: uuid.UUID
) -> Iterator[list[Picture]]:
    def fetch(after: int) -> Page[Picture]:
        pictures, _total, last = datasets.list_version_pictures(
            db, caller, organization_id, version_id=version_id, limit=_BATCH, after=after
        )
        return pictures, last

    return _pages(fetch(0), fetch)


def _signed_images(
    request: Request, db: Database, organization_id: uuid.UUID, pictures: Sequence[Picture]
) -> list[dict[str, Any]]:
    """The images as the client downloads them: each with a URL that serves its bytes once."""
    if not pictures:
        return []
    grants = object_storage.sign_downloads(
        db, organization_id, [(p.external_url, p.digest) for p in pictures]
    )
    return [
        {
            "internal_picture_id": p.id,
            "external_picture_url": p.external_url,
            "signed_url": str(request.url_for("storage_get", token=grant.token)),
            "width": p.width,
            "height": p.height,
        }
        for p, grant in zip(pictures, grants, strict=True)
    ]


def _images(
    request: Request,
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
) -> tuple[bool, Iterator[list[dict[str, Any]]]]:
    """Whether the version has pictures, and its images, signed a page at a time."""
    pages = _version_pictures(db, caller, organization_id, version_id)
    first = next(pages)

    def signed() -> Iterator[list[dict[str, Any]]]:
        yield _signed_images(request, db, organization_id, first)
        for page in pages:
            yield _signed_images(request, db, organization_id, page)

    return bool(first), signed()


def _annotations(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
    *,
    status: str | None = None,
) -> Iterator[list[Any]]:
    """The version's annotation records (of one review status), a page at a time."""

    def fetch(after: int) -> Page[Any]:
        records, _total, last = datasets.list_annotations(
            db,
            caller,
            organization_id,
            version_id=version_id,
            limit=_BATCH,
            after=after,
            status=status,
        )
        return [annotation_public(r) for r in records], last

    return _pages(fetch(0), fetch)


# --------------------------------------------------------------------------- datasets


@router.get("/dataset/{org_id}", summary="Every version of every dataset (row 13)")
def list_datasets(org: OrganizationDep, caller: CallerDep, db: DbDep) -> Response:
    versions = datasets.list_versions(db, caller, org.id)
    return ok({"datasets": [dataset_public(v) for v in versions]})


class DatasetCreation(_Body):
    dataset_name: str
    description: str = text_field(MAX_DESCRIPTION, "")
    private: bool = True
    pictures: list[Any] = Field(min_length=1)


@router.put("/dataset/{org_id}", summary="A dataset and its first version, 'first' (row 14)")
def create_dataset(
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    body: DatasetCreation = Depends(body_of(DatasetCreation)),  # noqa: B008
) -> Response:
    version = datasets.create_dataset(
        db,
        caller,
        org.id,
        name=body.dataset_name,
        picture_ids=picture_ids(body.pictures, "pictures"),
        description=body.description,
        private=body.private,
    )
    return created({"dataset": dataset_public(version)})


class DataAddition(_Body):
    name: str = ""
    version: str = "latest"
    pictures: list[Any] = Field(min_length=1)
    #: The fetched version's id, which wins over name and version; "" when none is.
    pk: str | None = ""


@router.post("/dataset/{org_id}", summary="Add datalake pictures to a version (row 15)")
def add_data(
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    body: DataAddition = Depends(body_of(DataAddition)),  # noqa: B008
) -> Response:
    ids = picture_ids(body.pictures, "pictures")
    if body.pk:
        version_id = as_id(body.pk, "pk")
    else:
        version_id = datasets.get_version(
            db, caller, org.id, name=body.name, version=body.version
        ).id
    added = datasets.add_pictures(db, caller, org.id, version_id=version_id, picture_ids=ids)
    return ok({"count": added})


class VersionCreation(_Body):
    name: str
    version: str
    pictures: list[Any] = Field(default_factory=list)
    from_version: str = "latest"


@router.put("/dataset/{org_id}/new_version", summary="A version copied from another (row 16)")
def new_version(
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    body: VersionCreation = Depends(body_of(VersionCreation)),  # noqa: B008
) -> Response:
    version = datasets.new_version(
        db,
        caller,
        org.id,
        name=body.name,
        version=body.version,
        picture_ids=picture_ids(body.pictures, "pictures"),
        from_version=body.from_version,
    )
    return created({"dataset": dataset_public(version)})


@router.get("/dataset/{org_id}/{name}/{version}", summary="A version, by name (row 17)")
def get_dataset(
    name: str, version: str, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> Response:
    found = datasets.get_version(db, caller, org.id, name=name, version=version)
    return ok({"dataset": dataset_public(found)})


@router.delete("/dataset/{org_id}/{name}/{version}", summary="Delete a version (row 18)")
def delete_dataset(
    name: str, version: str, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> Response:
    deleted = datasets.delete_version(db, caller, org.id, name=name, version=version)
    return ok({"dataset": dataset_public(deleted)})


@router.get(
    "/dataset/{org_id}/{name}/{version}/download",
    summary="A version's images, each with a signed URL (row 19)",
)
def download_dataset(
    name: str, version: str, request: Request, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> StreamingResponse:
    found = datasets.get_version(db, caller, org.id, name=name, version=version)
    _any, images = _images(request, db, caller, org.id, found.id)
    return _streamed([("images", images)])


class Statistics(_Body):
    repartition: dict[str, int] | None = None
    nb_annotations: int | None = Field(None, ge=0)
    nb_objects: int | None = Field(None, ge=0)


@router.post(
    "/dataset/{dataset_id}/update_stats",
    summary="The counts an import made (row 20); pixlake counts from the annotations",
)
def update_stats(
    dataset_id: uuid.UUID,
    caller: CallerDep,
    db: DbDep,
    body: Statistics = Depends(body_of(Statistics)),  # noqa: B008
) -> Response:
    # pixlake's counts are read from the annotations themselves, so they cannot disagree
    # with them: the client's are checked for shape and answered with the version's own
    del body
    organization_id = datasets.version_organization(db, caller, dataset_id)
    found = datasets.get_version_by_id(db, caller, organization_id, version_id=dataset_id)
    return ok({"dataset": dataset_public(found)})


@router.get("/picture/{dataset_id}", summary="A version's pictures (row 21)")
def list_pictures(
    dataset_id: uuid.UUID, request: Request, caller: CallerDep, db: DbDep
) -> StreamingResponse:
    organization_id = datasets.version_organization(db, caller, dataset_id)
    pages = _version_pictures(db, caller, organization_id, dataset_id)
    files = files_url(base_url(request), organization_id)
    records = ([public_fields(p, files) for p in page] for page in pages)
    return _streamed([("pictures", records)])


# --------------------------------------------------------------------------- labels


@router.put(
    "/label/{dataset_id}/{label:path}",
    summary="A label, '<name>/<type>' (row 22); an existing one of the same type is kept",
)
def create_label(dataset_id: uuid.UUID, label: str, caller: CallerDep, db: DbDep) -> Response:
    # the client writes the name into the path as it is: a name holding a '/' arrives as
    # more segments, the type being the last
    name, slash, kind = label.rpartition("/")
    if not slash:
        raise InvalidInputError(
            f"expected label/<dataset id>/<label name>/<type>, not label/{dataset_id}/{label}",
            details=[{"field": "path", "message": "expected the label's name, then its type"}],
        )
    organization_id = datasets.version_organization(db, caller, dataset_id)
    datasets.create_labels(
        db, caller, organization_id, version_id=dataset_id, labels=[(name, kind)]
    )
    return ok({"success": f"Label {name} ({kind}) is in the dataset"})


# --------------------------------------------------------------------------- annotations


class AnnotationBody(_Body):
    #: The objects; what is not a list of them is refused when parsed, saying so.
    data: Any = None
    image_qa: Any = None
    nb_instances: int | None = None
    duration: float | None = None


@router.put(
    "/annotation/new/{dataset_id}/{external_url:path}",
    summary="Objects added to a picture's annotation, which is created if need be (row 23)",
)
def add_annotation(
    # a path: a name with a folder part is then not found as a picture, rather than a route
    dataset_id: uuid.UUID,
    external_url: str,
    caller: CallerDep,
    db: DbDep,
    body: AnnotationBody = Depends(body_of(AnnotationBody)),  # noqa: B008
) -> Response:
    problems = Problems()
    item = AnnotationInput(
        external_url=external_url,
        objects=datasets.parse_objects(body.data, field="data", problems=problems),
        image_qa=datasets.parse_image_qa(body.image_qa, field="image_qa", problems=problems),
        nb_instances=body.nb_instances,
        duration=body.duration,
    )
    problems.raise_if_any("the annotation")
    organization_id = datasets.version_organization(db, caller, dataset_id)
    # upstream adds to a picture's annotation: an import sends each picture's objects once,
    # and add_annotation twice keeps both calls' objects
    count = datasets.annotate_picture(
        db, caller, organization_id, version_id=dataset_id, item=item, replace=False
    )
    return ok({"message": "annotation saved", "objects": count})


@router.get(
    "/annotation/new/{dataset_id}/{picture_name:path}",
    summary="One picture's annotation, by its file name (row 25)",
)
def get_annotation(
    dataset_id: uuid.UUID, picture_name: str, caller: CallerDep, db: DbDep
) -> Response:
    organization_id = datasets.version_organization(db, caller, dataset_id)
    record = datasets.get_annotation(
        db, caller, organization_id, version_id=dataset_id, external_url=picture_name
    )
    return ok({"annotations": annotation_public(record)})


@router.get(
    "/annotation/{dataset_id}",
    summary="A page of annotations (row 26), or with snapshot a signed URL to all of them",
)
def list_annotations(
    dataset_id: uuid.UUID,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    settings: SettingsDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_INT)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    snapshot: bool = False,
) -> Response:
    organization_id = datasets.version_organization(db, caller, dataset_id)
    if snapshot:
        return _snapshot(request, db, store, caller, organization_id, dataset_id)
    if limit > settings.max_page_size:
        # a shorter page than asked would make the client skip what lies between its pages
        raise InvalidInputError(
            f"limit: at most {settings.max_page_size} annotations a page",
            details=[{"field": "limit", "message": f"expected at most {settings.max_page_size}"}],
        )
    records, total, _last = datasets.list_annotations(
        db, caller, organization_id, version_id=dataset_id, limit=limit, offset=offset
    )
    return ok(
        {
            "annotations": [annotation_public(r) for r in records],
            # the client starts as many workers as pages: at least one, even with nothing
            "nb_pages": max(1, math.ceil(total / limit)),
            "count": total,
        }
    )


def _snapshot_document(pages: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """``{"annotations": [...], "total_assets": <how many>}``, a page at a time."""
    yield b'{"annotations":['
    sep, total = b"", 0
    for page in pages:
        if page:
            yield sep + to_json(page)[1:-1]
            sep, total = b",", total + len(page)
    yield b'],"total_assets":' + to_json(total) + b"}"


def _snapshot(
    request: Request,
    db: Database,
    store: BlobStore,
    caller: Caller,
    organization_id: uuid.UUID,
    version_id: uuid.UUID,
) -> Response:
    """Every annotation as one JSON file, which the client downloads once from a signed URL
    and saves as ``object_name`` in its working folder (so a plain file name)."""
    pages = _annotations(db, caller, organization_id, version_id)
    entity = datasets.store_snapshot(
        db, store, caller, organization_id, version_id=version_id, chunks=_snapshot_document(pages)
    )
    object_name = f"annotations-{version_id}.json"
    grant = object_storage.sign_downloads(db, organization_id, [(object_name, entity.digest)])[0]
    return ok(
        {"url": str(request.url_for("storage_get", token=grant.token)), "object_name": object_name}
    )


@router.delete(
    "/annotation/{dataset_id}/{picture_id}", summary="Delete one picture's annotation (row 27)"
)
def delete_annotation(
    dataset_id: uuid.UUID, picture_id: uuid.UUID, caller: CallerDep, db: DbDep
) -> Response:
    organization_id = datasets.version_organization(db, caller, dataset_id)
    count = datasets.delete_annotations(
        db, caller, organization_id, version_id=dataset_id, picture_id=picture_id
    )
    return ok({"message": "annotations deleted", "count": count})


@router.delete("/annotation/{dataset_id}", summary="Delete every annotation of a version (row 28)")
def delete_annotations(dataset_id: uuid.UUID, caller: CallerDep, db: DbDep) -> Response:
    organization_id = datasets.version_organization(db, caller, dataset_id)
    count = datasets.delete_annotations(db, caller, organization_id, version_id=dataset_id)
    return ok({"message": "annotations deleted", "count": count})


# --------------------------------------------------------------------------- experiments


@router.get(
    "/experiment/{experiment_id}/dl_annotations/{option}",
    summary="The attached version's images (signed), annotations and labels (row 67)",
)
def dl_annotations(
    experiment_id: uuid.UUID,
    option: Literal["all", "accepted"],
    request: Request,
    caller: CallerDep,
    db: DbDep,
) -> StreamingResponse:
    organization_id, version_id = datasets.experiment_version(db, caller, experiment_id)
    header = datasets.get_version_header(db, caller, organization_id, version_id=version_id)
    any_picture, images = _images(request, db, caller, organization_id, version_id)
    if not any_picture:
        raise ResourceNotFoundError(f"dataset {header.name}/{header.version} has no pictures")
    status = "accepted" if option == "accepted" else None
    annotations = _annotations(db, caller, organization_id, version_id, status=status)
    categories = [{"id": n, "name": label.name} for n, label in enumerate(header.labels, 1)]
    return _streamed(
        [("images", images), ("annotations", annotations), ("categories", [categories])]
    )
