"""The upstream Picsellia client's protocol (picsellia 5.0.21), served under ``/sdk/v2``.

An unmodified upstream client pointed at ``http://<pixlake>/sdk/v2/`` works against this
server: each route translates one row of the client's wire table
(``docs/upstream-client.md``) onto the services that ``/api/v1`` uses, so the rules, the
permission checks and the data are the same. What is particular to the client lives here:
bodies read as JSON whatever their headers, errors as ``{"error": ...}`` at the statuses it
knows, its records' shapes, and the signed storage URLs through which it moves bytes
(``storage``).

It is a mounted application of its own: its errors take the client's shape, and its
OpenAPI document (``/sdk/v2/openapi.json``) is apart from pixlake's API.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from pixlake._version import __version__
from pixlake.api.errors import register_error_shape
from pixlake.api.upstream import (
    connection,
    datalake,
    datasets,
    experiment_data,
    experiments,
    networks,
    projects,
    storage,
    unsupported,
)
from pixlake.api.upstream._wire import error_response
from pixlake.errors import PicselliaError

__all__ = ["PREFIX", "STORAGE_PREFIX", "install_upstream"]

PREFIX = "/sdk/v2"
#: Where the signed storage URLs are: their bodies are blobs, bounded as blobs are.
STORAGE_PREFIX = f"{PREFIX}/storage/"

log = logging.getLogger("pixlake.api")


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(PicselliaError)
    async def _domain(_request: Request, exc: PicselliaError) -> Response:
        status = exc.status_code if exc.status_code >= 400 else 500
        return error_response(status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "message": e.get("msg", "invalid"),
            }
            for e in exc.errors()
        ]
        first = problems[0] if problems else {"field": "request", "message": "invalid"}
        return error_response(400, "invalid_input", f"{first['field']}: {first['message']}", [])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.method} {request.url.path} in the upstream protocol"
        elif exc.status_code == 405:
            detail = f"{request.url.path} does not take {request.method}"
        return error_response(exc.status_code, "http_error", detail, [])

    @app.exception_handler(ClientDisconnect)
    async def _gone(_request: Request, _exc: ClientDisconnect) -> Response:
        return error_response(400, "invalid_query", "the client hung up before the body's end", [])

    @app.exception_handler(Exception)
    async def _bug(request: Request, _exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "error", "internal server error; the server log has details", [])


def install_upstream(app: FastAPI) -> None:
    """Mount the upstream protocol on ``app``, over the same state (database, blob store,
    jobs, settings)."""
    upstream = FastAPI(
        title="pixlake: the upstream Picsellia client's protocol",
        version=__version__,
        docs_url=None,
        redoc_url=None,
    )
    for name in ("settings", "db", "store", "jobs"):
        setattr(upstream.state, name, getattr(app.state, name))
    _handlers(upstream)
    # literal paths before parameterised ones: FastAPI tries routes in this order (an
    # experiment's ``/data`` before ``experiment/{project_token}/{experiment_id}``)
    for router in (
        connection.router,
        storage.router,
        datalake.router,
        datasets.router,
        experiment_data.router,
        experiments.router,
        projects.router,
        networks.router,
        unsupported.router,
        storage.storage_router,
    ):
        upstream.include_router(router)
    app.mount(PREFIX, upstream)
    register_error_shape(PREFIX, error_response)
