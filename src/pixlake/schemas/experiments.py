"""Wire models of experiments, and the one place where data-asset shapes are checked.

Non-finite numbers (see ``docs/decisions/0007-non-finite-numbers.md``): JSON cannot carry
NaN or infinities, so they travel and are stored as the strings ``"NaN"``, ``"Infinity"``
and ``"-Infinity"`` wherever a number is allowed; ``encode_non_finite`` converts floats to
that form (the SDK calls it before sending) and ``check_data`` accepts both forms.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from pixlake.errors import InvalidInputError
from pixlake.names import DIGEST_RE
from pixlake.schemas.common import FileName, Name, WireModel, text_field

__all__ = [
    "DATA_TYPES",
    "MAX_DESCRIPTION",
    "MAX_EXPERIMENT_NAME",
    "NON_FINITE",
    "DataAssetCreate",
    "DataAssetPublic",
    "DataAssetUpdate",
    "ExperimentCreate",
    "ExperimentPublic",
    "ExperimentUpdate",
    "FileAssetCreate",
    "FileAssetPublic",
    "FileAssetUpdate",
    "LogLinesCreate",
    "LoggingPublic",
    "PointsAppend",
    "PublishRequest",
    "check_data",
    "check_line",
    "encode_non_finite",
]

DATA_TYPES = ("value", "line", "bar", "table", "heatmap", "image", "labelmap", "evaluation")
MAX_EXPERIMENT_NAME = 60
MAX_DESCRIPTION = 1000
#: The strings standing for the numbers JSON cannot carry.
NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def encode_non_finite(data: Any) -> Any:
    """``data`` with every non-finite float replaced by its string form."""
    if isinstance(data, float) and not math.isfinite(data):
        return "NaN" if math.isnan(data) else ("Infinity" if data > 0 else "-Infinity")
    if isinstance(data, dict):
        return {k: encode_non_finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [encode_non_finite(v) for v in data]
    return data


def _bad(field: str, message: str) -> InvalidInputError:
    return InvalidInputError(f"{field}: {message}", details=[{"field": field, "message": message}])


def _number(value: Any, field: str) -> float | str:
    """A number, or the string form of a non-finite one."""
    if isinstance(value, bool):
        raise _bad(field, "expected a number, not a boolean")
    if isinstance(value, int | float):
        return encode_non_finite(value) if isinstance(value, float) else value
    if isinstance(value, str) and value in NON_FINITE:
        return value
    raise _bad(
        field,
        f"expected a number (or 'NaN', 'Infinity', '-Infinity'), not {type(value).__name__}",
    )


def _numbers(value: Any, field: str) -> list[float | str]:
    if not isinstance(value, list):
        raise _bad(field, f"expected a list of numbers, not {type(value).__name__}")
    return [_number(v, f"{field}[{i}]") for i, v in enumerate(value)]


def _scalar(value: Any, field: str) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return encode_non_finite(value)
    raise _bad(field, f"expected a scalar (number, string, boolean), not {type(value).__name__}")


def check_line(data: Any, field: str = "data") -> tuple[list[Any] | None, list[float | str]]:
    """A line's points as ``(x or None, y)``: a list of numbers, or ``{x: [...], y: [...]}``."""
    if isinstance(data, dict):
        if set(data) != {"x", "y"}:
            raise _bad(field, "a line is a list of numbers or {'x': [...], 'y': [...]}")
        ys = _numbers(data["y"], f"{field}.y")
        xs = data["x"]
        if not isinstance(xs, list):
            raise _bad(f"{field}.x", "expected a list")
        if len(xs) != len(ys):
            raise _bad(f"{field}.x", f"x has {len(xs)} values and y {len(ys)}: they must match")
        return [_scalar(v, f"{field}.x[{i}]") for i, v in enumerate(xs)], ys
    return None, _numbers(data, field)


def _check_value(data: Any, field: str) -> Any:
    """A value: ``{'value': number or string}``."""
    if not isinstance(data, dict) or set(data) != {"value"}:
        raise _bad(field, "a value is {'value': number or string}")
    value = data["value"]
    if isinstance(value, str) and value not in NON_FINITE:
        return {"value": value}
    return {"value": _number(value, f"{field}.value")}


def _check_line(data: Any, field: str) -> Any:
    """A line: see :func:`check_line`."""
    xs, ys = check_line(data, field)
    return ys if xs is None else {"x": xs, "y": ys}


def _check_bar(data: Any, field: str) -> Any:
    """A bar chart: ``{'x': [category names], 'y': [numbers]}``."""
    if not isinstance(data, dict) or set(data) != {"x", "y"}:
        raise _bad(field, "a bar chart is {'x': [category names], 'y': [numbers]}")
    xs = data["x"]
    if not isinstance(xs, list) or not all(isinstance(v, str) for v in xs):
        raise _bad(f"{field}.x", "expected a list of category names (strings)")
    ys = _numbers(data["y"], f"{field}.y")
    if len(xs) != len(ys):
        raise _bad(f"{field}.y", f"x has {len(xs)} categories and y {len(ys)} values")
    return {"x": xs, "y": ys}


def _check_table(data: Any, field: str) -> Any:
    """A table: a flat dict of key to scalar."""
    if not isinstance(data, dict):
        raise _bad(field, "a table is a flat dict of key to scalar, e.g. hyperparameters")
    return {str(k): _scalar(v, f"{field}.{k}") for k, v in data.items()}


def _check_heatmap(data: Any, field: str) -> Any:
    """A heatmap: ``{'categories': [names], 'values': [[numbers]]}``, square."""
    if not isinstance(data, dict) or set(data) != {"categories", "values"}:
        raise _bad(field, "a heatmap is {'categories': [names], 'values': [[numbers]]}")
    cats = data["categories"]
    if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
        raise _bad(f"{field}.categories", "expected a list of names")
    rows = data["values"]
    if not isinstance(rows, list) or len(rows) != len(cats):
        raise _bad(
            f"{field}.values",
            f"expected a square matrix of {len(cats)} rows (one per category)",
        )
    out = []
    for i, row in enumerate(rows):
        nums = _numbers(row, f"{field}.values[{i}]")
        if len(nums) != len(cats):
            raise _bad(
                f"{field}.values[{i}]",
                f"the matrix is not square: row {i} has {len(nums)} values, expected {len(cats)}",
            )
        out.append(nums)
    return {"categories": cats, "values": out}


def _check_image(data: Any, field: str) -> Any:
    """An image: ``{'object_name': key}``, maybe with its ``sha256``."""
    if not isinstance(data, dict) or not isinstance(data.get("object_name"), str):
        raise _bad(field, "an image is {'object_name': key}, set by log() from a path")
    image: dict[str, str] = {"object_name": data["object_name"]}
    digest = data.get("sha256")
    if digest is not None:
        if not isinstance(digest, str) or not DIGEST_RE.match(digest):
            raise _bad(f"{field}.sha256", "expected the image's SHA-256 digest (64 lower-case hex)")
        image["sha256"] = digest
    extra = set(data) - {"object_name", "sha256"}
    if extra:
        raise _bad(f"{field}.{sorted(extra)[0]}", "an image has object_name and sha256 only")
    return image


def _check_labelmap(data: Any, field: str) -> Any:
    """A label map: ``{'1': name, ...}``."""
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise _bad(field, "a label map is {'1': name, ...}")
    for key in data:
        if not str(key).isdigit():
            raise _bad(f"{field}.{key}", "label map keys are indexes such as '1'")
    return {str(k): v for k, v in data.items()}


def _check_evaluation(data: Any, field: str) -> Any:
    """An evaluation: a list of ``{external_picture_url, gt, pred}``."""
    if not isinstance(data, list):
        raise _bad(field, "an evaluation is a list of {external_picture_url, gt, pred}")
    for i, entry in enumerate(data):
        where = f"{field}[{i}]"
        if not isinstance(entry, dict):
            raise _bad(where, "expected {external_picture_url, gt, pred}")
        if not isinstance(entry.get("external_picture_url"), str):
            raise _bad(f"{where}.external_picture_url", "expected the picture's name")
        for key in ("gt", "pred"):
            if not isinstance(entry.get(key), list):
                raise _bad(f"{where}.{key}", "expected a list of objects")
        for j, obj in enumerate(entry["pred"]):
            if not isinstance(obj, dict) or "score" not in obj:
                raise _bad(f"{where}.pred[{j}].score", "a prediction needs a score")
            _number(obj["score"], f"{where}.pred[{j}].score")
    return encode_non_finite(data)


#: The check of each type of data asset.
_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "value": _check_value,
    "line": _check_line,
    "bar": _check_bar,
    "table": _check_table,
    "heatmap": _check_heatmap,
    "image": _check_image,
    "labelmap": _check_labelmap,
    "evaluation": _check_evaluation,
}


def check_data(kind: str, data: Any, field: str = "data") -> Any:
    """The stored form of ``data`` for a data asset of type ``kind``, or ``InvalidInputError``
    naming the offending field (for ``line``, see ``check_line``)."""
    if kind not in DATA_TYPES:
        raise _bad("type", f"unknown type {kind!r}; expected one of {', '.join(DATA_TYPES)}")
    return _CHECKS[kind](data, field)


# --------------------------------------------------------------------------- wire models


class ExperimentCreate(WireModel):
    name: Name
    description: str = text_field(MAX_DESCRIPTION, "")
    previous: str | None = None
    dataset: str | None = None
    source: str | None = None
    with_files: bool = False
    with_data: bool = False


class ExperimentUpdate(WireModel):
    name: Name | None = None
    description: str | None = text_field(MAX_DESCRIPTION, None)
    status: str | None = None
    exit_code: int | None = None


class FileAssetCreate(WireModel):
    name: FileName
    sha256: str
    large: bool = False
    #: The name of the file stored (``best.pt``): the object key ends with it, and downloads
    #: write it. Without it, a new file is named as the asset, a replaced one keeps its own.
    file_name: FileName | None = None


class FileAssetUpdate(WireModel):
    name: FileName


class DataAssetCreate(WireModel):
    name: Name
    type: str | None = None
    data: Any = None
    replace: bool = False


class DataAssetUpdate(WireModel):
    name: Name | None = None
    type: str | None = None
    data: Any = None


class PointsAppend(WireModel):
    """Points to append to a line: y values, and x values when the line has them."""

    y: list[Any]
    x: list[Any] | None = None


class PublishRequest(WireModel):
    name: Name


class LogLinesCreate(WireModel):
    lines: list[str] = Field(max_length=10_000)
    part: str = ""
    exit_code: int | None = None


class FileAssetPublic(BaseModel):
    id: uuid.UUID
    name: str
    object_name: str
    #: The name of the file stored, which ``object_name`` ends with and downloads write.
    file_name: str
    large: bool
    sha256: str
    size: int
    url: str
    date_created: datetime
    last_update: datetime


class DataAssetPublic(BaseModel):
    id: uuid.UUID
    name: str
    type: str
    data: Any
    date_created: datetime
    last_update: datetime
    #: For a line: its number of points (``data`` may be downsampled).
    size: int | None = None


class LoggingPublic(BaseModel):
    logs: dict[str, list[str]]
    steps: list[str]
    timestamps: list[datetime]
    lines: list[int]
    exit_code: int | None


class ExperimentPublic(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    status: str
    owner: dict[str, Any] | None
    date_created: datetime
    last_update: datetime
    project: dict[str, Any]
    dataset: dict[str, Any] | None
    previous: str | None
    source: dict[str, Any] | None
    logging: dict[str, Any]
    files: list[FileAssetPublic]
    data: list[DataAssetPublic]
