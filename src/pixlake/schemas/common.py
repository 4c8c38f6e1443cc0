"""Wire models shared by every resource, and the checks every value of a request passes.

Text is checked once, here, at the edge: every string of every request body (however deep
in lists and mappings, keys included) must be well-formed Unicode without NUL characters,
and every integer must fit in 64 bits, so that no service ever sees a value it cannot store
or write.  Fields that become names, tags or file names take the stricter rules of
``pixlake.names`` (:data:`Name`, :data:`Tag`, :data:`FileName`); long texts take a bound
(:func:`text_field`).  A value that fails is a 422 naming its field.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationInfo,
    field_validator,
)

from pixlake.names import MAX_NAME, file_name_problem, name_problem, tag_problem, text_problem

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_INT",
    "MAX_JSON_DEPTH",
    "MAX_NAME",
    "MAX_README",
    "MIN_INT",
    "FileName",
    "Name",
    "Problem",
    "ProblemDetail",
    "Tag",
    "WireModel",
    "text_field",
    "value_problem",
]

#: The longest texts a request may hold, by kind (a service may hold less).
MAX_DESCRIPTION: Final = 10_000
MAX_README: Final = 1_000_000
#: The integers a database column holds (SQLite's and PostgreSQL's BIGINT).
MIN_INT: Final = -(2**63)
MAX_INT: Final = 2**63 - 1
#: The deepest nesting of a request's values; the server sets it per request from
#: ``PIXLAKE_MAX_JSON_DEPTH`` (``pixlake.api.limits``).
MAX_JSON_DEPTH: ContextVar[int] = ContextVar("pixlake_max_json_depth", default=64)


def value_problem(value: Any, depth: int = 0) -> str | None:
    """What is wrong with a request value, if anything: a string that is not valid text
    (:func:`pixlake.names.text_problem`), an integer past 64 bits; in lists and mappings,
    where (``[3].name: ...``)."""
    kind = type(value)
    if kind is str:
        return text_problem(value)
    if kind is int:
        return None if MIN_INT <= value <= MAX_INT else "expected an integer of at most 64 bits"
    if kind is float or kind is bool or value is None:
        return None
    if depth >= MAX_JSON_DEPTH.get():
        return f"expected values nested at most {MAX_JSON_DEPTH.get()} levels deep"
    if kind is list or kind is tuple:
        if all(type(item) is float for item in value):  # a line's points: nothing to check
            return None
        for index, item in enumerate(value):
            problem = value_problem(item, depth + 1)
            if problem is not None:
                return f"[{index}]: {problem}"
        return None
    if kind is dict:
        for key, item in value.items():
            problem = value_problem(key, depth + 1) or value_problem(item, depth + 1)
            if problem is not None:
                return f"{str(key)[:40]!r}: {problem}"
        return None
    return None  # a model already checked, a UUID, a datetime...


_JSON_KIND: Final = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
    list: "array",
    dict: "object",
}


def _json_kinds(schema: dict[str, Any]) -> frozenset[str] | None:
    """The JSON types a schema allows at its top, or None when it does not say simply."""
    if "type" in schema:
        kind = schema["type"]
        return frozenset(kind if isinstance(kind, list) else [kind])
    if "anyOf" in schema:
        parts = [_json_kinds(part) for part in schema["anyOf"]]
        if any(part is None for part in parts):
            return None
        return frozenset().union(*(part for part in parts if part is not None))
    return None


@functools.cache
def _kinds_of(model: type[BaseModel], name: str) -> frozenset[str] | None:
    field = model.model_fields.get(name)
    if field is None or field.annotation is None:
        return None
    try:
        schema = TypeAdapter(field.annotation).json_schema()
    except Exception:  # a type without a JSON schema: Pydantic's own check stands
        return None
    return _json_kinds(schema)


def _kind_problem(value: Any, kinds: frozenset[str] | None) -> str | None:
    """Whether a JSON value is of a type its schema allows: Pydantic would turn ``"1"`` or
    ``true`` into an integer and ``0`` into ``false``, which the OpenAPI document forbids."""
    if kinds is None:
        return None
    kind = _JSON_KIND.get(type(value))
    if kind is None or kind in kinds or (kind == "integer" and "number" in kinds):
        return None
    return f"expected {' or '.join(sorted(kinds))}, not {kind}"


class WireModel(BaseModel):
    """Base of request bodies: unknown fields are refused, by name, and every value is
    checked (see the module's text), its JSON type included."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _well_formed(cls, value: Any, info: ValidationInfo) -> Any:
        problem = value_problem(value)
        if problem is None and info.field_name is not None:
            problem = _kind_problem(value, _kinds_of(cls, info.field_name))
        if problem is not None:
            raise ValueError(problem)
        return value


def _checked(check: Callable[[Any], str | None]) -> Callable[[Any], Any]:
    def validate(value: Any) -> Any:
        problem = check(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    return validate


#: The name of a thing: a dataset, a version, a project, an experiment, a network, a label.
Name = Annotated[str, AfterValidator(_checked(name_problem))]
#: A tag of a picture or a network.
Tag = Annotated[str, AfterValidator(_checked(tag_problem))]
#: A file's name: a picture's, a file asset's, a network file's.
FileName = Annotated[str, AfterValidator(_checked(file_name_problem))]


def text_field(limit: int, default: Any = ..., **more: Any) -> Any:
    """A field of free text of at most ``limit`` characters (descriptions, readmes)."""
    return Field(default, max_length=limit, **more)


class ProblemDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    message: str
    field: str | None = None
    file: str | None = None
    line: int | None = None


class Problem(BaseModel):
    """RFC 9457 ``application/problem+json``, plus pixlake's ``code`` and ``errors``."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str
    errors: list[ProblemDetail] = Field(default_factory=list)
    extra: dict[str, Any] | None = None
