"""Formats by name: the SDK contract's ``ann_format`` values and their short aliases."""

from __future__ import annotations

from typing import Final

from pixlake.errors import InvalidInputError

from .base import Exporter, Reader
from .coco import CocoExporter, read_coco
from .picsellia import PicselliaExporter, read_picsellia
from .voc import VocExporter, read_voc
from .yolo import YoloExporter, read_yolo

__all__ = ["FORMATS", "format_name", "get_exporter", "get_reader"]

#: The canonical format names, as the SDK contract spells them.
FORMATS: Final = ("COCO", "PASCAL-VOC", "PICSELLIA", "YOLO")

_ALIASES: Final = {
    "coco": "COCO",
    "pascal-voc": "PASCAL-VOC",
    "voc": "PASCAL-VOC",
    "picsellia": "PICSELLIA",
    "yolo": "YOLO",
}
_READERS: Final[dict[str, Reader]] = {
    "COCO": read_coco,
    "PASCAL-VOC": read_voc,
    "PICSELLIA": read_picsellia,
    "YOLO": read_yolo,
}
_EXPORTERS: Final[dict[str, type[Exporter]]] = {
    "COCO": CocoExporter,
    "PASCAL-VOC": VocExporter,
    "PICSELLIA": PicselliaExporter,
    "YOLO": YoloExporter,
}


def format_name(name: str) -> str:
    """The canonical name of a format (``"voc"`` gives ``"PASCAL-VOC"``), case-insensitively.

    Raises ``InvalidInputError`` listing the known names for an unknown one, and
    ``TypeError`` when ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"a format name is a string, got {type(name).__name__}")
    canonical = _ALIASES.get(name.strip().lower())
    if canonical is None:
        known = ", ".join(FORMATS)
        raise InvalidInputError(
            f"unknown annotation format {name!r}",
            details=[
                {
                    "file": None,
                    "line": None,
                    "field": "ann_format",
                    "message": f"expected one of {known} (or coco, voc, picsellia, yolo)",
                }
            ],
        )
    return canonical


def get_reader(name: str) -> Reader:
    """The reader of format ``name`` (see :func:`format_name` for the accepted names)."""
    return _READERS[format_name(name)]


def get_exporter(name: str) -> type[Exporter]:
    """The exporter class of format ``name`` (see :func:`format_name`)."""
    return _EXPORTERS[format_name(name)]
