"""pixlake's exceptions: one tree, shared by the server and the SDK.

The public names are those of the Picsellia SDK contract, so ``except ResourceNotFoundError``
works the same in-process and over HTTP: the server renders every ``PicselliaError`` as
``application/problem+json`` carrying its ``code``, and the SDK maps that code back to the
same class.

    PicselliaError (alias PixlakeError)          500  error
    ├── InvalidQueryError                        400  invalid_query
    │   ├── InvalidInputError                    422  invalid_input   (field paths in details)
    │   │   └── ConfigurationError               422  configuration   (a PIXLAKE_* variable)
    │   ├── AlreadyExistsError                   409  already_exists
    │   ├── PayloadTooLargeError                 413  payload_too_large
    │   └── TyperError                           400  typer_error     (bad annotation payload)
    ├── UnauthorizedError                        401  unauthorized
    │   └── AuthenticationError                  401  authentication  (no token configured)
    ├── UnsufficientRessourcesError              402  insufficient_resources
    ├── ForbiddenError                           403  forbidden
    ├── ResourceNotFoundError                    404  not_found
    ├── ApiLimitError                            429  api_limit
    ├── ProcessingError                          500  processing      (a job failed)
    ├── StorageError                             500  storage         (blob store failure)
    ├── UnsupportedFeatureError                  501  unsupported     (also a NotImplementedError)
    └── NetworkError                              -   network         (SDK: server unreachable)

``details`` is a list of problems, each a dict naming where (``field``, ``file``, ``line``)
and what was expected (``message``).  This module imports nothing but the standard library.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AlreadyExistsError",
    "ApiLimitError",
    "AuthenticationError",
    "ConfigurationError",
    "ForbiddenError",
    "InvalidInputError",
    "InvalidQueryError",
    "NetworkError",
    "PayloadTooLargeError",
    "PicselliaError",
    "PixlakeError",
    "ProcessingError",
    "ResourceNotFoundError",
    "StorageError",
    "TyperError",
    "UnauthorizedError",
    "UnsufficientRessourcesError",
    "UnsupportedFeatureError",
    "error_class_for",
]


class PicselliaError(Exception):
    """Base of every pixlake error.

    ``message`` is one human sentence; ``details`` lists individual problems (for bad input:
    one entry per offending field, file or line).
    """

    code: ClassVar[str] = "error"
    status_code: ClassVar[int] = 500
    title: ClassVar[str] = "Unknown error"
    prefix: ClassVar[str] = "Unknown error : "

    def __init__(self, message: str = "", *, details: list[dict[str, Any]] | None = None) -> None:
        self.message = message or self.title
        self.details: list[dict[str, Any]] = list(details or [])
        super().__init__(self.message)

    def __str__(self) -> str:
        text = f"{self.prefix}{self.message}"
        if self.details:
            shown = self.details[:20]
            lines = [_describe(d) for d in shown]
            more = len(self.details) - len(shown)
            if more > 0:
                lines.append(f"... and {more} more")
            text += "\n" + "\n".join(f"  - {line}" for line in lines)
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self.details))


def _rebuild(cls: type[PicselliaError], message: str, details: list[dict[str, Any]]) -> Any:
    return cls(message, details=details)


def _describe(detail: dict[str, Any]) -> str:
    """One problem as a line: ``file:line: field: message``, as compilers write them (which
    editors and terminals turn into links), with whichever of the three are known."""
    place = [str(detail[k]) for k in ("file", "line") if detail.get(k) not in (None, "")]
    where = [":".join(place)] if place else []
    if detail.get("field") not in (None, ""):
        where.append(str(detail["field"]))
    message = str(detail.get("message", ""))
    return f"{': '.join(where)}: {message}" if where else message


PixlakeError = PicselliaError


class InvalidQueryError(PicselliaError):
    code = "invalid_query"
    status_code = 400
    title = "Invalid query"
    prefix = "Invalid query : "


class InvalidInputError(InvalidQueryError):
    """The request is well formed but its content is not acceptable (a field, a file, a line)."""

    code = "invalid_input"
    status_code = 422
    title = "Invalid input"


class ConfigurationError(InvalidInputError):
    """A setting (a ``PIXLAKE_*`` environment variable) that pixlake cannot use: the message
    names the variable, its value and what was expected."""

    code = "configuration"
    title = "Invalid configuration"
    prefix = "Invalid configuration : "


class AlreadyExistsError(InvalidQueryError):
    code = "already_exists"
    status_code = 409
    title = "Already exists"


class PayloadTooLargeError(InvalidQueryError):
    code = "payload_too_large"
    status_code = 413
    title = "Payload too large"


class TyperError(InvalidQueryError):
    """An annotation payload does not have the shape the contract gives it."""

    code = "typer_error"
    title = "Invalid annotation payload"


class UnauthorizedError(PicselliaError):
    code = "unauthorized"
    status_code = 401
    title = "Unauthorized"
    prefix = "Unauthorized : "


class AuthenticationError(UnauthorizedError):
    code = "authentication"
    title = "No API token"


class UnsufficientRessourcesError(PicselliaError):
    code = "insufficient_resources"
    status_code = 402
    title = "Insufficient resources"
    prefix = "Insufficient resources : "


class ForbiddenError(PicselliaError):
    code = "forbidden"
    status_code = 403
    title = "Not allowed"
    prefix = "Not allowed : "


class ResourceNotFoundError(PicselliaError):
    code = "not_found"
    status_code = 404
    title = "Not found"
    prefix = "Not found : "


class ApiLimitError(PicselliaError):
    code = "api_limit"
    status_code = 429
    title = "Too many requests"
    prefix = "API limit : "


class ProcessingError(PicselliaError):
    code = "processing"
    title = "Processing failed"
    prefix = "Processing error : "


class StorageError(PicselliaError):
    code = "storage"
    title = "Storage error"
    prefix = "Storage error : "


class UnsupportedFeatureError(PicselliaError, NotImplementedError):
    """A feature of the upstream platform that pixlake deliberately does not provide."""

    code = "unsupported"
    status_code = 501
    title = "Not supported by pixlake"
    prefix = "Not supported : "


class NetworkError(PicselliaError):
    """The server could not be reached, or the connection dropped (SDK side only)."""

    code = "network"
    status_code = 0
    title = "Network error"
    prefix = "Network error : "


def _all_subclasses(cls: type[PicselliaError]) -> list[type[PicselliaError]]:
    out: list[type[PicselliaError]] = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


def error_class_for(code: str | None, status: int) -> type[PicselliaError]:
    """The exception class for a server answer: by ``code`` first, else by HTTP status."""
    classes: list[type[PicselliaError]] = [PicselliaError, *_all_subclasses(PicselliaError)]
    if code:
        for cls in classes:
            if cls.code == code:
                return cls
    by_status: dict[int, type[PicselliaError]] = {
        400: InvalidQueryError,
        401: UnauthorizedError,
        402: UnsufficientRessourcesError,
        403: ForbiddenError,
        404: ResourceNotFoundError,
        409: AlreadyExistsError,
        413: PayloadTooLargeError,
        422: InvalidInputError,
        429: ApiLimitError,
        501: UnsupportedFeatureError,
    }
    return by_status.get(status, PicselliaError)
