"""Every error leaves the API as ``application/problem+json`` (RFC 9457).

Domain errors are raised by services as ``PicselliaError`` subclasses and mapped here, once:
routes never build error responses themselves.  A 500 is always a bug; it is logged with its
traceback and answered without internals.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path

from pixlake.errors import PicselliaError, error_class_for

__all__ = ["error_response", "install_error_handlers", "problem_response", "register_error_shape"]

log = logging.getLogger("pixlake.api")
PROBLEM = "application/problem+json"


def problem_response(
    status: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> JSONResponse:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


#: Renders an error ``(status, code, detail, errors)`` as a response.
ErrorShape = Callable[[int, str, str, list[dict[str, Any]]], Response]
#: Paths whose errors another client reads in its own shape, by prefix (the upstream
#: client's ``/sdk/v2``): for the checks that answer before any route does.
_SHAPES: list[tuple[str, ErrorShape]] = []


def register_error_shape(prefix: str, shape: ErrorShape) -> None:
    """Answer errors under ``prefix`` in ``shape`` rather than as problem documents."""
    if all(known != prefix for known, _ in _SHAPES):
        _SHAPES.append((prefix, shape))


def error_response(
    path: str, status: int, code: str, detail: str, errors: list[dict[str, Any]] | None = None
) -> Response:
    """An error answer for a request to ``path``: a problem document, or the shape
    registered for its prefix."""
    for prefix, shape in _SHAPES:
        if path == prefix or path.startswith(prefix + "/"):
            return shape(status, code, detail, errors or [])
    return problem_response(status, code, detail, errors)


def _location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def _routes(app: Any) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each route's path, as Starlette matches it, and its methods (computed once)."""
    routes: list[tuple[re.Pattern[str], frozenset[str]]] | None = getattr(
        app.state, "allowed_methods", None
    )
    if routes is None:
        routes = [
            (compile_path(route.path)[0], frozenset(route.methods))
            for route in iter_route_contexts(app.routes)
            if route.path and route.methods
        ]
        app.state.allowed_methods = routes
    return routes


def _allowed(request: Request) -> list[str]:
    """Every method some route takes at this URL (Starlette's 405 names the first route's)."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    path = path.removeprefix(root) if root and path.startswith(root + "/") else path
    methods: set[str] = set()
    for pattern, route_methods in _routes(request.app):
        if pattern.match(path):
            methods |= route_methods
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PicselliaError)
    async def _domain(_request: Request, exc: PicselliaError) -> JSONResponse:
        status = exc.status_code if exc.status_code >= 400 else 500
        return problem_response(status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _location(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        fields = ", ".join(e["field"] for e in errors[:5])
        return problem_response(
            422, "invalid_input", f"the request is not valid ({fields})", errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        cls = error_class_for(None, exc.status_code)
        code = cls.code if cls is not PicselliaError else "http_error"
        detail = str(exc.detail)
        errors: list[dict[str, Any]] = []
        if exc.status_code == 404 and detail == "Not Found":  # no route matched
            detail = f"no route {request.method} {request.url.path}; /docs lists them"
        elif exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "the request body is not JSON that can be read (UTF-8, nested reasonably)"
            errors = [{"field": "body", "message": "expected a JSON document"}]
        response = problem_response(exc.status_code, code, detail, errors)
        response.headers.update(exc.headers or {})  # 401's WWW-Authenticate
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed(request))
        return response

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _exc: ClientDisconnect) -> JSONResponse:
        # The client hung up mid-body: nothing was stored (a blob becomes visible only once
        # whole), and nobody reads this answer.
        log.info("the client hung up during %s %s", request.method, request.url.path)
        return problem_response(400, "invalid_query", "the client hung up before the body's end")

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "error", "internal server error; the server log has details")
