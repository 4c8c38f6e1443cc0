"""Rows 7 to 12 of the wire table: the datalake's pictures.

GET  /datalake/{org_id}             every picture: {"pictures": [...]}
POST /datalake/search/{org_id}      {tags, quantity}: a random fraction of those with any tag
POST /datalake/delete/{org_id}      {to_delete: [pictures]}
POST /datalake/tag/{org_id}         {tags, to_tag: [pictures]}
POST /datalake/delete_tag/{org_id}  {tags, to_delete_tag: [pictures]}
PUT  /picture/upload/{org_id}       {internal_key, external_url, tags, source}: register the
                                    bytes sent under the key; 201, or 208 for a name taken
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import Field
from pydantic_core import to_json

from pixlake.api.deps import CallerDep, DbDep, OrganizationDep, base_url
from pixlake.api.routers.pictures import files_url, public_fields
from pixlake.api.upstream._wire import WireModel, body_of, created, ok, picture_ids
from pixlake.core import datalake, object_storage, thumbnails
from pixlake.entities.datalake import Picture
from pixlake.errors import InvalidInputError

__all__ = ["router"]

router = APIRouter(tags=["datalake"])

#: Pictures read, and sent, at a time in a list of the whole datalake.
_BATCH = 1000


def _streamed(pictures: Iterable[Picture], files: str, key: str = "pictures") -> Iterator[bytes]:
    """``{"<key>": [records]}``, a batch of records at a time."""
    yield b'{"%s":[' % key.encode()
    sep = b""
    batch: list[dict[str, Any]] = []
    for picture in pictures:
        batch.append(public_fields(picture, files))
        if len(batch) == _BATCH:
            yield sep + to_json(batch)[1:-1]
            batch, sep = [], b","
    yield (sep + to_json(batch)[1:-1] if batch else b"") + b"]}"


def _every_picture(db: Any, caller: Any, organization_id: uuid.UUID) -> Iterator[Picture]:
    cursor = None
    while True:
        page = datalake.list_pictures(db, caller, organization_id, limit=_BATCH, cursor=cursor)
        yield from page.data
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


@router.get("/datalake/{org_id}", summary="Every picture of the datalake")
def list_pictures(
    request: Request, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> StreamingResponse:
    datalake.count_pictures(db, caller, org.id)  # refused now, not in the middle of the answer
    files = files_url(base_url(request), org.id)
    return StreamingResponse(
        _streamed(_every_picture(db, caller, org.id), files), media_type="application/json"
    )


class Search(WireModel):
    tags: list[str] = Field(default_factory=list)
    quantity: float = 1


@router.post("/datalake/search/{org_id}", summary="A random fraction of the pictures with a tag")
def search_pictures(
    request: Request,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    body: Search = Depends(body_of(Search)),  # noqa: B008
) -> StreamingResponse:
    pks, _matches = datalake.sample_pictures(
        db, caller, org.id, tags=body.tags, quantity=body.quantity
    )
    files = files_url(base_url(request), org.id)
    return StreamingResponse(
        _streamed(datalake.iter_sample(db, org.id, pks=pks), files), media_type="application/json"
    )


class Deletion(WireModel):
    to_delete: list[Any] = Field(default_factory=list)


@router.post("/datalake/delete/{org_id}", summary="Delete pictures (from their datasets too)")
def delete_pictures(
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    body: Deletion = Depends(body_of(Deletion)),  # noqa: B008
) -> Response:
    ids = picture_ids(body.to_delete, "to_delete")
    count = datalake.delete_pictures(db, caller, org.id, ids=ids)
    return ok({"success": f"{count} assets deleted from Lake"})


class Tagging(WireModel):
    tags: list[str] = Field(default_factory=list)
    to_tag: list[Any] = Field(default_factory=list)


@router.post("/datalake/tag/{org_id}", summary="Add tags to pictures")
def tag_pictures(
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    body: Tagging = Depends(body_of(Tagging)),  # noqa: B008
) -> Response:
    ids = picture_ids(body.to_tag, "to_tag")
    datalake.add_tags(db, caller, org.id, ids=ids, tags=body.tags)
    return ok()


class Untagging(WireModel):
    tags: list[str] = Field(default_factory=list)
    to_delete_tag: list[Any] = Field(default_factory=list)


@router.post("/datalake/delete_tag/{org_id}", summary="Remove tags from pictures")
def untag_pictures(
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    body: Untagging = Depends(body_of(Untagging)),  # noqa: B008
) -> Response:
    ids = picture_ids(body.to_delete_tag, "to_delete_tag")
    datalake.remove_tags(db, caller, org.id, ids=ids, tags=body.tags)
    return ok()


class Registration(WireModel):
    internal_key: str
    external_url: str
    tags: list[str] = Field(default_factory=list)
    source: str = "sdk"


@router.put("/picture/upload/{org_id}", summary="Register a picture for the bytes sent")
def register_picture(
    request: Request,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    body: Registration = Depends(body_of(Registration)),  # noqa: B008
) -> Response:
    sent = object_storage.uploaded(db, caller, org.id, bucket="datalake", key=body.internal_key)
    result = datalake.add_pictures(
        db,
        caller,
        org.id,
        [datalake.NewPicture(body.external_url, sent.digest)],
        tags=body.tags,
        source=body.source,
    )
    if result.rejected:
        refused = result.rejected[0]
        message = f"{refused.external_url}: {refused.reason}"
        if refused.conflict:
            return JSONResponse({"error": message}, status_code=208)
        raise InvalidInputError(
            message, details=[{"field": "external_url", "message": refused.reason}]
        )
    if result.created:
        thumbnails.request_thumbnails(db, request.app.state.jobs, caller, org.id)
    picture = (result.created or result.existing)[0]
    return created({"picture": public_fields(picture, files_url(base_url(request), org.id))})
