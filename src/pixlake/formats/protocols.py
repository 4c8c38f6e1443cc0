"""What a format provides: a :class:`Reader`, an :class:`Exporter`, and the
:class:`FormatDescriptor` that registers both under the format's name.

Above the model (``model``) and the codecs (``wire``, ``compact``); below the formats
(``coco``, ``voc``, ``yolo``, ``picsellia``), each of which declares its descriptor, and
the registry (``registry``), which holds them.
"""

from __future__ import annotations

import abc
import dataclasses
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Final, Literal, Protocol, Self

from pixlake.errors import InvalidInputError
from pixlake.names import DEFAULT_SPLIT

from .compact import CompactObject, from_compact
from .model import DEFAULT_LIMITS, AnnotatedImage, Annotations, LabelSpec, Limits
from .sinks import Sink

__all__ = [
    "INPUT_KINDS",
    "PROGRESS_UNITS",
    "Exporter",
    "FormatDescriptor",
    "InputKind",
    "ProgressUnit",
    "ReadProgress",
    "Reader",
    "SizeLookup",
    "StrPath",
]

StrPath = str | os.PathLike[str]

SizeLookup = Callable[[str], tuple[int, int] | None]
"""Gives ``(width, height)`` for an image file name, or ``None`` when it does not know it."""

ReadProgress = Callable[[int, int], None]
"""Told how far a reader has got, as ``(done, total)``, in its format's progress unit
(:attr:`FormatDescriptor.progress_unit`: bytes of the file for COCO and PICSELLIA, XML files
for PASCAL-VOC, images for YOLO).  ``total`` may grow (a COCO file read twice); the last
call has ``done == total``."""

InputKind = Literal["file", "folder", "file or folder"]
"""What a reader reads: one file, a folder, or either."""
ProgressUnit = Literal["bytes", "files", "images"]
"""What a reader's progress counts."""
INPUT_KINDS: Final[tuple[InputKind, ...]] = ("file", "folder", "file or folder")
PROGRESS_UNITS: Final[tuple[ProgressUnit, ...]] = ("bytes", "files", "images")


class Reader(Protocol):
    """Reads one input (a file or a folder) into :class:`Annotations`, validating all of it.

    Options a format has no use for are ignored:

    - ``rectangle``: turn polygons and masks into rectangles (their box, else their extent);
    - ``images``: the folder of the images, for formats that need sizes (YOLO, and PICSELLIA
      when it should fill unknown sizes); YOLO defaults to ``<path>/images``;
    - ``image_size``: a lookup giving ``(width, height)`` for a file name, tried before
      opening the image;
    - ``limits``: size, depth and problem-count bounds;
    - ``progress``: called as the reading goes on (see :data:`ReadProgress`).

    Raises ``InvalidInputError`` listing every problem, or ``PayloadTooLargeError`` when a
    file exceeds its size limit.  Nothing is returned on error.
    """

    def __call__(
        self,
        path: StrPath,
        /,
        *,
        rectangle: bool = False,
        images: StrPath | None = None,
        image_size: SizeLookup | None = None,
        limits: Limits = DEFAULT_LIMITS,
        progress: ReadProgress | None = None,
    ) -> Annotations: ...


class Exporter(abc.ABC):
    """Writes annotations into a :class:`~pixlake.formats.sinks.Sink`, one image at a time.

    ``splits``, when given, are the splits the images will have (``None`` for none): formats
    that keep splits apart put the images without one in a ``default`` split when others
    have one.  Use it as a context manager: ``write()`` each image, and on a clean exit ``close()``
    finishes the annotation files; on an exception nothing more is written.  Memory stays
    flat whatever the number of images.  An exporter writes annotation files only: for each
    image the caller streams its bytes to ``sink.open(exporter.image_path(file_name))``.
    The caller owns the sink (and closes it after the exporter); it must not hold a sink
    entry open while calling the exporter, since a zip can only write one entry at a time.
    """

    #: The format's name in the registry ("COCO", "PASCAL-VOC", "YOLO", "PICSELLIA"): its
    #: descriptor's ``name``.
    format: ClassVar[str]
    #: The folder of the export that images go to.
    images_folder: ClassVar[str] = "images"

    def __init__(
        self,
        sink: Sink,
        labels: Sequence[LabelSpec],
        *,
        info: Mapping[str, Any] | None = None,
        splits: Iterable[str | None] | None = None,
    ) -> None:
        self.sink = sink
        self.labels: tuple[LabelSpec, ...] = tuple(labels)
        self.info: Mapping[str, Any] = info or {}
        #: Whether some image of the export has a split, when the caller said which splits
        #: the images have (``splits``; ``None`` when it did not).
        self.has_splits: bool | None = (
            None if splits is None else any(split is not None for split in splits)
        )
        self._label_index: dict[str, int] = {}
        for index, label in enumerate(self.labels):
            if label.name in self._label_index:
                raise InvalidInputError(
                    f"duplicate label {label.name!r}",
                    details=[
                        {
                            "file": None,
                            "line": None,
                            "field": f"labels[{index}].name",
                            "message": "expected unique label names",
                        }
                    ],
                )
            self._label_index[label.name] = index
        self._state: Literal["open", "closed", "aborted"] = "open"

    def folder_of(self, split: str | None) -> str | None:
        """The split folder or file an image of ``split`` goes to in formats that keep
        splits apart: its split, or ``default`` (the name the field's tools give it) for an
        image without one in an export whose other images have one."""
        if split is None and self.has_splits:
            return DEFAULT_SPLIT
        return split

    def report(self) -> list[str]:
        """What the export left out or changed to fit the format, a sentence per rule that
        applied (empty when it wrote everything as it is)."""
        return []

    def image_path(self, file_name: str, split: str | None = None) -> str:
        """Where, inside the sink, the caller must write the bytes of image ``file_name`` of
        ``split`` (formats that keep splits in folders put each in its own)."""
        return f"{self.images_folder}/{file_name}"

    def paths_of(self, file_name: str, split: str | None = None) -> tuple[str, ...]:
        """Every path the export of image ``file_name`` of ``split`` writes (its bytes, and
        its own annotation file in formats that have one per image): two images that share
        one cannot be in the same export."""
        return (self.image_path(file_name, split),)

    def write(self, image: AnnotatedImage) -> None:
        """Add one image and its objects to the export."""
        self._check_writable(image.file_name, [obj.label for obj in image.objects])
        self._write(image)

    def write_compact(self, image: AnnotatedImage, objects: Sequence[CompactObject]) -> None:
        """Add ``image`` with ``objects`` in the compact form pixlake stores them in
        (``pixlake.formats.compact``, already checked), instead of ``image.objects``.

        The result is what :meth:`write` gives for the same objects rebuilt as :class:`Obj`,
        which is what this does.  A format that can write the compact form as it stands
        overrides it: an export reads its objects in that form, and rebuilding each one costs
        as much as writing it."""
        rebuilt = tuple([from_compact(kind, label, data) for kind, label, data in objects])
        self.write(dataclasses.replace(image, objects=rebuilt))

    def _check_writable(self, file_name: str, labels: Sequence[str]) -> None:
        """Refuse a write once closed, or one with a label the export does not have."""
        if self._state != "open":
            raise ValueError(f"write() on a {self._state} exporter")
        for index, label in enumerate(labels):
            if label not in self._label_index:
                raise InvalidInputError(
                    f"unknown label {label!r} in {file_name}",
                    details=[
                        {
                            "file": file_name,
                            "line": None,
                            "field": f"objects[{index}].label",
                            "message": "expected one of the export's labels",
                        }
                    ],
                )

    @abc.abstractmethod
    def _write(self, image: AnnotatedImage) -> None:
        """Write one image whose labels are known."""

    def close(self) -> None:
        """Finish the annotation files (idempotent).  Does not close the sink."""
        if self._state == "open":
            try:
                self._finish()
            finally:
                self._state = "closed"
                self._release()

    def abort(self) -> None:
        """Drop what is pending without finishing the files (idempotent)."""
        if self._state == "open":
            self._state = "aborted"
            self._release()

    def _finish(self) -> None:  # noqa: B027 - optional hook
        """Write what only the end can write (category lists, spooled JSON)."""

    def _release(self) -> None:  # noqa: B027 - optional hook
        """Free temporary resources."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


@dataclass(frozen=True, slots=True, kw_only=True)
class FormatDescriptor:
    """Everything pixlake needs to know of a format, registered once
    (``pixlake.formats.registry``): the core, the SDK, the API and the CLI ask for it by
    name instead of naming formats.

    - ``name``: the canonical name, as the SDK contract spells it (``"PASCAL-VOC"``); names
      are matched case-insensitively, and so are ``aliases`` (``("voc",)``).
    - ``reader`` (a :class:`Reader`) and ``exporter`` (an :class:`Exporter` class whose
      ``format`` is ``name``); either may be ``None`` for a format read or written only.
    - ``exports``: whether a dataset version exports to it (``Dataset.export``, the export
      route); a format can have an exporter that is not offered (PICSELLIA's, for files).
    - ``input``: what the reader takes (``"file"``, ``"folder"`` or ``"file or folder"``),
      and ``input_text``, the same said for people (``"a JSON file, or a folder of
      annotations/instances_<split>.json"``).
    - ``progress_unit``: what the reader's ``progress`` counts.
    - ``export_options``: the export's options (the route's query parameters, such as
      ``yolo_mode``) mapped to the exporter's keyword arguments (``mode``).
    - ``read_options``: given the input's path, reader keyword arguments beyond the
      protocol's (COCO reads a large file as a stream: ``{"spool": True}``).
    """

    name: str
    aliases: tuple[str, ...] = ()
    reader: Reader | None = None
    exporter: type[Exporter] | None = None
    exports: bool = True
    input: InputKind = "file or folder"
    input_text: str = ""
    progress_unit: ProgressUnit = "bytes"
    export_options: Mapping[str, str] = field(default_factory=dict)
    read_options: Callable[[Path], Mapping[str, Any]] | None = None

    def __post_init__(self) -> None:
        if (
            not isinstance(self.name, str)
            or not self.name.strip()
            or self.name != self.name.strip()
        ):
            raise ValueError(f"a format needs a name without spaces at its ends, got {self.name!r}")
        if self.input not in INPUT_KINDS:
            raise ValueError(f"unknown input kind {self.input!r}, expected one of {INPUT_KINDS}")
        if self.progress_unit not in PROGRESS_UNITS:
            raise ValueError(
                f"unknown progress unit {self.progress_unit!r}, expected one of {PROGRESS_UNITS}"
            )
        if self.exporter is not None and self.exporter.format != self.name:
            raise ValueError(f"the exporter of {self.name} says it writes {self.exporter.format!r}")
        if self.exports and self.exporter is None:
            raise ValueError(f"{self.name} exports, so it needs an exporter")

    @property
    def keys(self) -> tuple[str, ...]:
        """Every name the format is found by, lower case: its name and its aliases."""
        return tuple(dict.fromkeys(key.lower() for key in (self.name, *self.aliases)))
