"""The OpenAPI document, with the errors each operation can answer.

FastAPI documents the success of each route and a 422 in its own shape; pixlake answers every
error as a problem document (``pixlake.api.errors``), so the document is completed here, once,
from what each operation takes (a token, path parameters, a body, a write): an operation
lists each error status that the machinery in front of it or the services behind it can
give.  Schema fuzzing (``tests/api/test_schema_fuzzing.py``) holds every answer to it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from pixlake.schemas.common import Problem

__all__ = ["ERROR_STATUSES", "document_errors", "install_openapi"]

PROBLEM = "application/problem+json"
WRITES = frozenset({"post", "put", "patch", "delete"})


#: Each error status, and when an operation can answer it.
ERROR_STATUSES: dict[int, str] = {
    400: "The request cannot be read: a control character in the URL, a body that is not "
    "JSON, a client that hung up mid-body, or a query the service cannot answer.",
    401: "No API token, or one that is unknown, revoked or expired.",
    403: "The token's role does not allow this (a viewer cannot write).",
    404: "Nothing with this id or name among what the caller's organizations can see.",
    409: "It exists already, or it conflicts with what is stored (a name in use, a digest "
    "whose bytes differ).",
    413: "The body is over the server's limit for this route.",
    422: "A field is missing or not valid; `errors` names each, with what was expected.",
}


def _error_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    statuses = [400]
    if operation.get("security"):
        statuses += [401, 403]
    if any(p["in"] == "path" for p in parameters) or operation.get("security"):
        statuses.append(404)  # an organization of the caller's, or an object in the path
    if method in WRITES:
        statuses.append(409)
    if has_body or method in WRITES:
        statuses.append(413)
    if parameters or has_body:
        statuses.append(422)
    return statuses


def document_errors(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with a problem response for each error status of each operation."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    # FastAPI's own validation shapes are never sent: pixlake answers a problem document.
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    problem = {"$ref": "#/components/schemas/Problem"}
    for operations in document.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in _error_statuses(method, operation):
                responses[str(status)] = {
                    "description": ERROR_STATUSES[status],
                    "content": {PROBLEM: {"schema": problem}},
                }
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve ``app``'s document with its errors documented."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()  # FastAPI's, cached until the routes change
        if "Problem" not in document.get("components", {}).get("schemas", {}):
            document_errors(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
