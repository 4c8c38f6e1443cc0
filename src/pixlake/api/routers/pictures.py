"""The datalake's pictures.

POST /organizations/{org}/pictures           register pictures for uploaded blobs, tagged
                                             (or report the bytes to send first)
GET  /organizations/{org}/pictures           a page (cursor pagination), optionally by tag
POST /organizations/{org}/pictures/search    a random fraction of those carrying any tag
POST /organizations/{org}/pictures/delete    delete a selection
POST /organizations/{org}/pictures/tag       add tags to a selection
POST /organizations/{org}/pictures/untag     remove tags from a selection
GET  /organizations/{org}/pictures/{id}      one picture
GET  /organizations/{org}/pictures/{id}/file its bytes
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter
from pydantic_core import to_json

from pixlake.api.deps import CallerDep, DbDep, OrganizationDep, SettingsDep, StoreDep, base_url
from pixlake.api.responses import BLOB_RESPONSES, blob_response
from pixlake.core import blobs, datalake, thumbnails
from pixlake.entities.datalake import Picture
from pixlake.errors import ResourceNotFoundError
from pixlake.schemas.common import MAX_INT
from pixlake.schemas.pictures import (
    PicturePublic,
    PicturesCreate,
    PicturesCreated,
    PictureSelection,
    PicturesPublic,
    PicturesSample,
    PicturesTag,
    SelectionResult,
)

router = APIRouter(prefix="/organizations/{org_id}/pictures", tags=["pictures"])

_batch_adapter = TypeAdapter(list[PicturePublic])
#: Pictures per chunk of a streamed answer.
STREAM_BATCH = 500


def files_url(base: str, organization_id: uuid.UUID) -> str:
    """The URL an organization's picture files are under (the picture id and ``/file``
    follow)."""
    return f"{base}/api/v1/organizations/{organization_id}/pictures/"


def public_fields(p: Picture, files: str) -> dict[str, Any]:
    """A picture's wire record (``PicturePublic``'s fields) as plain values, given
    ``files_url`` of its organization (formatted once for a batch of pictures)."""
    return {
        "picture_id": p.id,
        "external_url": p.external_url,
        "internal_key": f"sha256/{p.digest[:2]}/{p.digest[2:]}",
        "width": p.width,
        "height": p.height,
        "tag": p.tags,
        "source": p.source,
        "date_created": p.created_at,
        "sha256": p.digest,
        "size": p.size,
        "url": f"{files}{p.id}/file",
    }


def to_public(p: Picture, base: str) -> PicturePublic:
    return PicturePublic(**public_fields(p, files_url(base, p.organization_id)))


@router.post(
    "",
    summary="Register pictures for blobs already sent; report those refused",
    response_model=PicturesCreated,
)
def create_pictures(
    body: PicturesCreate,
    request: Request,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
) -> Response:
    result = datalake.add_pictures(
        db,
        caller,
        org.id,
        [datalake.NewPicture(p.external_url, p.sha256) for p in body.pictures],
        tags=body.tags,
        source=body.source,
        missing_in=store if body.report_missing else None,
    )
    if result.created:  # their thumbnails, made ahead for the web UI's grids
        thumbnails.request_thumbnails(db, request.app.state.jobs, caller, org.id)
    files = files_url(base_url(request), org.id)
    # Serialized once, from plain values: a returned model would be validated again against
    # the response model, which for thousands of records costs more than the database.
    answer = {
        "created": [public_fields(p, files) for p in result.created],
        "existing": [public_fields(p, files) for p in result.existing],
        "rejected": [{"external_url": r.external_url, "reason": r.reason} for r in result.rejected],
        "missing": [{"external_url": m.external_url, "sha256": m.digest} for m in result.missing],
    }
    return Response(to_json(answer), media_type="application/json")


@router.get("", summary="A page of the datalake, in upload order")
def list_pictures(
    request: Request,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=MAX_INT)] = 100,
    cursor: str | None = None,
    tag: Annotated[list[str] | None, Query(description="only pictures with any of these")] = None,
) -> PicturesPublic:
    limit = min(limit, settings.max_page_size)
    page = datalake.list_pictures(db, caller, org.id, limit=limit, cursor=cursor, tags=tag or ())
    base = base_url(request)
    return PicturesPublic(
        data=[to_public(p, base) for p in page.data], count=page.count, next_cursor=page.next_cursor
    )


@router.post(
    "/search",
    summary="A uniform random fraction of the pictures carrying any of the tags",
    response_model=PicturesPublic,
)
def search_pictures(
    body: PicturesSample, request: Request, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> StreamingResponse:
    pks, _matches = datalake.sample_pictures(
        db, caller, org.id, tags=body.tags, quantity=body.quantity, seed=body.seed
    )
    base = base_url(request)

    def body_chunks() -> Iterator[bytes]:
        # Each chunk is one hop to a worker thread: send pictures by the batch, not one by one
        # (a list serializes as its items' JSON joined by commas, within brackets).
        yield b'{"data":['
        batch: list[PicturePublic] = []
        sep = b""
        for picture in datalake.iter_sample(db, org.id, pks=pks):
            batch.append(to_public(picture, base))
            if len(batch) == STREAM_BATCH:
                yield sep + _batch_adapter.dump_json(batch)[1:-1]
                batch, sep = [], b","
        tail = b'],"count":%d,"next_cursor":null}' % len(pks)
        yield (sep + _batch_adapter.dump_json(batch)[1:-1] if batch else b"") + tail

    return StreamingResponse(body_chunks(), media_type="application/json")


@router.post("/delete", summary="Delete pictures (from their datasets too)")
def delete_pictures(
    body: PictureSelection, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> SelectionResult:
    return SelectionResult(count=datalake.delete_pictures(db, caller, org.id, ids=body.pictures))


@router.post("/tag", summary="Add tags to pictures (idempotent)")
def tag_pictures(
    body: PicturesTag, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> SelectionResult:
    return SelectionResult(
        count=datalake.add_tags(db, caller, org.id, ids=body.pictures, tags=body.tags)
    )


@router.post("/untag", summary="Remove tags from pictures")
def untag_pictures(
    body: PicturesTag, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> SelectionResult:
    return SelectionResult(
        count=datalake.remove_tags(db, caller, org.id, ids=body.pictures, tags=body.tags)
    )


def _one(db: DbDep, caller: CallerDep, org_id: uuid.UUID, picture_id: uuid.UUID) -> Picture:
    found = datalake.get_pictures(db, caller, org_id, ids=[picture_id])
    if not found:
        raise ResourceNotFoundError(f"no picture {picture_id} in this organization")
    return found[0]


@router.get("/{picture_id:uuid}", summary="One picture")
def get_picture(
    picture_id: uuid.UUID, request: Request, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> PicturePublic:
    return to_public(_one(db, caller, org.id, picture_id), base_url(request))


@router.get(
    "/{picture_id:uuid}/file",
    summary="A picture's bytes (single-range `Range` requests: 206)",
    status_code=status.HTTP_200_OK,
    response_class=StreamingResponse,
    responses=BLOB_RESPONSES,
)
def get_picture_file(
    picture_id: uuid.UUID,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    picture = _one(db, caller, org.id, picture_id)
    entity, stream = blobs.open_blob(db, store, caller, org.id, digest=picture.digest)
    return blob_response(entity, stream, filename=picture.external_url, range_header=range_header)
