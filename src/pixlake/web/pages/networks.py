"""The networks' pages: an organization's model registry, the public hub, and a network
with its readme, labels, parameters and files."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from markupsafe import Markup

from pixlake.api.deps import DbDep, StoreDep
from pixlake.api.responses import blob_response
from pixlake.core import networks
from pixlake.web.auth import PageCallerDep, PageOrganizationDep
from pixlake.web.markdown import render_markdown
from pixlake.web.templating import PageRoute, render

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_PER_PAGE: Final = 48
_Cursor = Annotated[str | None, Query(max_length=200)]
_Text = Annotated[str, Query(max_length=200)]


@router.get("/o/{org}/networks")
def registry(
    request: Request,
    db: DbDep,
    caller: PageCallerDep,
    org: PageOrganizationDep,
    cursor: _Cursor = None,
) -> Response:
    found = networks.list_networks(db, caller, org.id, limit=_PER_PAGE, cursor=cursor)
    return render(
        request,
        "networks.html",
        title="Networks",
        networks=found.data,
        count=found.count,
        next_url=f"{request.url.path}?cursor={found.next_cursor}" if found.next_cursor else None,
        hub=False,
        search="",
        type="",
        framework="",
        tag="",
    )


@router.get("/hub")
def hub(
    request: Request,
    db: DbDep,
    caller: PageCallerDep,
    search: _Text = "",
    type: _Text = "",
    framework: _Text = "",
    tag: _Text = "",
    cursor: _Cursor = None,
) -> Response:
    found = networks.hub_networks(
        db,
        caller,
        search=search or None,
        type=type or None,
        framework=framework or None,
        tag=tag or None,
        limit=_PER_PAGE,
        cursor=cursor,
    )
    query = request.url.query.split("&cursor=")[0]
    return render(
        request,
        "networks.html",
        title="Hub",
        networks=found.data,
        count=found.count,
        next_url=f"/hub?{query}&cursor={found.next_cursor}" if found.next_cursor else None,
        hub=True,
        search=search,
        type=type,
        framework=framework,
        tag=tag,
    )


@router.get("/networks/{network_id}")
def network_page(
    request: Request, db: DbDep, caller: PageCallerDep, network_id: uuid.UUID
) -> Response:
    network = networks.get_network_by_id(db, caller, network_id=network_id)
    return render(
        request,
        "network.html",
        network=network,
        readme=Markup(render_markdown(network.readme_text)),  # sanitized by render_markdown
        parameters=json.dumps(network.base_parameters, indent=2, sort_keys=True),
        writable=caller.role_in(network.organization.id) is not None,
    )


@router.get("/networks/{network_id}/thumbnail")
def network_thumbnail(
    db: DbDep, store: StoreDep, caller: PageCallerDep, network_id: uuid.UUID
) -> StreamingResponse:
    entity, stream = networks.open_thumbnail(db, store, caller, network_id=network_id)
    return blob_response(entity, stream)


@router.get("/networks/{network_id}/files/{name}")
def network_file(
    db: DbDep,
    store: StoreDep,
    caller: PageCallerDep,
    network_id: uuid.UUID,
    name: str,
    range_header: Annotated[str | None, Header(alias="Range")] = None,
) -> StreamingResponse:
    entity, stream = networks.open_file(db, store, caller, network_id=network_id, name=name)
    return blob_response(entity, stream, filename=name, range_header=range_header)
