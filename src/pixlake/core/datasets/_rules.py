"""The rules of datasets and annotations: names, label types, review statuses, splits, and
which object kinds a label accepts; the parsing of objects as callers give them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pixlake.errors import InvalidInputError
from pixlake.formats import QA, Obj, parse_compact, parse_qa, parse_wire_object
from pixlake.names import name_problem, path_problem, split_problem
from pixlake.problems import Problems

__all__ = [
    "ACCEPTS",
    "ANNOTATION_STATUSES",
    "LABEL_TYPES",
    "LATEST",
    "AnnotationInput",
    "check_name",
    "check_split",
    "check_status",
    "parse_image_qa",
    "parse_objects",
    "require_status",
]

LABEL_TYPES = ("rectangle", "polygon", "classification")
ANNOTATION_STATUSES = ("pending", "accepted", "rejected", "review")
#: Which object kinds each label type accepts.  A label's type says how its objects are
#: mainly drawn; geometric labels accept every geometry, because real datasets mix them (a COCO
#: category holds polygons, box-only objects and crowd masks).  See docs/decisions/0005.
_GEOMETRIC = frozenset({"rectangle", "polygon", "mask"})
ACCEPTS: Mapping[str, frozenset[str]] = {
    "rectangle": _GEOMETRIC,
    "polygon": _GEOMETRIC,
    "classification": frozenset({"classification"}),
}
_NAME_RE = re.compile(r"^[^/\x00\\]{1,100}$")
LATEST = "latest"


@dataclass(frozen=True, slots=True)
class AnnotationInput:
    """One picture's annotation, as a caller gives it (objects already parsed)."""

    external_url: str
    objects: tuple[Obj, ...]
    image_qa: tuple[QA, ...] = ()
    status: str | None = None
    nb_instances: int | None = None
    duration: float | None = None
    extra: Mapping[str, Any] | None = None
    split: str | None = None


def _invalid(value: object, what: str, message: str) -> InvalidInputError:
    return InvalidInputError(
        f"{what} {value!r} is not valid", details=[{"field": what, "message": message}]
    )


def check_name(value: str, what: str) -> str:
    """``value`` if it is a valid dataset (``what="name"``) or version name: a name (see
    ``pixlake.names.name_problem``) that makes a folder of a download and travels in a URL
    path as it is."""
    if not isinstance(value, str) or not _NAME_RE.match(value) or value.strip() != value:
        raise _invalid(
            value,
            what,
            "expected 1 to 100 characters, no '/', '\\' or NUL, no leading or trailing spaces",
        )
    problem = name_problem(value, what=what, limit=100)
    if problem is not None:
        raise _invalid(value, what, problem)
    if value in (".", ".."):
        raise _invalid(
            value,
            what,
            "expected a name other than '.' or '..': a download makes a folder of it",
        )
    problem = path_problem(value, what=what)
    if problem is not None:
        raise _invalid(value, what, problem)
    if what == "version" and value == LATEST:
        raise InvalidInputError(
            "'latest' is reserved: it always means the newest version",
            details=[{"field": "version", "message": "choose another version name"}],
        )
    return value


def check_status(status: str | None, field: str, problems: Problems) -> None:
    if status is not None and status not in ANNOTATION_STATUSES:
        problems.add(
            f"expected a status among {', '.join(ANNOTATION_STATUSES)}, got {status!r}", field=field
        )


def check_split(split: str | None, field: str, problems: Problems) -> None:
    if split is not None:
        problem = split_problem(split)
        if problem is not None:
            problems.add(problem, field=field)


def require_status(status: str | None) -> None:
    """Refuse a ``status`` parameter that is not a review status."""
    problems = Problems()
    check_status(status, "status", problems)
    problems.raise_if_any("status")


def parse_objects(
    data: Any,
    *,
    field: str,
    problems: Problems,
    width: int = 0,
    height: int = 0,
    compact: bool = False,
) -> tuple[Obj, ...]:
    """Wire objects (or, with ``compact``, objects in the compact form) to ``Obj``, recording
    every problem (geometry checked against the size)."""
    if not isinstance(data, list):
        problems.add("expected a list of objects", field=field)
        return ()
    parse = parse_compact if compact else parse_wire_object
    out = []
    for i, item in enumerate(data):
        obj = parse(item, field=f"{field}[{i}]", problems=problems, width=width, height=height)
        if obj is not None:
            out.append(obj)
    return tuple(out)


def parse_image_qa(data: Any, *, field: str, problems: Problems) -> tuple[QA, ...]:
    if data is None:
        return ()
    return parse_qa(data, field=field, problems=problems)
