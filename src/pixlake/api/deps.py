"""Dependencies, as ``Annotated`` aliases: the application's state and the caller.

Those that only read what is at hand are ``async``: FastAPI runs a plain ``def`` dependency in
the thread pool, a hop that costs more than the dependency itself, on every request.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Request, Security
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from pixlake.core import accounts
from pixlake.core.config import Settings
from pixlake.entities.accounts import Caller, Organization
from pixlake.errors import ResourceNotFoundError, UnauthorizedError
from pixlake.store.blobs import BlobStore
from pixlake.store.db.engine import Database

__all__ = [
    "CallerDep",
    "DbDep",
    "OrganizationDep",
    "OrganizationIdDep",
    "SettingsDep",
    "StoreDep",
    "base_url",
]


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _store(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.store
    return store


SettingsDep = Annotated[Settings, Depends(_settings)]
DbDep = Annotated[Database, Depends(_db)]
StoreDep = Annotated[BlobStore, Depends(_store)]


#: The API token, as the OpenAPI document describes it (``auto_error`` off: the message below
#: says what to send, and a missing token is a problem document like every other error).
_API_TOKEN = APIKeyHeader(
    name="Authorization",
    scheme_name="Token",
    description="`Token <your API token>` (`pixlake token create` makes one); "
    "`Bearer <your API token>` is accepted too.",
    auto_error=False,
)


def _token(header: str | None) -> str:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() not in ("token", "bearer") or not value.strip():
        raise UnauthorizedError(
            "missing API token: send the header 'Authorization: Token <your token>'"
        )
    return value.strip()


async def _caller(
    request: Request, db: DbDep, header: Annotated[str | None, Security(_API_TOKEN)]
) -> Caller:
    token = _token(header)
    caller: Caller = await run_in_threadpool(accounts.authenticate, db, token)
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(_caller)]


#: The ``{org_id}`` of a route's path. Routers never declare it themselves: they take
#: :data:`OrganizationDep` or, where other organizations have rights too, :data:`OrganizationIdDep`.
_OrgIdPath = Annotated[uuid.UUID, Path(description="the organization's id")]


async def _organization(caller: CallerDep, org_id: _OrgIdPath) -> Organization:
    entry = caller.memberships.get(org_id)
    if entry is None:
        raise ResourceNotFoundError(f"no organization {org_id} among yours")
    return entry[0]


#: The path's organization, one of the caller's (404 otherwise, as for one that does not exist).
OrganizationDep = Annotated[Organization, Depends(_organization)]


async def _organization_id(org_id: _OrgIdPath) -> uuid.UUID:
    return org_id


#: The path's organization id, whether or not the caller belongs to it, for the routes where
#: other organizations have rights (another organization's public networks): the service
#: decides, answering 404 for what the caller may not see and 403 for what it may only read.
OrganizationIdDep = Annotated[uuid.UUID, Depends(_organization_id)]


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")
