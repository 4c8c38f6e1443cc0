"""Rows 1 and 2 of the wire table: who is calling, and which organization they work in."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from pixlake.api.deps import CallerDep, DbDep
from pixlake.api.upstream._wire import WireModel, body_of, ok
from pixlake.core import accounts

__all__ = ["SDK_VERSION", "router"]

#: The upstream release whose protocol this is: its client warns when the server names
#: another one.
SDK_VERSION = "5.0.21"

router = APIRouter(tags=["connection"])


@router.get("/ping", summary="The caller's username, and the client release this server speaks")
def ping(caller: CallerDep) -> Response:
    return ok({"username": caller.username, "sdk_version": SDK_VERSION})


class OrganizationQuery(WireModel):
    organization: str | None = None


@router.post("/get_organization", summary="An organization of the caller's, by name")
def get_organization(
    caller: CallerDep,
    db: DbDep,
    body: OrganizationQuery = Depends(body_of(OrganizationQuery)),  # noqa: B008
) -> Response:
    org = accounts.resolve_organization(db, caller, body.organization)
    return ok({"organization_id": str(org.id), "organization_name": org.name})
