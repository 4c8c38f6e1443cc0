"""What every route of the upstream protocol shares: bodies read whatever their type, errors
in the shape the client reads, ids parsed, records made plain.

The upstream client sends JSON text without a ``Content-Type`` (a string handed to
``requests``), sometimes on a GET; it reads an error's ``error`` field and turns 400, 401,
402, 403 and 404 into its own exceptions, anything else into "Unknown error". So a body is
parsed as JSON whatever its headers say, and an error pixlake answers with another status
(409 for a name taken, 413, 422) goes out as the 400 the client understands, its message
kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import to_json

from pixlake.errors import InvalidInputError

__all__ = [
    "UPSTREAM_STATUS",
    "WireModel",
    "as_id",
    "body_of",
    "created",
    "error_response",
    "ok",
    "picture_ids",
]

M = TypeVar("M", bound=BaseModel)

#: The statuses the client turns into an exception of its own; others go out as 400.
UPSTREAM_STATUS = frozenset({400, 401, 402, 403, 404, 500, 501})


def error_response(status: int, code: str, detail: str, errors: list[dict[str, Any]]) -> Response:
    """An error as the client reads it: ``{"error": message}``, at a status it knows."""
    del code
    message = detail
    if errors and not any(e.get("message", "") in detail for e in errors):
        first = errors[0]
        where = first.get("field") or first.get("file") or ""
        message = f"{detail} ({where + ': ' if where else ''}{first.get('message', '')})"
    return JSONResponse(
        {"error": message}, status_code=status if status in UPSTREAM_STATUS else 400
    )


class WireModel(BaseModel):
    """A request body of the upstream client: fields it does not send get their defaults,
    and fields pixlake does not read are ignored, as its server ignores them."""

    model_config = ConfigDict(extra="ignore")


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def body_of(model: type[M]) -> Callable[[Request], Awaitable[M]]:
    """A dependency reading the body as JSON into ``model``, whatever its content type (an
    empty body is ``{}``); a body that is not what ``model`` expects is refused, naming the
    field."""

    async def read(request: Request) -> M:
        raw = await request.body()
        try:
            return model.model_validate_json(raw or b"{}")
        except ValidationError as exc:
            problems = [
                {"field": _field(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
                for e in exc.errors()
            ]
            first = problems[0]
            raise InvalidInputError(
                f"{first['field']}: {first['message']}", details=problems
            ) from None

    return read


def as_id(value: object, field: str) -> uuid.UUID:
    """A UUID sent by the client (upstream's ids are version-4 UUID strings)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInputError(
            f"{field}: expected an id, not {str(value)[:60]!r}",
            details=[{"field": field, "message": "expected a UUID"}],
        ) from None


def picture_ids(items: list[Any], field: str) -> list[uuid.UUID]:
    """Pictures as the client sends them back: whole records (their ``picture_id``) or ids."""
    ids = []
    for n, item in enumerate(items):
        value = item.get("picture_id") if isinstance(item, dict) else item
        ids.append(as_id(value, f"{field}[{n}]"))
    return ids


def ok(body: dict[str, Any] | None = None, status: int = 200) -> Response:
    """A JSON answer (ids, times and the like written as the client reads them)."""
    return Response(to_json(body or {}), status_code=status, media_type="application/json")


def created(body: dict[str, Any] | None = None) -> Response:
    return ok(body, 201)
