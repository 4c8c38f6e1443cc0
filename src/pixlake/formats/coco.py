"""COCO object-detection (``instances``) JSON: reader and streaming exporter.

Reading keeps boxes, every polygon ring, RLE masks (compressed and uncompressed), ``iscrowd``,
``area``, ``score`` and unknown keys; ``info``, ``licenses``, other top-level keys and the
original categories (ids, ``supercategory``...) go to ``Annotations.info["coco"]`` so that an
export reproduces them.  See the package documentation for the mapping rules.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final, NamedTuple

from pixlake.errors import InvalidInputError
from pixlake.jsonstream import JsonStream, NotStreamable, Readable
from pixlake.memory import gc_paused
from pixlake.names import (
    DEFAULT_SPLIT,
    base_name_of,
    folder_path_of,
    label_problem,
    split_of,
    split_problem,
)
from pixlake.problems import Problems, describe

from ._io import NUMBER_TYPES as _NUMBERS
from ._io import (
    NonFinite,
    check_opaque,
    is_number,
    json_bytes,
    load_json,
    report_read_whole,
)
from ._rle import mask_problem
from .compact import PLAIN_KEYS, CompactObject, from_compact
from .model import (
    DEFAULT_LIMITS,
    QA,
    AnnotatedImage,
    Annotations,
    Box,
    LabelKind,
    LabelKinds,
    LabelSpec,
    Limits,
    Mask,
    Obj,
    ObjectKind,
    Ring,
    first_kind,
    label_specs,
    ring_area,
)
from .protocols import Exporter, FormatDescriptor, ReadProgress, SizeLookup, StrPath
from .sinks import Sink
from .spool import SpooledImages
from .wire import parse_qa, qa_to_wire

__all__ = [
    "FORMAT",
    "ANNOTATIONS_DIR",
    "IMAGES_DIR",
    "CocoExporter",
    "instances_file",
    "parse_coco",
    "read_coco",
    "split_of_file",
]

#: The folders of a COCO dataset: the annotation files, the images.
ANNOTATIONS_DIR: Final = "annotations"
IMAGES_DIR: Final = "images"
#: The largest side of an image, in pixels (imaging's bound on pixels allows no more).
MAX_SIDE: Final = 1_000_000
#: What a COCO file of one split is called: ``instances_<split>.json``.
_INSTANCES: Final = re.compile(r"instances_(.+)\.json")

_IMAGE_KEYS: Final = frozenset({"id", "file_name", "width", "height", "qa"})
_ANNOTATION_KEYS: Final = frozenset(
    {"id", "image_id", "category_id", "bbox", "segmentation", "area", "iscrowd", "score", "qa"}
)
_CONTENT_KEYS: Final = ("images", "annotations", "categories")


class _Image(NamedTuple):
    id: Any
    file_name: str
    width: int  # 0 when invalid (then already reported)
    height: int
    qa: tuple[QA, ...]
    extra: dict[str, Any]
    path: str | None  # the file_name given, when it has folders

    def annotated(self, objects: tuple[Obj, ...] = (), split: str | None = None) -> AnnotatedImage:
        return AnnotatedImage(
            file_name=self.file_name,
            width=self.width,
            height=self.height,
            objects=objects,
            qa=self.qa,
            extra=self.extra,
            path=self.path,
            split=split,
        )


class _Bounds(NamedTuple):
    """The image an annotation is checked against: its size, and how far outside it (in
    pixels) a box or a point may lie."""

    width: int
    height: int
    tolerance: float

    def box_outside(self, x: float, y: float, w: float, h: float) -> bool:
        tolerance = self.tolerance
        return (
            x < -tolerance
            or y < -tolerance
            or x + w > self.width + tolerance
            or y + h > self.height + tolerance
        )

    def ring_outside(self, xs: list[float], ys: list[float]) -> bool:
        tolerance = self.tolerance
        return (
            min(xs) < -tolerance
            or min(ys) < -tolerance
            or max(xs) > self.width + tolerance
            or max(ys) > self.height + tolerance
        )


class _Attributes(NamedTuple):
    """What an annotation has besides its image, category and geometry, once checked."""

    area: float | None
    iscrowd: bool
    score: float | None
    qa: tuple[QA, ...]
    extra: dict[str, Any]


def read_coco(
    path: StrPath,
    /,
    *,
    rectangle: bool = False,
    images: StrPath | None = None,
    image_size: SizeLookup | None = None,
    limits: Limits = DEFAULT_LIMITS,
    spool: bool = False,
    progress: ReadProgress | None = None,
) -> Annotations:
    """Read and validate a COCO ``instances`` JSON file, or a COCO folder.

    A file named ``instances_<split>.json`` (COCO's ``instances_val2017.json``, what Datumaro
    and CVAT write) gives its images that split (``default`` is none); any other name gives
    none.  A folder holding ``annotations/instances_<split>.json`` files (or those files
    themselves) is read file by file into one result: labels by name, in order of first
    appearance, each image in the split of its file; an image is found in
    ``images/<split>/``, ``images/`` or ``<split>/`` of the folder and its ``path`` is given
    from ``images`` (or the folder).  ``rectangle=True`` turns polygons and masks into
    rectangles (their ``bbox``, else their extent).  ``image_size`` is not used: COCO gives
    image sizes.  Raises ``InvalidInputError`` listing every problem (file, JSON path,
    expectation), or ``PayloadTooLargeError`` past ``limits.max_json_bytes``.

    ``spool=True`` reads the file as a stream and keeps the objects in a temporary file
    rather than in memory (``images`` is then a :class:`SpooledImages`): memory stays
    proportional to the number of images, not of objects.  The result and the errors are the
    same; a file the stream cannot follow (a key given twice, invalid JSON, any problem) is
    read whole to report exactly what the whole way reports.
    """
    path = Path(path)
    if path.is_dir():
        return _read_folder(
            path,
            rectangle=rectangle,
            images=Path(images) if images is not None else None,
            limits=limits,
            spool=spool,
            progress=progress,
        )
    return _read_file(
        path,
        rectangle=rectangle,
        limits=limits,
        spool=spool,
        progress=progress,
        split=split_of_file(path.name),
    )


def split_of_file(name: str) -> str | None:
    """The split a COCO file's name gives: ``instances_<split>.json``, ``None`` otherwise."""
    match = _INSTANCES.fullmatch(name)
    if match is None or split_problem(match.group(1)) is not None:
        return None
    return split_of(match.group(1))


def instances_file(split: str | None) -> str:
    """Where the annotations of ``split`` go in a COCO folder (``default`` for none)."""
    return f"{ANNOTATIONS_DIR}/instances_{split or DEFAULT_SPLIT}.json"


def _read_file(
    path: Path,
    *,
    rectangle: bool,
    limits: Limits,
    spool: bool,
    progress: ReadProgress | None,
    split: str | None,
    shared: SpooledImages | None = None,
) -> Annotations:
    with gc_paused():
        if spool or shared is not None:
            try:
                return _read_streamed(
                    path,
                    rectangle=rectangle,
                    limits=limits,
                    progress=progress,
                    split=split,
                    shared=shared,
                )
            except NotStreamable:
                if shared is not None:
                    raise
        data = load_json(path, limit=limits.max_json_bytes, display=path.name)
        result = parse_coco(data, file=path.name, rectangle=rectangle, limits=limits, split=split)
        report_read_whole(path, progress)
        return result


def _read_folder(
    folder: Path,
    *,
    rectangle: bool,
    images: Path | None,
    limits: Limits,
    spool: bool,
    progress: ReadProgress | None,
) -> Annotations:
    """A COCO folder: each ``instances_<split>.json`` read in turn (see :func:`read_coco`)."""
    root = folder.parent if folder.name == ANNOTATIONS_DIR else folder
    files = _instances_files(folder)
    shared = SpooledImages([]) if spool else None
    try:
        parts, ends = _read_parts(
            files, rectangle=rectangle, limits=limits, progress=progress, shared=shared
        )
    except NotStreamable:  # the whole way reports what the stream cannot follow
        assert shared is not None
        shared.close()
        return _read_folder(
            folder,
            rectangle=rectangle,
            images=images,
            limits=limits,
            spool=False,
            progress=progress,
        )
    except BaseException:
        if shared is not None:
            shared.close()
        raise
    listed: list[AnnotatedImage] = []
    if shared is None:
        listed = [image for part in parts for image in part.images]
    base = images if images is not None else root
    problems = _place_images(files, ends, shared, listed, root=root, base=base)
    if problems:
        if shared is not None:
            shared.close()
        problems.raise_if_any(f"COCO folder {root.name}")
    combined: Sequence[AnnotatedImage] = listed
    if shared is not None:
        shared.seal()
        combined = shared
    return Annotations(labels=_merged_labels(parts), images=combined, info=_merged_info(parts))


def _instances_files(folder: Path) -> list[Path]:
    """The ``instances_<split>.json`` files of a COCO folder (or of its ``annotations/``), by
    name; raises when there is none."""
    annotations_dir = folder if folder.name == ANNOTATIONS_DIR else folder / ANNOTATIONS_DIR
    files = sorted(p for p in annotations_dir.glob("instances_*.json") if p.is_file())
    if not files and annotations_dir != folder:
        files = sorted(p for p in folder.glob("instances_*.json") if p.is_file())
    if not files:
        raise InvalidInputError(
            f"no COCO file in {folder.name}",
            details=[
                {
                    "file": folder.name,
                    "line": None,
                    "field": None,
                    "message": f"expected {ANNOTATIONS_DIR}/instances_<split>.json files, or "
                    "a COCO file itself",
                }
            ],
        )
    return files


def _read_parts(
    files: Sequence[Path],
    *,
    rectangle: bool,
    limits: Limits,
    progress: ReadProgress | None,
    shared: SpooledImages | None,
) -> tuple[list[Annotations], list[int]]:
    """Each file read in turn (its images into ``shared`` when given), and where each file's
    images end among all of them."""
    sizes = [file.stat().st_size for file in files]
    parts: list[Annotations] = []
    ends: list[int] = []
    for index, file in enumerate(files):
        told = _progress_from(progress, sum(sizes[:index]), sum(sizes[index + 1 :]))
        part = _read_file(
            file,
            rectangle=rectangle,
            limits=limits,
            spool=False,
            progress=told,
            split=split_of_file(file.name),
            shared=shared,
        )
        parts.append(part)
        ends.append(len(shared) if shared is not None else sum(len(p.images) for p in parts))
    return parts, ends


def _place_images(
    files: Sequence[Path],
    ends: Sequence[int],
    shared: SpooledImages | None,
    listed: list[AnnotatedImage],
    *,
    root: Path,
    base: Path,
) -> Problems:
    """Give each image of the folder its path from ``root`` (see :func:`_placed`), in
    ``shared`` or else in ``listed``; the problems: images that more than one file holds."""
    problems = Problems()
    owner: dict[str, str] = {}
    start = 0
    for file, end in zip(files, ends, strict=True):
        for index in range(start, end):
            image = shared.without_objects(index) if shared is not None else listed[index]
            first = owner.setdefault(image.file_name, file.name)
            if first != file.name:
                problems.add(
                    f"expected each image in one file, {image.file_name!r} is also in {first}",
                    file=file.name,
                )
            placed = _placed(image, root, base)
            if placed is not image:
                if shared is not None:
                    shared.place(index, placed)
                else:
                    listed[index] = placed
        start = end
    return problems


def _merged_labels(parts: Sequence[Annotations]) -> list[LabelSpec]:
    """The labels of several files, by name in order of first appearance, each of the
    richest kind it has in any of them."""
    rank = {"classification": 0, "rectangle": 1, "polygon": 2}
    kinds: dict[str, LabelKind] = {}
    for part in parts:
        for label in part.labels:
            known = kinds.get(label.name)
            if known is None or rank[label.kind] > rank[known]:
                kinds[label.name] = label.kind
    return [LabelSpec(name, kind) for name, kind in kinds.items()]


def _merged_info(parts: Sequence[Annotations]) -> dict[str, Any]:
    """The first file's ``info``, with the categories of the others that it lacks."""
    first = dict(parts[0].info.get("coco", {}))
    categories = list(first.get("categories") or [])
    names = {c.get("name") for c in categories if isinstance(c, Mapping)}
    for part in parts[1:]:
        for category in part.info.get("coco", {}).get("categories") or []:
            if isinstance(category, Mapping) and category.get("name") not in names:
                names.add(category.get("name"))
                categories.append(category)
    first["categories"] = categories
    return {"coco": first}


def _progress_from(progress: ReadProgress | None, before: int, after: int) -> ReadProgress | None:
    """``progress`` for one file of several: ``before`` bytes already read, ``after`` to come."""
    if progress is None:
        return None
    report = progress
    return lambda done, total: report(before + done, before + total + after)


def _placed(image: AnnotatedImage, root: Path, base: Path) -> AnnotatedImage:
    """``image`` with the ``path`` of where it is in the COCO folder, from ``base``, when a
    file name without folders is in a folder of its split (``images/<split>/``, ``images/``,
    ``<split>/``)."""
    if image.path is not None:
        return image
    folder = image.split or DEFAULT_SPLIT
    for candidate in (
        root / IMAGES_DIR / folder / image.file_name,
        root / IMAGES_DIR / image.file_name,
        root / folder / image.file_name,
    ):
        if candidate.is_file():
            try:
                relative = candidate.relative_to(base).as_posix()
            except ValueError:
                return image
            if "/" not in relative:
                return image
            return dataclasses.replace(image, path=relative)
    return image


class _Counted:
    """A binary file read as a stream, telling ``progress`` how far it has got: from
    ``start`` bytes (the passes before) out of ``total``."""

    def __init__(
        self, file: Readable, progress: ReadProgress | None, start: int, total: int
    ) -> None:
        self._file = file
        self._progress = progress
        self.done = start
        self.total = total

    def read(self, size: int = -1, /) -> bytes:
        data = self._file.read(size)
        if self._progress is not None:
            self.done += len(data)
            self._progress(min(self.done, self.total), self.total)
        return data


def _read_streamed(
    path: Path,
    *,
    rectangle: bool,
    limits: Limits,
    progress: ReadProgress | None = None,
    split: str | None = None,
    shared: SpooledImages | None = None,
) -> Annotations:
    """``read_coco(spool=True)``: one pass over the file when ``images`` and ``categories``
    come before ``annotations``, else a first pass that reads everything but the annotations
    and a second for them.  Raises ``NotStreamable`` on anything the whole way would report,
    before returning anything.  With ``shared``, the images join that spool (the files of a
    folder), which the caller seals."""
    size = path.stat().st_size
    if size > limits.max_json_bytes:
        raise NotStreamable
    parser = _CocoParser(file=path.name, rectangle=rectangle, limits=limits, split=split)
    head: dict[str, Any] = {}
    streamed: _Streamed | None = None
    later = False  # the annotations come before images or categories: a second pass
    try:
        with path.open("rb") as f:
            counted = _Counted(f, progress, 0, size)
            reader = JsonStream(counted, encoding="utf-8-sig", parse_constant=NonFinite)
            for key in reader.keys():
                if key != "annotations":
                    head[key] = reader.value()
                elif reader.peek() != "[":
                    raise NotStreamable  # the whole way says what is wrong with it
                elif "images" in head and "categories" in head:
                    streamed = _Streamed(parser, head, shared)
                    streamed.read(reader.items())
                else:
                    later = True
                    counted.total = 2 * size  # read again, after the images and categories
                    for _ in reader.items():
                        pass
            if not reader.at_end():
                raise NotStreamable
        if streamed is None:
            streamed = _Streamed(parser, head, shared)
        if later:
            with path.open("rb") as f:
                counted = _Counted(f, progress, size, 2 * size)
                reader = JsonStream(counted, encoding="utf-8-sig", parse_constant=NonFinite)
                for key in reader.keys():
                    if key == "annotations":
                        streamed.read(reader.items())
                    else:
                        reader.value()
        return streamed.result(head)
    except BaseException:
        if streamed is not None and shared is None:
            streamed.spool.close()
        raise


class _Streamed:
    """The annotations of a COCO file, validated and spooled one at a time (into a spool
    of their own, or after the images already in ``shared``)."""

    def __init__(
        self, parser: _CocoParser, head: dict[str, Any], shared: SpooledImages | None = None
    ) -> None:
        self.parser = parser
        if type(head.get("images")) is not list or type(head.get("categories", [])) is not list:
            raise NotStreamable
        self.categories, self.originals = parser._categories(head.get("categories") or [])
        self.images = parser._images(head["images"])
        if parser.problems:
            raise NotStreamable
        annotated = [image.annotated(split=parser.split) for image in self.images]
        self.shared = shared is not None
        self.spool = shared if shared is not None else SpooledImages([])
        self.offset = self.spool.extend(annotated)
        self.kinds = LabelKinds()
        self.first_kind: LabelKind | None = None

    def read(self, annotations: Iterable[Any]) -> None:
        parser, images, categories, spool = self.parser, self.images, self.categories, self.spool
        offset = self.offset
        by_id = {image.id: index for index, image in enumerate(images)}
        add, add_kind = spool.add, self.kinds.add
        for index, annotation in enumerate(annotations):
            placed = parser._annotation(index, annotation, by_id, images, categories)
            if parser.problems:
                raise NotStreamable
            if placed is not None:
                image_index, obj = placed
                add(offset + image_index, obj)
                add_kind(obj)
                if self.first_kind is None:
                    self.first_kind = obj.label_kind

    def result(self, head: dict[str, Any]) -> Annotations:
        parser = self.parser
        coco_info = {key: value for key, value in head.items() if key not in _CONTENT_KEYS}
        for key, value in coco_info.items():
            check_opaque(
                value, field=key, problems=parser.problems, max_depth=parser.limits.max_depth
            )
        if parser.problems:
            raise NotStreamable
        if not self.shared:
            self.spool.seal()
        coco_info["categories"] = self.originals
        labels = self.kinds.specs(
            (name for _, name in sorted(self.categories.items())),
            default=self.first_kind or "classification",
        )
        return Annotations(labels=labels, images=self.spool, info={"coco": coco_info})


def parse_coco(
    data: Any,
    *,
    file: str = "<coco>",
    rectangle: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    split: str | None = None,
) -> Annotations:
    """Validate and convert an already parsed COCO document (as ``json.load`` gives it).

    ``file`` names the input in error details; ``split`` is its images' split.
    """
    with gc_paused():
        return _CocoParser(file=file, rectangle=rectangle, limits=limits, split=split).parse(data)


class _CocoParser:
    def __init__(
        self, *, file: str, rectangle: bool, limits: Limits, split: str | None = None
    ) -> None:
        self.problems = Problems(file=file, limit=limits.max_problems)
        self.rectangle = rectangle
        self.limits = limits
        self.file = file
        self.split = split
        #: The index of each annotation id seen, which must be unique.
        self.annotation_ids: dict[Any, int] = {}

    def parse(self, data: Any) -> Annotations:
        problems = self.problems
        if type(data) is not dict:
            problems.add("expected a JSON object with images, annotations and categories")
            problems.raise_if_any(f"COCO file {self.file}")
        raw_images = self._list(data, "images", required=True)
        raw_annotations = self._list(data, "annotations", required=False)
        raw_categories = self._list(data, "categories", required=False)

        categories, originals = self._categories(raw_categories)
        images = self._images(raw_images)
        objects: list[list[Obj]] = [[] for _ in images]
        first: list[Obj] = []  # the file's first object: the kind of unused categories
        by_id = {image.id: index for index, image in enumerate(images)}
        for index, annotation in enumerate(raw_annotations):
            placed = self._annotation(index, annotation, by_id, images, categories)
            if placed is not None:
                image_index, obj = placed
                objects[image_index].append(obj)
                if not first:
                    first.append(obj)
        coco_info = {key: value for key, value in data.items() if key not in _CONTENT_KEYS}
        for key, value in coco_info.items():
            check_opaque(value, field=key, problems=problems, max_depth=self.limits.max_depth)
        problems.raise_if_any(f"COCO file {self.file}")

        coco_info["categories"] = originals
        labels = label_specs(
            (name for _, name in sorted(categories.items())),
            itertools.chain.from_iterable(objects),
            default=first_kind(first, "classification"),
        )
        return Annotations(
            labels=labels,
            images=[
                image.annotated(tuple(found), self.split)
                for image, found in zip(images, objects, strict=True)
            ],
            info={"coco": coco_info},
        )

    def _list(self, data: dict[str, Any], key: str, *, required: bool) -> list[Any]:
        value = data.get(key)
        if value is None and not required:
            return []
        if type(value) is not list:
            self.problems.add(f"expected a list, got {describe(value)}", field=key)
            return []
        return value

    def _categories(self, raw: list[Any]) -> tuple[dict[int, str], list[dict[str, Any]]]:
        problems = self.problems
        names: dict[int, str] = {}
        seen_ids: dict[int, int] = {}
        seen_names: dict[str, int] = {}
        originals: list[dict[str, Any]] = []
        for index, category in enumerate(raw):
            here = f"categories[{index}]"
            if type(category) is not dict:
                problems.add("expected an object {id, name, supercategory}", field=here)
                continue
            before = len(problems)
            category_id: Any = category.get("id")
            name: Any = category.get("name")
            if type(category_id) is not int:
                problems.add(
                    f"expected an integer id, got {describe(category_id)}", field=f"{here}.id"
                )
            elif category_id in seen_ids:
                problems.add(
                    f"expected a unique id, {category_id} is also "
                    f"categories[{seen_ids[category_id]}]",
                    field=f"{here}.id",
                )
            else:
                seen_ids[category_id] = index
            problem = label_problem(name)
            if problem is not None:
                problems.add(problem, field=f"{here}.name")
            elif name in seen_names:
                problems.add(
                    f"expected a unique name, {name!r} is also categories[{seen_names[name]}]",
                    field=f"{here}.name",
                )
            else:
                seen_names[name] = index
            check_opaque(category, field=here, problems=problems, max_depth=self.limits.max_depth)
            if len(problems) == before:
                names[category_id] = name
                originals.append(category)
        originals.sort(key=lambda category: int(category["id"]))
        return names, originals

    def _images(self, raw: list[Any]) -> list[_Image]:
        problems = self.problems
        images: list[_Image] = []
        seen_ids: dict[Any, int] = {}
        seen_names: dict[str, int] = {}
        for index, image in enumerate(raw):
            here = f"images[{index}]"
            if type(image) is not dict:
                problems.add("expected an object {id, file_name, width, height}", field=here)
                continue
            image_id = image.get("id")
            if type(image_id) is not int and type(image_id) is not str:
                problems.add(
                    f"expected an integer or string id, got {describe(image_id)}",
                    field=f"{here}.id",
                )
                continue
            if image_id in seen_ids:
                problems.add(
                    f"expected a unique id, {image_id!r} is also images[{seen_ids[image_id]}]",
                    field=f"{here}.id",
                )
                continue
            seen_ids[image_id] = index
            name, problem = base_name_of(image.get("file_name"))
            if name is None:
                problems.add(problem or "", field=f"{here}.file_name")
                name = ""
            elif name in seen_names:
                folders = " (pictures are named without their folders)"
                problems.add(
                    f"expected a unique file name{folders if name != image['file_name'] else ''}"
                    f", {name!r} is also images[{seen_names[name]}]",
                    field=f"{here}.file_name",
                )
            else:
                seen_names[name] = index
            path = folder_path_of(image["file_name"]) if name else None
            width = self._size(image.get("width"), f"{here}.width")
            height = self._size(image.get("height"), f"{here}.height")
            qa = parse_qa(image.get("qa"), field=f"{here}.qa", problems=problems)
            extra = {key: value for key, value in image.items() if key not in _IMAGE_KEYS}
            extra["id"] = image_id
            check_opaque(extra, field=here, problems=problems, max_depth=self.limits.max_depth)
            # kept even when invalid, so that annotations of this image find it
            images.append(_Image(image_id, name, width, height, qa, extra, path))
        return images

    def _size(self, value: Any, field: str) -> int:
        if type(value) is float and value.is_integer() and value <= MAX_SIDE:
            value = int(value)
        if type(value) is not int or not 0 < value <= MAX_SIDE:
            self.problems.add(
                f"expected a positive integer of at most {MAX_SIDE}, got {describe(value)}",
                field=field,
            )
            return 0
        return value

    def _bad(self, index: int, suffix: str, message: str) -> None:
        self.problems.add(message, field=f"annotations[{index}]{suffix}")

    def _annotation(
        self,
        index: int,
        annotation: Any,
        by_id: dict[Any, int],
        images: list[_Image],
        categories: dict[int, str],
    ) -> tuple[int, Obj] | None:
        """Check annotation ``index``, recording its problems: its image's index and its
        object, or ``None`` when it is not valid.

        The hot loop of the reader (700k calls for a 100k-image file): each part is checked
        by a method of its own, with the checks inlined there, and field paths are only
        built for problems."""
        if type(annotation) is not dict:
            self._bad(index, "", "expected an object {image_id, category_id, bbox, ...}")
            return None
        ok = self._check_id(index, annotation.get("id"))
        image_id = annotation.get("image_id")
        image_index = by_id.get(image_id) if type(image_id) in (int, str) else None
        bounds: _Bounds | None = None
        if image_index is None:
            self._bad(
                index,
                ".image_id",
                f"expected the id of an image in images, got {describe(image_id)}",
            )
            ok = False
        else:
            image = images[image_index]
            bounds = _Bounds(image.width, image.height, self.limits.tolerance)
            ok = ok and image.width > 0 and image.height > 0  # else already reported
        category_id = annotation.get("category_id")
        label = categories.get(category_id) if type(category_id) is int else None
        if label is None:
            self._bad(
                index,
                ".category_id",
                f"expected the id of a category in categories, got {describe(category_id)}",
            )
            ok = False
        box, box_ok = self._box(index, annotation.get("bbox"), bounds, ok)
        rings, mask, shape_ok = self._segmentation(index, annotation.get("segmentation"), bounds)
        attributes = self._attributes(index, annotation)
        if not (box_ok and shape_ok and ok) or attributes is None or label is None:
            return None
        assert image_index is not None  # ok says so
        return image_index, self._object(label, box, rings, mask, attributes)

    def _check_id(self, index: int, annotation_id: Any) -> bool:
        """Whether an annotation's ``id``, when it has one, is an int or a string not seen."""
        if annotation_id is None:
            return True
        seen = self.annotation_ids
        if type(annotation_id) is not int and type(annotation_id) is not str:
            self._bad(
                index, ".id", f"expected an integer or string id, got {describe(annotation_id)}"
            )
            return False
        if annotation_id in seen:
            self._bad(
                index,
                ".id",
                f"expected a unique id, {annotation_id!r} is also "
                f"annotations[{seen[annotation_id]}]",
            )
            return False
        seen[annotation_id] = index
        return True

    def _box(
        self, index: int, bbox: Any, bounds: _Bounds | None, ok: bool
    ) -> tuple[Box | None, bool]:
        """An annotation's ``bbox`` (``None`` or ``[]`` for none), checked against its
        image's ``bounds`` when the image is known: ``(box, valid)``; the box is built only
        when the rest of the annotation is ``ok`` so far."""
        if bbox is None or bbox == []:
            return None, True
        if type(bbox) is not list or len(bbox) != 4 or not _NUMBERS.issuperset(map(type, bbox)):
            self._bad(
                index, ".bbox", f"expected [x, y, width, height], 4 numbers, got {describe(bbox)}"
            )
            return None, False
        if not math.isfinite(sum(bbox)):
            self._bad(index, ".bbox", f"expected finite numbers, got {describe(bbox)}")
            return None, False
        x, y, w, h = bbox
        if w < 0 or h < 0:
            self._bad(index, ".bbox", f"expected a width and height >= 0, got {describe(bbox)}")
            return None, False
        if bounds is not None and bounds.box_outside(x, y, w, h):
            self._bad(
                index,
                ".bbox",
                f"expected a box inside the {bounds.width}x{bounds.height} image, "
                f"got {describe(bbox)}",
            )
            return None, False
        return (Box(x, y, w, h) if ok else None), True

    def _segmentation(
        self, index: int, segmentation: Any, bounds: _Bounds | None
    ) -> tuple[list[Ring], Mask | None, bool]:
        """An annotation's ``segmentation``: polygon rings (each checked against the image
        when it is known), an RLE mask, or none (``None`` or ``[]``): ``(rings, mask,
        valid)``."""
        if segmentation is None or segmentation == []:
            return [], None, True
        if type(segmentation) is dict:
            width, height = (bounds.width, bounds.height) if bounds is not None else (0, 0)
            field = f"annotations[{index}].segmentation"
            mask = self._mask(segmentation, field, width, height)
            return [], mask, mask is not None
        if type(segmentation) is not list:
            self._bad(
                index,
                ".segmentation",
                "expected a list of polygons or an RLE object {size, counts}",
            )
            return [], None, False
        rings: list[Ring] = []
        ok = True
        for ring_index, ring in enumerate(segmentation):
            problem = None
            if type(ring) is not list or not _NUMBERS.issuperset(map(type, ring)):
                problem = "expected a list of numbers [x1, y1, x2, y2, ...]"
            elif len(ring) % 2:
                problem = f"expected an even number of coordinates, got {len(ring)}"
            elif len(ring) < 6:
                problem = f"expected at least 3 points (6 numbers), got {len(ring)} numbers"
            elif not math.isfinite(sum(ring)):
                problem = "expected finite numbers"
            else:
                xs, ys = ring[0::2], ring[1::2]
                if bounds is not None and bounds.ring_outside(xs, ys):
                    problem = f"expected points inside the {bounds.width}x{bounds.height} image"
                else:
                    rings.append(tuple(zip(xs, ys, strict=True)))
            if problem is not None:
                self._bad(index, f".segmentation[{ring_index}]", problem)
                ok = False
        return rings, None, ok

    def _attributes(self, index: int, annotation: dict[str, Any]) -> _Attributes | None:
        """An annotation's ``area``, ``iscrowd``, ``score``, ``qa`` and other keys (its
        ``extra``), each checked; ``None`` when one is not valid."""
        ok = True
        area = annotation.get("area")
        if area is not None and (not is_number(area) or area < 0):
            self._bad(index, ".area", f"expected a number >= 0, got {describe(area)}")
            ok = False
        iscrowd = annotation.get("iscrowd", 0)
        if iscrowd not in (0, 1):  # 0, 1, False, True
            self._bad(index, ".iscrowd", f"expected 0 or 1, got {describe(iscrowd)}")
            ok = False
        score = annotation.get("score")
        if score is not None and not is_number(score):
            self._bad(index, ".score", f"expected a number, got {describe(score)}")
            ok = False
        qa: tuple[QA, ...] = ()
        raw_qa = annotation.get("qa")
        if raw_qa is not None:
            before = len(self.problems)
            qa = parse_qa(raw_qa, field=f"annotations[{index}].qa", problems=self.problems)
            ok = ok and len(self.problems) == before
        extra: dict[str, Any] = {}
        if not annotation.keys() <= _ANNOTATION_KEYS:
            extra = {key: value for key, value in annotation.items() if key not in _ANNOTATION_KEYS}
            ok = (
                check_opaque(
                    extra,
                    field=f"annotations[{index}]",
                    problems=self.problems,
                    max_depth=self.limits.max_depth,
                )
                and ok
            )
        return _Attributes(area, bool(iscrowd), score, qa, extra) if ok else None

    def _object(
        self,
        label: str,
        box: Box | None,
        rings: list[Ring],
        mask: Mask | None,
        attributes: _Attributes,
    ) -> Obj:
        """The object of a valid annotation: a mask if it has one, else a polygon if it has
        rings, else a rectangle if it has a box, else a classification; with
        ``rectangle=True``, a polygon or mask becomes its box (else its extent)."""
        kind: ObjectKind
        if mask is not None:
            kind = "mask"
        elif rings:
            kind = "polygon"
        elif box is not None:
            kind = "rectangle"
        else:
            kind = "classification"
        if self.rectangle and kind in ("polygon", "mask"):
            if box is None:
                box = Box.enclosing(rings) if mask is None else mask.bbox()
            kind, rings, mask = "rectangle", [], None
        return Obj(
            label=label,
            kind=kind,
            box=box,
            polygons=tuple(rings),
            mask=mask,
            iscrowd=attributes.iscrowd,
            area=attributes.area,
            score=attributes.score,
            qa=attributes.qa,
            extra=attributes.extra,
        )

    def _mask(self, rle: dict[str, Any], field: str, width: int, height: int) -> Mask | None:
        size: Any = rle.get("size")
        counts: Any = rle.get("counts")
        if type(size) is not list or len(size) != 2:
            self.problems.add(
                f"expected size [height, width], got {describe(size)}", field=f"{field}.size"
            )
            return None
        problem = mask_problem(size[0], size[1], counts)
        if problem is not None:
            self.problems.add(problem, field=field)
            return None
        if width > 0 and height > 0 and size != [height, width]:
            self.problems.add(
                f"expected the image size [{height}, {width}], got {describe(size)}",
                field=f"{field}.size",
            )
            return None
        return Mask.from_coco(rle)


# --------------------------------------------------------------------------------------
# Export


def _category_records(labels: Sequence[LabelSpec], originals: Any) -> list[dict[str, Any]]:
    """COCO categories for ``labels``: original records (and ids) where known, else new ids."""
    by_name: dict[str, Mapping[str, Any]] = {}
    if isinstance(originals, list):
        for category in originals:
            if (
                isinstance(category, Mapping)
                and isinstance(category.get("name"), str)
                and type(category.get("id")) is int
            ):
                by_name.setdefault(category["name"], category)
    records: list[dict[str, Any] | None] = []
    used: set[int] = set()
    for label in labels:
        original = by_name.get(label.name)
        if original is not None and original["id"] not in used:
            used.add(original["id"])
            records.append({"supercategory": "", **original})
        else:
            records.append(None)
    next_id = max(used, default=0) + 1
    out: list[dict[str, Any]] = []
    for label, record in zip(labels, records, strict=True):
        if record is None:
            record = {"id": next_id, "name": label.name, "supercategory": ""}
            next_id += 1
        out.append(record)
    return out


class _Part:
    """One annotation file of an export being written: its images and annotations spooled
    to temporary files (opened by the first write), and the ids given so far."""

    __slots__ = ("annotation_count", "annotations", "image_count", "images")

    def __init__(self) -> None:
        self.images: IO[bytes] = tempfile.TemporaryFile()
        self.annotations: IO[bytes] = tempfile.TemporaryFile()
        self.image_count = 0
        self.annotation_count = 0

    def close(self) -> None:
        self.images.close()
        self.annotations.close()


class CocoExporter(Exporter):
    """Writes ``annotations/instances_<split>.json`` per split (``instances_default.json``
    for the images without one), as Datumaro and CVAT look for them; images go to
    ``images/<file_name>``, or ``images/<split>/<file_name>`` when the export has splits.

    Images and annotations are spooled to temporary files as they come and joined into the
    JSON files by ``close()``, so memory does not grow with the dataset.  In each file,
    image ids are 1..N and annotation ids 1..M in write order; category ids are the original
    COCO ids kept in ``info["coco"]["categories"]`` (matched by name), else 1..N in label
    order, and every file has every category.
    """

    format = "COCO"

    def __init__(
        self,
        sink: Sink,
        labels: Sequence[LabelSpec],
        *,
        info: Mapping[str, Any] | None = None,
        splits: Iterable[str | None] | None = None,
    ) -> None:
        super().__init__(sink, labels, info=info, splits=splits)
        coco = self.info.get("coco")
        coco = coco if isinstance(coco, Mapping) else {}
        self._categories = _category_records(self.labels, coco.get("categories"))
        self._category_ids = {record["name"]: record["id"] for record in self._categories}
        self._head = {
            "info": coco.get("info", {"description": "exported by pixlake"}),
            "licenses": coco.get("licenses", []),
        }
        self._tail = {
            key: value
            for key, value in coco.items()
            if key not in self._head and key not in _CONTENT_KEYS
        }
        self._parts: dict[str | None, _Part] = {}

    def image_path(self, file_name: str, split: str | None = None) -> str:
        folder = self.folder_of(split)
        return f"{IMAGES_DIR}/{folder}/{file_name}" if folder else f"{IMAGES_DIR}/{file_name}"

    def _part(self, split: str | None) -> _Part:
        part = self._parts.get(split)
        if part is None:
            part = self._parts[split] = _Part()
        return part

    def _write(self, image: AnnotatedImage) -> None:
        part = self._part(image.split)
        image_id = self._write_image(part, image)
        first = part.annotation_count + 1
        self._write_annotations(
            part,
            [
                self._annotation(obj, image_id, annotation_id)
                for annotation_id, obj in enumerate(image.objects, start=first)
            ],
        )

    def write_compact(self, image: AnnotatedImage, objects: Sequence[CompactObject]) -> None:
        """See :meth:`Exporter.write_compact`: the objects that COCO holds as they are stored
        (a box with its area, polygon rings with their box and area, a crowd flag) are written
        without being rebuilt; the others are rebuilt as :meth:`write` would."""
        self._check_writable(image.file_name, [label for _kind, label, _data in objects])
        part = self._part(image.split)
        image_id = self._write_image(part, image)
        first = part.annotation_count + 1
        self._write_annotations(
            part,
            [
                self._compact_annotation(kind, label, data, image_id, annotation_id)
                for annotation_id, (kind, label, data) in enumerate(objects, start=first)
            ],
        )

    def _write_image(self, part: _Part, image: AnnotatedImage) -> int:
        """Spool the image's record; its id."""
        part.image_count += 1
        image_id = part.image_count
        record: dict[str, Any] = {
            "id": image_id,
            "file_name": image.file_name,
            "width": image.width,
            "height": image.height,
        }
        if image.qa:
            record["qa"] = [qa_to_wire(qa) for qa in image.qa]
        for key, value in image.extra.items():
            record.setdefault(key, value)
        if image_id > 1:
            part.images.write(b",")
        part.images.write(json_bytes(record))
        return image_id

    def _write_annotations(self, part: _Part, records: list[dict[str, Any]]) -> None:
        """Spool the records of one image's objects (numbered from the next annotation id)."""
        if not records:
            return
        if part.annotation_count:
            part.annotations.write(b",")
        part.annotation_count += len(records)
        # One encoding for the image's annotations: a compact list's text is its items' texts
        # joined by commas, within brackets.
        part.annotations.write(json_bytes(records)[1:-1])

    def _compact_annotation(
        self, kind: str, label: str, data: Mapping[str, Any], image_id: int, annotation_id: int
    ) -> dict[str, Any]:
        """The record :meth:`_annotation` makes of ``from_compact(kind, label, data)``."""
        box = data.get("box")
        if (
            box is None
            or not data.keys() <= PLAIN_KEYS
            or ("area" not in data and kind != "rectangle")  # a polygon's area is its rings'
        ):
            return self._annotation(from_compact(kind, label, data), image_id, annotation_id)
        return {
            "id": annotation_id,
            "image_id": image_id,
            "category_id": self._category_ids[label],
            "bbox": box,
            "area": data["area"] if "area" in data else box[2] * box[3],
            "segmentation": data.get("rings", []),  # stored flat, as COCO writes them
            "iscrowd": int(data.get("iscrowd", False)),
        }

    def _annotation(self, obj: Obj, image_id: int, annotation_id: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": annotation_id,
            "image_id": image_id,
            "category_id": self._category_ids[obj.label],
        }
        box = obj.extent()
        if box is not None:
            segmentation: Any = []
            area = obj.area
            if obj.polygons:
                segmentation = [list(itertools.chain.from_iterable(r)) for r in obj.polygons]
                if area is None:
                    area = sum(ring_area(ring) for ring in obj.polygons)
            elif obj.mask is not None:
                segmentation = obj.mask.to_coco()
                if area is None:
                    area = obj.mask.area()
            elif area is None:
                area = box.area
            out["bbox"] = [box.x, box.y, box.w, box.h]
            out["area"] = area
            out["segmentation"] = segmentation
        out["iscrowd"] = int(obj.iscrowd)
        if obj.score is not None:
            out["score"] = obj.score
        if obj.qa:
            out["qa"] = [qa_to_wire(qa) for qa in obj.qa]
        for key, value in obj.extra.items():
            out.setdefault(key, value)
        return out

    def _finish(self) -> None:
        if not self._parts:  # an empty export still has its (empty) file
            self._parts[None] = _Part()
        for split, part in sorted(self._parts.items(), key=lambda item: item[0] or ""):
            with self.sink.open(instances_file(self.folder_of(split))) as out:
                out.write(b'{"info":' + json_bytes(self._head["info"]))
                out.write(b',"licenses":' + json_bytes(self._head["licenses"]))
                out.write(b',"images":[')
                for spool, closing in (
                    (part.images, b'],"annotations":['),
                    (part.annotations, b"]"),
                ):
                    spool.seek(0)
                    shutil.copyfileobj(spool, out)
                    out.write(closing)
                out.write(b',"categories":' + json_bytes(self._categories))
                for key, value in self._tail.items():
                    out.write(b"," + json_bytes(key) + b":" + json_bytes(value))
                out.write(b"}")

    def _release(self) -> None:
        for part in self._parts.values():
            part.close()


#: COCO files up to this size are read whole (the fastest way: about ten times the file's
#: size in memory); larger ones as a stream, their objects spooled to disk (memory flat).
WHOLE_BYTES: Final = 32 * 1024 * 1024


def read_options(path: Path) -> dict[str, Any]:
    """What :func:`read_coco` is best given for ``path`` beyond the reader protocol: a
    stream (``spool=True``) when its files come to more than :data:`WHOLE_BYTES`."""
    files = sorted(path.rglob("instances_*.json")) if path.is_dir() else [path]
    return {"spool": sum(file.stat().st_size for file in files) > WHOLE_BYTES}


#: COCO in the registry.
FORMAT: Final = FormatDescriptor(
    name="COCO",
    aliases=("coco",),
    reader=read_coco,
    exporter=CocoExporter,
    input="file or folder",
    input_text="a JSON file, or a folder of annotations/instances_<split>.json files",
    progress_unit="bytes",
    read_options=read_options,
)
