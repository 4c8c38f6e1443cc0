"""Records the SDK returns, and the checks on what callers pass in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, TypedDict

from pixlake._text import count_is
from pixlake.errors import InvalidInputError
from pixlake.names import tag_problem

__all__ = ["SELECTION_BATCH", "DatasetRecord", "PictureRecord", "check_tags", "picture_ids"]

#: Pictures per request when deleting or tagging a selection.
SELECTION_BATCH: Final = 5000


class PictureRecord(TypedDict):
    """One datalake asset (the Picsellia picture record plus pixlake's fields)."""

    picture_id: str
    external_url: str
    internal_key: str
    width: int
    height: int
    tag: list[str]
    source: str
    date_created: str
    sha256: str
    size: int
    url: str


def picture_ids(pictures: Sequence[PictureRecord | dict[str, Any] | str]) -> list[str]:
    ids: list[str] = []
    for i, item in enumerate(pictures):
        if isinstance(item, str):
            ids.append(item)
        elif isinstance(item, dict) and isinstance(item.get("picture_id"), str):
            ids.append(item["picture_id"])
        else:
            raise TypeError(
                f"pictures[{i}] must be a picture record (with 'picture_id') or a picture id, "
                f"not {type(item).__name__}"
            )
    return ids


def check_tags(tags: Any, name: str = "tags") -> list[str]:
    """``tags`` as a list, once each is a valid tag (``pixlake.names.tag_problem``, the
    server's own rule): checked before anything is sent."""
    if isinstance(tags, str) or not isinstance(tags, Sequence):
        raise TypeError(f"{name} must be a list of strings, not {type(tags).__name__}")
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"{name} must be a list of strings; found {type(tag).__name__}")
    problems = [
        {"field": f"{name}[{i}]", "message": problem}
        for i, tag in enumerate(tags)
        if (problem := tag_problem(tag)) is not None
    ]
    if problems:
        raise InvalidInputError(f"{count_is(len(problems), 'tag')} not valid", details=problems)
    return list(tags)


class LabelRecord(TypedDict):
    name: str
    type: str


class DatasetRecord(TypedDict):
    """One dataset version (the Picsellia dataset record plus pixlake's fields)."""

    dataset_id: str
    dataset_name: str
    version: str
    size: int
    description: str
    private: bool
    date_created: str
    created_from: str | None
    labels: list[LabelRecord]
    nb_annotations: int
    nb_objects: int
    repartition: dict[str, int]
    #: Pictures per split (``train``, ``val``...), for the pictures that have one.
    splits: dict[str, int]
