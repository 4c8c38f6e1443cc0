"""Rows 3 to 6 of the wire table, and the signed URLs they hand out.

The client asks for a signed URL for a key (``generate_presigned_url``, or a multipart
upload's ``init_multipart_upload``, ``generate_post_part_url`` and
``complete_part_upload``), then talks to that URL without its token, as it would to S3:

POST /storage/{token}   a form: the answer's ``fields``, then the ``file``; answers 204
PUT  /storage/{token}   one part's raw bytes; answers 200 with the part's ``ETag``
GET  /storage/{token}   the object's bytes, with their ``Content-Length``

Each URL works once, for the method, key and size it was made for, within the hour
(``pixlake.core.object_storage``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from pixlake.api.deps import CallerDep, DbDep, SettingsDep, StoreDep
from pixlake.api.responses import blob_response
from pixlake.api.streaming import stream_into
from pixlake.api.upstream._wire import WireModel, body_of, created, ok
from pixlake.core import object_storage
from pixlake.entities.storage import Bucket, StoredObject
from pixlake.errors import InvalidInputError
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = ["PART_LIMIT", "Resolver", "register_resolver", "resolvers", "router", "storage_router"]

#: The most bytes one part of a multipart upload may hold (the client sends 5 MiB parts).
PART_LIMIT = 64 * 1024 * 1024

router = APIRouter(tags=["storage"])
storage_router = APIRouter(prefix="/storage", tags=["storage"])

Token = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]

#: Finds the bytes a key names among one kind of record.
Resolver = Callable[[UnitOfWork, uuid.UUID, str], StoredObject | None]

#: How a key the client names is found among the records, when nothing was uploaded under
#: it through this protocol (a file stored with pixlake's own SDK): one finder per kind of
#: record, tried in turn (``register_resolver``).
resolvers: list[Resolver] = []


def register_resolver(resolve: Resolver) -> None:
    """Try ``resolve`` too for keys nothing was uploaded under (once, however often)."""
    if resolve not in resolvers:
        resolvers.append(resolve)


def _resolve(tx: UnitOfWork, organization_id: uuid.UUID, key: str) -> StoredObject | None:
    for resolve in resolvers:
        found = resolve(tx, organization_id, key)
        if found is not None:
            return found
    return None


def _bucket(bucket_model: bool) -> Bucket:
    return "models" if bucket_model else "datalake"


class PresignedQuery(WireModel):
    method: Literal["post", "get"]
    object_name: str
    bucket_model: bool = False


@router.post("/generate_presigned_url", summary="A signed URL to upload (post) or download (get)")
def generate_presigned_url(
    request: Request,
    caller: CallerDep,
    db: DbDep,
    settings: SettingsDep,
    body: PresignedQuery = Depends(body_of(PresignedQuery)),  # noqa: B008
) -> Response:
    bucket = _bucket(body.bucket_model)
    if body.method == "post":
        grant = object_storage.sign_upload(
            db, caller, bucket=bucket, key=body.object_name, max_size=settings.max_blob_bytes
        )
        url = str(request.url_for("storage_post", token=grant.token))
        return ok({"url": {"url": url, "fields": {"key": grant.ticket.key}}})
    grant = object_storage.sign_download(
        db, caller, bucket=bucket, key=body.object_name, resolve=_resolve
    )
    return ok({"url": str(request.url_for("storage_get", token=grant.token))})


class MultipartStart(WireModel):
    object_name: str


@router.get("/init_multipart_upload", summary="Begin a multipart upload (JSON body on a GET)")
def init_multipart_upload(
    caller: CallerDep,
    db: DbDep,
    body: MultipartStart = Depends(body_of(MultipartStart)),  # noqa: B008
) -> Response:
    upload = object_storage.start_upload(db, caller, key=body.object_name)
    return ok({"upload_id": str(upload.id)})


class PartQuery(WireModel):
    object_name: str
    upload_id: str
    part_no: int


@router.post("/generate_post_part_url", summary="A signed URL to PUT one part")
def generate_post_part_url(
    request: Request,
    caller: CallerDep,
    db: DbDep,
    body: PartQuery = Depends(body_of(PartQuery)),  # noqa: B008
) -> Response:
    grant = object_storage.sign_part(
        db,
        caller,
        upload_id=body.upload_id,
        key=body.object_name,
        part_no=body.part_no,
        max_size=PART_LIMIT,
    )
    return ok({"url": str(request.url_for("storage_put", token=grant.token))})


class Part(WireModel):
    ETag: str = Field(max_length=200)
    PartNumber: int


class MultipartEnd(WireModel):
    object_name: str
    upload_id: str
    parts: list[Part] = Field(max_length=object_storage.MAX_PARTS)
    network_id: str | None = None


@router.post("/complete_part_upload", summary="Join the parts sent into the object")
def complete_part_upload(
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    settings: SettingsDep,
    body: MultipartEnd = Depends(body_of(MultipartEnd)),  # noqa: B008
) -> Response:
    object_storage.complete_upload(
        db,
        store,
        caller,
        upload_id=body.upload_id,
        key=body.object_name,
        parts=[(p.PartNumber, p.ETag) for p in body.parts],
        max_size=settings.max_blob_bytes,
    )
    return created()


# --------------------------------------------------------------------------- the URLs


@storage_router.post("/{token}", name="storage_post", status_code=204, summary="A form upload")
async def storage_post(token: Token, request: Request, db: DbDep, store: StoreDep) -> Response:
    # the URL is checked before its body is read: a stranger's form goes no further
    ticket = await run_in_threadpool(object_storage.ticket_for, db, token, "POST")
    async with request.form(max_files=1, max_fields=50) as form:
        key, upload = form.get("key"), form.get("file")
        if not isinstance(key, str) or not isinstance(upload, UploadFile):
            raise InvalidInputError(
                "expected a form with the answer's fields, then the file as 'file'",
                details=[{"field": "file", "message": "expected a file part named 'file'"}],
            )
        await run_in_threadpool(
            object_storage.receive_form,
            db,
            store,
            token=token,
            ticket=ticket,
            key=key,
            source=upload.file,
        )
    return Response(status_code=204)


@storage_router.put("/{token}", name="storage_put", summary="One part of a multipart upload")
async def storage_put(token: Token, request: Request, db: DbDep, store: StoreDep) -> Response:
    ticket = await run_in_threadpool(object_storage.ticket_for, db, token, "PUT")
    writer = await run_in_threadpool(store.writer)
    try:
        await stream_into(
            writer, request.stream(), limit=ticket.max_size or PART_LIMIT, what="the part"
        )
        entity = await run_in_threadpool(
            object_storage.receive_part, db, store, token=token, ticket=ticket, writer=writer
        )
    except BaseException:
        writer.abort()
        raise
    return Response(status_code=200, headers={"ETag": f'"{entity.digest}"'})


@storage_router.get("/{token}", name="storage_get", summary="An object's bytes")
def storage_get(token: Token, db: DbDep, store: StoreDep) -> StreamingResponse:
    entity, stream = object_storage.open_download(db, store, token=token)
    return blob_response(entity, stream)
