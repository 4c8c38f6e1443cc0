"""Every error leaves the API as ``application/problem+json`` (RFC 9457).

Domain errors are raised by services as ``PicselliaError`` subclasses and mapped here, once:
routes never build error responses themselves.  A 500 is always a bug; it is logged with its
traceback and answered without internals.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from pixlake.errors import PicselliaError, error_class_for

__all__ = ["install_error_handlers", "problem_response"]

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


def _location(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


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
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        cls = error_class_for(None, exc.status_code)
        code = cls.code if cls is not PicselliaError else "http_error"
        response = problem_response(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})  # 405's Allow, 401's WWW-Authenticate
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
