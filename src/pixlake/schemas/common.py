"""Wire models shared by every resource, and the checks every value of a request passes.

Text is checked once, here, at the edge: every string of every request body (however deep
in lists and mappings, keys included) must be well-formed Unicode without NUL characters,
and every integer must fit in 64 bits, so that no service ever sees a value it cannot store
or write.  Fields that become names, tags or file names take the stricter rules of
``pixlake.names`` (:data:`Name`, :data:`Tag`, :data:`FileName`); long texts take a bound
(:func:`text_field`).  A value that fails is a 422 naming its field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from pixlake.names import MAX_NAME, file_name_problem, name_problem, tag_problem, text_problem

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_INT",
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
#: The deepest nesting of values looked into (bodies are bounded far below it elsewhere).
_MAX_DEPTH: Final = 64


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
    if depth > _MAX_DEPTH:
        return f"expected values nested at most {_MAX_DEPTH} levels deep"
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


class WireModel(BaseModel):
    """Base of request bodies: unknown fields are refused, by name, and every value is
    checked (see the module's text)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _well_formed(cls, value: Any) -> Any:
        problem = value_problem(value)
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
