"""Rows 29 to 35 of the wire table: networks, their files, labels and thumbnail.

GET    /network/by_name/{org}/{name}   one network, by name
GET    /network/{org}                  every network: {"networks": [...]}
POST   /network/{org}                  create {name, type}: the record, unwrapped
POST   /network/{network_id}           deploy (row 35): not supported
GET    /network/{org}/{network_id}     one network: the record, unwrapped
PATCH  /network/{org}/{network_id}     fields, ``files`` (the whole dict, name to key) and
                                       ``thumb_object_name``: {"network": record}
DELETE /network/{org}/{network_id}     delete

``{org}`` is the organization's name: the caller's, or, to read, one publishing networks.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pixlake.api.deps import CallerDep, DbDep, StoreDep, base_url
from pixlake.api.routers.networks import to_public
from pixlake.api.upstream._wire import WireModel, as_id, body_of, ok
from pixlake.api.upstream.unsupported import refuse
from pixlake.core import networks, object_storage
from pixlake.entities.accounts import Caller
from pixlake.entities.networks import Network, file_name_of
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from pixlake.schemas.networks import NetworkUpdate
from pixlake.store.db.engine import Database

__all__ = ["router"]

router = APIRouter(tags=["networks"])

#: Networks read at a time for a list of all of them.
_PAGE = 500


def _record(network: Network, request: Request) -> dict[str, Any]:
    return to_public(network, base_url(request)).model_dump(mode="json")


def _organization(db: Database, caller: Caller, name: str) -> uuid.UUID:
    """The organization a path names: one of the caller's, or one publishing networks."""
    return networks.hub_organization(db, caller, name).id


@router.get("/network/by_name/{org}/{name}", summary="One network, by name")
def get_by_name(org: str, name: str, request: Request, caller: CallerDep, db: DbDep) -> Response:
    network = networks.get_network(db, caller, _organization(db, caller, org), ref=name)
    return ok(_record(network, request))


@router.get("/network/{org}", summary="Every network of an organization (public ones to others)")
def list_networks(org: str, request: Request, caller: CallerDep, db: DbDep) -> Response:
    organization_id = _organization(db, caller, org)
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = networks.list_networks(db, caller, organization_id, limit=_PAGE, cursor=cursor)
        found += [_record(n, request) for n in page.data]
        if page.next_cursor is None:
            return ok({"networks": found})
        cursor = page.next_cursor


class Creation(WireModel):
    name: str = ""
    type: str = ""


@router.post("/network/{org}", summary="Create a network (a network's id here: deploy it)")
def create_network(
    org: str,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    body: Creation = Depends(body_of(Creation)),  # noqa: B008
) -> Response:
    mine = [o for o, _role in caller.memberships.values() if o.name == org]
    if not mine:
        try:
            uuid.UUID(org)
        except ValueError:
            raise ResourceNotFoundError(f"no organization named {org!r} among yours") from None
        raise refuse("deploying a network as a managed inference endpoint")
    network = networks.create_network(db, caller, mine[0].id, name=body.name, type=body.type)
    return ok(_record(network, request))


@router.get("/network/{org}/{network_id}", summary="One network, by id")
def get_network(
    org: str, network_id: str, request: Request, caller: CallerDep, db: DbDep
) -> Response:
    network = networks.get_network(db, caller, _organization(db, caller, org), ref=network_id)
    return ok(_record(network, request))


class Update(BaseModel):
    """What the client sends: ``model_id``, then the fields it was given (checked as
    ``/api/v1`` checks them), the whole ``files`` dict and a thumbnail's key."""

    model_config = ConfigDict(extra="allow")

    model_id: str | None = None
    files: dict[str, str] | None = Field(None, max_length=1000)
    thumb_object_name: str | None = None


@router.patch("/network/{org}/{network_id}", summary="Change fields, files and thumbnail")
def update_network(
    org: str,
    network_id: str,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    body: Update = Depends(body_of(Update)),  # noqa: B008
) -> Response:
    target = as_id(network_id, "network_id")
    if body.model_id is not None and as_id(body.model_id, "model_id") != target:
        raise InvalidInputError(
            "model_id: not the network of the path",
            details=[{"field": "model_id", "message": f"expected {target}"}],
        )
    fields = body.model_extra or {}
    if unknown := sorted(set(fields) - set(NetworkUpdate.model_fields)):
        raise InvalidInputError(
            f"{unknown[0]}: not a field a network's update may change (those are "
            f"{', '.join(NetworkUpdate.model_fields)}, files and thumb_object_name)",
            details=[{"field": name, "message": "unknown or read-only"} for name in unknown],
        )
    try:
        checked = NetworkUpdate.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInputError(
            f"{where}: {first.get('msg', 'invalid')}",
            details=[{"field": where, "message": first.get("msg", "invalid")}],
        ) from None
    changes = networks.NetworkChanges(**checked.model_dump(exclude_none=True))
    organization_id = _organization(db, caller, org)
    network = networks.update_network(
        db, caller, organization_id, network_id=target, changes=changes
    )
    network = _store_files(db, caller, organization_id, network, body.files or {})
    if body.thumb_object_name is not None:
        sent = object_storage.uploaded(
            db, caller, organization_id, bucket="datalake", key=body.thumb_object_name
        )
        network = networks.set_thumbnail(
            db, store, caller, organization_id, network_id=target, digest=sent.digest
        )
    return ok({"network": _record(network, request)})


def _store_files(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    network: Network,
    files: dict[str, str],
) -> Network:
    """Store each file whose key names new bytes (the client sends the whole dict back:
    entries as they were change nothing)."""
    current = {f.name: f for f in network.files}
    for name, key in files.items():
        known = current.get(name)
        try:
            sent = object_storage.uploaded(db, caller, organization_id, bucket="models", key=key)
        except ResourceNotFoundError:
            if known is not None and known.object_name == key:
                continue
            raise
        if known is None or known.digest != sent.digest:
            network = networks.store_file(
                db,
                caller,
                organization_id,
                network_id=network.id,
                name=name,
                digest=sent.digest,
                file_name=file_name_of(key),
            )
    return network


@router.delete("/network/{org}/{network_id}", summary="Delete a network")
def delete_network(org: str, network_id: str, caller: CallerDep, db: DbDep) -> Response:
    target = as_id(network_id, "network_id")
    networks.delete_network(db, caller, _organization(db, caller, org), network_id=target)
    return ok()
