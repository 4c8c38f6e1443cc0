"""Content-addressed blobs: ask what is missing, send it (one by one or many at once), read it.

POST /organizations/{org}/blobs/missing   {"digests": [...]} -> {"missing": [...]}
PUT  /organizations/{org}/blobs/{sha256}  raw bytes, streamed (up to max_blob_bytes)
POST /organizations/{org}/blobs           application/x-tar of members named by digest
POST /organizations/{org}/blobs/compose   {"parts", "sha256", "size"}: concatenate sent parts
POST /organizations/{org}/blobs/adopt     {"files": [{"name", "sha256"}]}: bytes a client on
                                          this machine wrote into the local store
GET  /organizations/{org}/blobs/{sha256}  the bytes (single-range ``Range`` requests: 206)
GET  /local-store                         where a local store's files are, for SDKs on the
                                          server's machine (loopback callers only)
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.convertors import StringConvertor, register_url_convertor

from pixlake.api.deps import CallerDep, DbDep, OrganizationDep, SettingsDep, StoreDep
from pixlake.api.responses import BLOB_RESPONSES, blob_response, tar_response
from pixlake.api.streaming import stream_into
from pixlake.blobfolder import LAYOUT
from pixlake.core import blobs
from pixlake.core.config import Settings
from pixlake.entities.datalake import BlobEntity
from pixlake.errors import InvalidInputError, PayloadTooLargeError, ResourceNotFoundError
from pixlake.schemas.blobs import (
    BlobPublic,
    BlobRejected,
    BlobsAdopt,
    BlobsCompose,
    BlobsMissing,
    BlobsMissingQuery,
    BlobsRead,
    BlobsStored,
    LocalStorePublic,
)
from pixlake.store.blobs import BlobStore, LocalBlobStore


class _Sha256(StringConvertor):
    """A digest in a path: 64 lowercase hex digits, so that ``/blobs/read`` is not one."""

    regex = "[0-9a-f]{64}"


register_url_convertor("sha256", _Sha256())

router = APIRouter(prefix="/organizations/{org_id}/blobs", tags=["blobs"])
local_router = APIRouter(tags=["blobs"])

Digest = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256, lower-case hex")]


def _public(b: BlobEntity) -> BlobPublic:
    return BlobPublic(
        digest=b.digest, size=b.size, media_type=b.media_type, width=b.width, height=b.height
    )


def _stored(stored: list[BlobEntity], rejected: list[blobs.BlobRejection]) -> BlobsStored:
    return BlobsStored(
        stored=[_public(b) for b in stored],
        rejected=[BlobRejected(digest=r.digest, reason=r.reason) for r in rejected],
    )


def _declared_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise InvalidInputError("Content-Length is not a number")
        if int(length) > limit:
            raise PayloadTooLargeError(
                f"the body is {int(length)} bytes, over the limit of {limit} bytes"
            )


@router.post("/missing", summary="Which of these digests the organization has not sent")
def blobs_missing(
    body: BlobsMissingQuery,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    settings: SettingsDep,
) -> BlobsMissing:
    if len(body.digests) > settings.max_batch_items:
        raise PayloadTooLargeError(
            f"{len(body.digests)} digests in one query; ask for at most {settings.max_batch_items}"
        )
    return BlobsMissing(missing=blobs.missing(db, store, caller, org.id, digests=body.digests))


@router.put(
    "/{digest:sha256}",
    status_code=status.HTTP_201_CREATED,
    summary="Upload one blob (streamed); refused unless the bytes hash to the digest",
)
async def put_blob(
    digest: Digest,
    request: Request,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    settings: SettingsDep,
) -> BlobPublic:
    limit = settings.max_blob_bytes
    _declared_length(request, limit)
    writer = await run_in_threadpool(store.writer)
    try:
        await stream_into(writer, request.stream(), limit=limit)
    except BaseException:
        writer.abort()
        raise
    entity = await run_in_threadpool(
        blobs.finish_upload, db, store, caller, org.id, writer=writer, expected_digest=digest
    )
    return _public(entity)


@router.post(
    "",
    summary="Upload many small blobs as one uncompressed tar whose members are named by digest",
)
async def post_blobs(
    request: Request,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    settings: SettingsDep,
) -> BlobsStored:
    limit = settings.max_batch_bytes
    _declared_length(request, limit)
    # Kept as received and joined once: a growing buffer copied into bytes at the end would
    # copy the whole body once more.
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        received += len(chunk)
        if received > limit:
            raise PayloadTooLargeError(
                f"the batch is over {limit} bytes; send smaller batches or PUT large blobs alone"
            )
    stored, rejected = await run_in_threadpool(
        blobs.receive_archive,
        db,
        store,
        caller,
        org.id,
        b"".join(chunks),
        max_items=settings.max_batch_items,
    )
    return _stored(stored, rejected)


@router.post(
    "/adopt",
    summary="Store blobs whose bytes a client on this machine wrote into the local store",
    description="For the SDK on the server's machine (see `GET /local-store`): each file, "
    "written as `<root>/sha256/<digest[0:2]>/.in-<name>`, is checked (a regular file with no "
    "other name, the store user's, within `PIXLAKE_MAX_BLOB_BYTES`), hashed, and named as "
    "its blob; refused files are reported by digest, as for `POST .../blobs`.  `404` when "
    "the store takes no such files or the caller is not on this machine.",
)
def adopt_blobs(
    body: BlobsAdopt,
    request: Request,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    settings: SettingsDep,
) -> BlobsStored:
    local = _same_host_store(request, store, settings)
    if not local.accepts_adoptions():
        raise ResourceNotFoundError("this server's store takes no files written by clients")
    stored, rejected = blobs.adopt_files(
        db,
        local,
        caller,
        org.id,
        files=[(f.name, f.sha256) for f in body.files],
        max_items=settings.max_batch_items,
        max_size=settings.max_blob_bytes,
    )
    return _stored(stored, rejected)


@router.post(
    "/compose",
    status_code=status.HTTP_201_CREATED,
    summary="Concatenate part blobs already sent into one blob, verified by its digest",
)
def compose_blob(
    body: BlobsCompose,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    settings: SettingsDep,
) -> BlobPublic:
    entity = blobs.compose(
        db,
        store,
        caller,
        org.id,
        parts=body.parts,
        expected_digest=body.sha256,
        expected_size=body.size,
        max_parts=settings.max_batch_items,
        max_size=settings.max_blob_bytes,
    )
    return _public(entity)


@router.post(
    "/read",
    summary="Download many blobs as one uncompressed tar, members named by digest, in order",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-tar": {}}}},
)
def read_blobs(
    body: BlobsRead,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    settings: SettingsDep,
) -> StreamingResponse:
    if len(body.digests) > settings.max_batch_items:
        raise PayloadTooLargeError(
            f"{len(body.digests)} digests in one read; ask for at most {settings.max_batch_items}"
        )
    return tar_response(blobs.held(db, caller, org.id, digests=body.digests), store)


@router.get(
    "/{digest:sha256}",
    summary="Download a blob the organization holds",
    response_class=StreamingResponse,
    responses=BLOB_RESPONSES,
)
def get_blob(
    digest: Digest,
    org: OrganizationDep,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    entity, stream = blobs.open_blob(db, store, caller, org.id, digest=digest)
    return blob_response(entity, stream, range_header=range_header)


def _loopback(request: Request) -> bool:
    """Whether the caller is on this machine (behind a proxy on this machine, the address it
    forwards, since uvicorn trusts a local proxy's ``X-Forwarded-For``)."""
    if request.client is None:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


@local_router.get(
    "/local-store",
    summary="Where the blob store's files are, for an SDK on the server's machine",
    description="Answered to loopback callers when the store is a local folder and "
    "`PIXLAKE_SAME_HOST` is on (the default).  An SDK that can read "
    "`{root}/identity` and finds `identity` in it sees the store itself, and copies "
    "blobs it was told about from `{root}/{layout}` rather than receiving them; with "
    "`uploads`, it writes new blobs there for `POST .../blobs/adopt` rather than sending "
    "them.  The file system's permissions apply as well: this path gives no access by "
    "itself.",
)
def local_store(
    request: Request, caller: CallerDep, store: StoreDep, settings: SettingsDep
) -> LocalStorePublic:
    del caller  # a token is needed, whoever it belongs to
    local = _same_host_store(request, store, settings)
    return LocalStorePublic(
        root=str(local.root.resolve()),
        identity=local.identity,
        layout=LAYOUT,
        uploads=local.accepts_adoptions(),
    )


def _same_host_store(request: Request, store: BlobStore, settings: Settings) -> LocalBlobStore:
    """The local store, for a caller on this machine when same-host transfers are on."""
    if not settings.same_host:
        raise ResourceNotFoundError("same-host transfers are turned off on this server")
    if not isinstance(store, LocalBlobStore):
        raise ResourceNotFoundError("this server's blob store is not a local folder")
    if not _loopback(request):
        raise ResourceNotFoundError("the local store is shown to callers on the same machine only")
    return store
