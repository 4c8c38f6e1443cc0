"""Networks (the model registry) and the hub of public networks.

GET    /organizations/{org}/networks                       a page of the organization's networks
POST   /organizations/{org}/networks                       create {name, type}
GET    /organizations/{org}/networks/{id or name}          one network
PATCH  /organizations/{org}/networks/{id}                  change fields
DELETE /organizations/{org}/networks/{id}                  delete
POST   /organizations/{org}/networks/{id}/files            store {name, sha256} (bytes sent first)
PUT    /organizations/{org}/networks/{id}/thumbnail        set the thumbnail {sha256}
GET    /networks/{id}/files/{name}                         a stored file's bytes (Range: 206)
GET    /networks/{id}/thumbnail                            the thumbnail (?original=true: source)
GET    /hub/networks                                       public networks of every organization
GET    /hub/organizations/{name or id}                     an organization publishing networks

Non-members read an organization's public networks only, and change none of them.
"""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from pixlake.api.deps import (
    CallerDep,
    DbDep,
    OrganizationDep,
    OrganizationIdDep,
    SettingsDep,
    StoreDep,
    base_url,
)
from pixlake.api.responses import BLOB_RESPONSES, blob_response
from pixlake.core import networks
from pixlake.entities.networks import Network, file_name_of
from pixlake.schemas.accounts import OrganizationPublic
from pixlake.schemas.common import MAX_INT
from pixlake.schemas.networks import (
    NetworkCreate,
    NetworkFileCreate,
    NetworkFilePublic,
    NetworkOrganization,
    NetworkOwner,
    NetworkPublic,
    NetworksPublic,
    NetworkThumbnailSet,
    NetworkUpdate,
)

router = APIRouter(tags=["networks"])

ORG = "/organizations/{org_id}/networks"
RangeHeader = Annotated[str | None, Header(alias="Range")]


def to_public(n: Network, base: str) -> NetworkPublic:
    root = f"{base}/api/v1/networks/{n.id}"
    return NetworkPublic(
        model_id=n.id,
        network_name=n.name,
        description=n.description,
        type=n.type,
        owner=NetworkOwner(id=n.owner.id, username=n.owner.username) if n.owner else None,
        organization=NetworkOrganization(id=n.organization.id, name=n.organization.name),
        private=n.private,
        framework=n.framework,
        tag=list(n.tags),
        files={f.name: f.object_name for f in n.files},
        labels=n.labels,
        base_parameters=n.base_parameters,
        readme_text=n.readme_text,
        thumb_object_name=n.thumb_object_name,
        date_created=n.created_at,
        last_update=n.updated_at,
        thumbnail_url=f"{root}/thumbnail" if n.thumbnail_digest else None,
        file_details={
            f.name: NetworkFilePublic(
                object_name=f.object_name,
                file_name=file_name_of(f.object_name),
                sha256=f.digest,
                size=f.size,
                url=f"{root}/files/{quote(f.name, safe='')}",
                date_created=f.created_at,
            )
            for f in n.files
        },
    )


def _page(page: networks.NetworkPage, request: Request) -> NetworksPublic:
    base = base_url(request)
    return NetworksPublic(
        data=[to_public(n, base) for n in page.data], count=page.count, next_cursor=page.next_cursor
    )


# --------------------------------------------------------------------------- organization


@router.get(ORG, summary="A page of an organization's networks (non-members: public ones)")
def list_networks(
    org_id: OrganizationIdDep,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=MAX_INT)] = 100,
    cursor: str | None = None,
) -> NetworksPublic:
    limit = min(limit, settings.max_page_size)
    return _page(networks.list_networks(db, caller, org_id, limit=limit, cursor=cursor), request)


@router.post(ORG, status_code=status.HTTP_201_CREATED, summary="Create a private network")
def create_network(
    body: NetworkCreate, request: Request, org: OrganizationDep, caller: CallerDep, db: DbDep
) -> NetworkPublic:
    network = networks.create_network(db, caller, org.id, name=body.name, type=body.type)
    return to_public(network, base_url(request))


@router.get(ORG + "/{network_id}", summary="One network, by id or name")
def get_network(
    org_id: OrganizationIdDep,
    ref: Annotated[str, Path(alias="network_id", description="the network's id or its name")],
    request: Request,
    caller: CallerDep,
    db: DbDep,
) -> NetworkPublic:
    return to_public(networks.get_network(db, caller, org_id, ref=ref), base_url(request))


@router.patch(ORG + "/{network_id}", summary="Change some fields of a network")
def update_network(
    org_id: OrganizationIdDep,
    network_id: uuid.UUID,
    body: NetworkUpdate,
    request: Request,
    caller: CallerDep,
    db: DbDep,
) -> NetworkPublic:
    changes = networks.NetworkChanges(
        network_name=body.network_name,
        type=body.type,
        framework=body.framework,
        private=body.private,
        description=body.description,
        readme_text=body.readme_text,
        tag=body.tag,
        labels=body.labels,
        base_parameters=body.base_parameters,
    )
    network = networks.update_network(db, caller, org_id, network_id=network_id, changes=changes)
    return to_public(network, base_url(request))


@router.delete(
    ORG + "/{network_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a network (its bytes stay until garbage collection)",
)
def delete_network(
    org_id: OrganizationIdDep, network_id: uuid.UUID, caller: CallerDep, db: DbDep
) -> Response:
    networks.delete_network(db, caller, org_id, network_id=network_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    ORG + "/{network_id}/files",
    summary="Store a file under a name, for bytes already sent (replaces that name's bytes)",
)
def store_file(
    org_id: OrganizationIdDep,
    network_id: uuid.UUID,
    body: NetworkFileCreate,
    request: Request,
    caller: CallerDep,
    db: DbDep,
) -> NetworkPublic:
    network = networks.store_file(
        db,
        caller,
        org_id,
        network_id=network_id,
        name=body.name,
        digest=body.sha256,
        file_name=body.file_name,
    )
    return to_public(network, base_url(request))


@router.put(
    ORG + "/{network_id}/thumbnail",
    summary="Make the thumbnail from an image already sent (under 5 MiB)",
)
def set_thumbnail(
    org_id: OrganizationIdDep,
    network_id: uuid.UUID,
    body: NetworkThumbnailSet,
    request: Request,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
) -> NetworkPublic:
    network = networks.set_thumbnail(
        db, store, caller, org_id, network_id=network_id, digest=body.sha256
    )
    return to_public(network, base_url(request))


# --------------------------------------------------------------------------- bytes


@router.get(
    "/networks/{network_id}/files/{name}",
    summary="A stored file's bytes",
    response_class=StreamingResponse,
    responses=BLOB_RESPONSES,
)
def get_file(
    network_id: uuid.UUID,
    name: str,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    range_header: RangeHeader = None,
) -> StreamingResponse:
    entity, stream = networks.open_file(db, store, caller, network_id=network_id, name=name)
    return blob_response(entity, stream, filename=name, range_header=range_header)


@router.get(
    "/networks/{network_id}/thumbnail",
    summary="A network's thumbnail",
    response_class=StreamingResponse,
    responses=BLOB_RESPONSES,
)
def get_thumbnail(
    network_id: uuid.UUID,
    caller: CallerDep,
    db: DbDep,
    store: StoreDep,
    original: Annotated[bool, Query(description="the image it was made from")] = False,
    range_header: RangeHeader = None,
) -> StreamingResponse:
    entity, stream = networks.open_thumbnail(
        db, store, caller, network_id=network_id, original=original
    )
    return blob_response(entity, stream, range_header=range_header)


# --------------------------------------------------------------------------- hub


@router.get("/hub/networks", summary="A page of the public networks of every organization")
def hub_networks(
    request: Request,
    caller: CallerDep,
    db: DbDep,
    settings: SettingsDep,
    search: Annotated[str | None, Query(description="part of the name, any case")] = None,
    type_: Annotated[str | None, Query(alias="type", description="e.g. detection")] = None,
    framework: Annotated[str | None, Query(description="e.g. pytorch")] = None,
    tag: Annotated[str | None, Query(description="networks carrying this tag")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_INT)] = 100,
    cursor: str | None = None,
) -> NetworksPublic:
    page = networks.hub_networks(
        db,
        caller,
        search=search,
        type=type_,
        framework=framework,
        tag=tag,
        limit=min(limit, settings.max_page_size),
        cursor=cursor,
    )
    return _page(page, request)


@router.get(
    "/hub/organizations/{ref}",
    summary="An organization by name or id: one of yours, or one publishing networks",
)
def hub_organization(ref: str, caller: CallerDep, db: DbDep) -> OrganizationPublic:
    org = networks.hub_organization(db, caller, ref)
    return OrganizationPublic(id=org.id, name=org.name, role=caller.role_in(org.id))
