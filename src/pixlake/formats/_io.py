"""What readers share to read their input: size limits, JSON with positions, opaque-value
checks, image sizes."""

from __future__ import annotations

import codecs
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from PIL import Image

from pixlake import _json as fast_json
from pixlake.errors import InvalidInputError, PayloadTooLargeError
from pixlake.problems import Problems, describe

__all__ = [
    "NUMBER_TYPES",
    "NonFinite",
    "check_opaque",
    "ImageSizes",
    "display_name",
    "image_size_of",
    "is_number",
    "is_numbers",
    "json_bytes",
    "load_json",
    "read_bounded",
    "read_image_size",
    "report_read_whole",
]

#: The types a JSON number becomes (``bool`` is deliberately not among them).
NUMBER_TYPES: Final = frozenset({int, float})


class NonFinite:
    """What ``NaN``, ``Infinity`` and ``-Infinity`` parse to: a value no check accepts."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def is_number(value: object) -> bool:
    """True for a finite JSON number (``int`` or ``float``; not ``bool``, not NaN)."""
    kind = type(value)
    if kind is int:
        return True
    return kind is float and math.isfinite(value)  # type: ignore[arg-type]


def is_numbers(values: list[Any]) -> bool:
    """True when every item is an ``int`` or ``float`` (fast: no per-item Python code).

    Infinite floats (``1e999``) pass here; callers bound the values, which rejects them.
    """
    return NUMBER_TYPES.issuperset(map(type, values))


def read_bounded(path: Path, *, limit: int, display: str, what: str) -> bytes:
    """The bytes of ``path``, refusing files larger than ``limit`` bytes."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise PayloadTooLargeError(
                f"{display} is too large",
                details=[
                    {
                        "file": display,
                        "line": None,
                        "field": None,
                        "message": f"expected a {what} of at most {limit} bytes, got {size} bytes",
                    }
                ],
            )
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise InvalidInputError(
            f"cannot read {display}",
            details=[
                {
                    "file": display,
                    "line": None,
                    "field": None,
                    "message": f"expected a {what}, got a folder"
                    if isinstance(exc, IsADirectoryError)
                    else f"expected a readable {what}: {exc.strerror or exc}",
                }
            ],
        ) from exc
    if len(data) > limit:  # the file grew after stat()
        raise PayloadTooLargeError(
            f"{display} is too large",
            details=[
                {
                    "file": display,
                    "line": None,
                    "field": None,
                    "message": f"expected a {what} of at most {limit} bytes",
                }
            ],
        )
    return data


def _invalid_json(
    display: str, message: str, line: int | None = None, **more: Any
) -> InvalidInputError:
    detail: dict[str, Any] = {"file": display, "line": line, "field": None, "message": message}
    detail.update(more)
    return InvalidInputError(f"{display} is not valid JSON", details=[detail])


def report_read_whole(path: Path, progress: Callable[[int, int], None] | None) -> None:
    """Tell ``progress`` that ``path``, read whole, is done: once it is checked, not once
    it is loaded."""
    if progress is not None:
        size = path.stat().st_size
        progress(size, size)


def load_json(path: Path, *, limit: int, display: str) -> Any:
    """Parse the JSON file ``path`` (UTF-8, optional BOM), at most ``limit`` bytes.

    ``NaN`` and ``Infinity`` parse to a marker that no number check accepts.  Errors name the
    file, and for syntax errors the line and column.
    """
    raw = read_bounded(path, limit=limit, display=display, what="JSON file")
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        # The bytes themselves: orjson checks they are UTF-8 as it parses them.
        return fast_json.loads(raw[bom:] if bom else raw, parse_constant=NonFinite)
    except UnicodeDecodeError as exc:
        raise _invalid_json(
            display, f"expected UTF-8 text, got a bad byte at offset {exc.start}"
        ) from exc
    except json.JSONDecodeError as exc:
        raise _invalid_json(
            display,
            f"expected valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            exc.lineno,
            column=exc.colno,
        ) from exc
    except RecursionError as exc:
        raise _invalid_json(
            display, "expected JSON nested less deeply than the parser allows"
        ) from exc


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON; NaN and Infinity are refused (``ValueError``), as JSON has none."""
    return fast_json.dump_bytes(value)


def check_opaque(
    value: Any, *, field: str, problems: Problems, max_depth: int, _depth: int = 0
) -> bool:
    """Check a value kept as is (``extra``, ``info``): plain JSON, finite, not too deep,
    its text valid Unicode (JSON's ``"\\ud800"`` reads as a lone surrogate, which no file
    can hold).

    Returns True when it is acceptable; otherwise records one problem at ``field``.
    """
    kind = type(value)
    if kind is str:
        return _check_text(value, field, problems)
    if kind is dict:
        if _depth >= max_depth:
            problems.add(f"expected JSON nested at most {max_depth} levels deep", field=field)
            return False
        return all(
            _check_text(key, f"{field}.{key!r}", problems)
            and check_opaque(
                item,
                field=f"{field}.{key}",
                problems=problems,
                max_depth=max_depth,
                _depth=_depth + 1,
            )
            for key, item in value.items()
        )
    if kind is list:
        if _depth >= max_depth:
            problems.add(f"expected JSON nested at most {max_depth} levels deep", field=field)
            return False
        return all(
            check_opaque(
                item,
                field=f"{field}[{i}]",
                problems=problems,
                max_depth=max_depth,
                _depth=_depth + 1,
            )
            for i, item in enumerate(value)
        )
    if kind is float and not math.isfinite(value) or kind is NonFinite:
        problems.add("expected a finite number, got NaN or Infinity", field=field)
        return False
    return True


def _check_text(text: str, field: str, problems: Problems) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        problems.add(
            f"expected valid Unicode text, got a lone surrogate at character {exc.start}",
            field=field,
        )
        return False
    return True


def display_name(path: Path, root: Path | None = None) -> str:
    """How a file is named in problems: relative to ``root`` when under it, else its name."""
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name or os.fspath(path)


def image_size_of(path: Path) -> tuple[int, int]:
    """``(width, height)`` of an image, from its header (Pillow opens files lazily)."""
    with Image.open(path) as image:
        width, height = image.size
    return int(width), int(height)


def read_image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """``(width, height)`` of an image file, read from its header only (Pillow).

    Raises ``InvalidInputError`` when the file cannot be read as an image.
    """
    path = Path(path)
    try:
        return image_size_of(path)
    except (OSError, ValueError) as exc:
        raise InvalidInputError(
            f"cannot read the size of {path.name}",
            details=[
                {
                    "file": path.name,
                    "line": None,
                    "field": None,
                    "message": f"expected a readable image: {exc}",
                }
            ],
        ) from exc


class ImageSizes:
    """Where readers get image sizes from: a lookup first (``file name -> (width, height)``
    or ``None``), then the images folder."""

    __slots__ = ("_folder", "_lookup")

    def __init__(
        self, *, folder: Path | None, lookup: Callable[[str], tuple[int, int] | None] | None
    ) -> None:
        self._folder = folder
        self._lookup = lookup

    @property
    def available(self) -> bool:
        return self._folder is not None or self._lookup is not None

    def get(self, file_name: str) -> tuple[tuple[int, int] | None, str | None]:
        """``((width, height), None)`` or ``(None, problem)``."""
        if self._lookup is not None:
            size = self._lookup(file_name)
            if size is not None:
                width, height = size
                if type(width) is not int or type(height) is not int or width <= 0 or height <= 0:
                    return None, f"expected a positive (width, height), got {describe(size)}"
                return (width, height), None
        if self._folder is None:
            return None, "expected the image size from the size lookup"
        try:
            return image_size_of(self._folder / file_name), None
        except FileNotFoundError:
            return None, f"expected the image {file_name} in the images folder"
        except (OSError, ValueError) as exc:
            return None, f"expected a readable image: {exc}"
