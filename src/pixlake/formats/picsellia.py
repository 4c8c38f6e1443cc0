"""PICSELLIA JSON: annotation records whose objects are in the SDK contract's wire shape.

The file is ``{"annotations": [record, ...]}``; a record is
``{external_picture_url, nb_labels, time_spent, annotations: [object, ...]}`` (upstream), to
which pixlake adds ``width``, ``height``, ``status``, ``image_qa`` and a top-level ``labels``
list (``[{name, type}]``) so that a round trip keeps labels without objects.  Records as
``Dataset.get_annotations`` returns them (``nb_instances``, ``duration``) are read too.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Final

from pixlake.memory import gc_paused
from pixlake.names import file_name_problem
from pixlake.problems import Problems, describe

from ._io import ImageSizes, check_opaque, is_number, json_bytes, load_json, report_read_whole
from .model import (
    DEFAULT_LIMITS,
    LABEL_KINDS,
    AnnotatedImage,
    Annotations,
    LabelSpec,
    Limits,
    Obj,
    first_kind,
    label_specs,
)
from .protocols import Exporter, FormatDescriptor, ReadProgress, SizeLookup, StrPath
from .sinks import Sink
from .wire import parse_qa, parse_wire_object, qa_to_wire, to_wire

__all__ = [
    "FORMAT",
    "ANNOTATIONS_PATH",
    "PicselliaExporter",
    "image_to_record",
    "parse_picsellia",
    "read_picsellia",
]

#: Where :class:`PicselliaExporter` writes the annotation file inside its sink.
ANNOTATIONS_PATH: Final = "annotations.json"

_RECORD_KEYS: Final = frozenset(
    {
        "external_picture_url",
        "annotations",
        "nb_labels",
        "nb_instances",
        "time_spent",
        "duration",
        "status",
        "image_qa",
        "width",
        "height",
    }
)


def read_picsellia(
    path: StrPath,
    /,
    *,
    rectangle: bool = False,
    images: StrPath | None = None,
    image_size: SizeLookup | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: ReadProgress | None = None,
) -> Annotations:
    """Read and validate a PICSELLIA JSON file.

    Image sizes absent from the file stay 0 (unknown) unless ``image_size`` or the
    ``images`` folder gives them; known sizes bound the geometry.  ``rectangle=True`` turns
    polygons and masks into rectangles.  Raises ``InvalidInputError`` listing every problem
    (file, JSON path, expectation), or ``PayloadTooLargeError`` past
    ``limits.max_json_bytes``.
    """
    path = Path(path)
    with gc_paused():
        data = load_json(path, limit=limits.max_json_bytes, display=path.name)
        result = parse_picsellia(
            data,
            file=path.name,
            rectangle=rectangle,
            images=images,
            image_size=image_size,
            limits=limits,
        )
        report_read_whole(path, progress)
        return result


def parse_picsellia(
    data: Any,
    *,
    file: str = "<picsellia>",
    rectangle: bool = False,
    images: StrPath | None = None,
    image_size: SizeLookup | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Annotations:
    """Validate and convert an already parsed PICSELLIA document (see :func:`read_picsellia`)."""
    problems = Problems(file=file, limit=limits.max_problems)
    sizes = ImageSizes(folder=Path(images) if images is not None else None, lookup=image_size)
    if type(data) is not dict or type(data.get("annotations")) is not list:
        problems.add("expected a JSON object {annotations: [...]}", field="annotations")
        problems.raise_if_any(f"PICSELLIA file {file}")
    declared = _declared_labels(data.get("labels"), problems)
    result: list[AnnotatedImage] = []
    seen: dict[str, int] = {}
    for index, record in enumerate(data["annotations"]):
        image = _record(record, f"annotations[{index}]", problems, sizes, limits, rectangle)
        if image is None:
            continue
        if image.file_name in seen:
            problems.add(
                f"expected a unique picture, {image.file_name!r} is also "
                f"annotations[{seen[image.file_name]}]",
                field=f"annotations[{index}].external_picture_url",
            )
        seen[image.file_name] = index
        result.append(image)
    objects = [obj for image in result for obj in image.objects]
    if declared is not None:
        known = {label.name for label in declared}
        for index, image in enumerate(result):
            for position, obj in enumerate(image.objects):
                if obj.label not in known:
                    problems.add(
                        f"expected a label declared in labels, got {obj.label!r}",
                        field=f"annotations[{index}].annotations[{position}].label",
                    )
        labels = [
            LabelSpec(label.name, "rectangle") if rectangle and label.kind == "polygon" else label
            for label in declared
        ]
    else:
        names = dict.fromkeys(obj.label for obj in objects)
        labels = label_specs(names, objects, default=first_kind(objects, "classification"))
    info = {key: value for key, value in data.items() if key not in ("annotations", "labels")}
    for key, value in info.items():
        check_opaque(value, field=key, problems=problems, max_depth=limits.max_depth)
    problems.raise_if_any(f"PICSELLIA file {file}")
    return Annotations(labels=labels, images=result, info={"picsellia": info} if info else {})


def _declared_labels(raw: Any, problems: Problems) -> list[LabelSpec] | None:
    if raw is None:
        return None
    if type(raw) is not list:
        problems.add("expected a list of {name, type}", field="labels")
        return None
    labels: list[LabelSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        name = item.get("name") if type(item) is dict else None
        kind = item.get("type") if type(item) is dict else None
        if not isinstance(name, str) or not name or name in seen:
            problems.add("expected a unique, non-empty name", field=f"labels[{index}].name")
        elif kind not in LABEL_KINDS:
            problems.add(
                f"expected a type among {', '.join(LABEL_KINDS)}, got {describe(kind)}",
                field=f"labels[{index}].type",
            )
        else:
            seen.add(name)
            labels.append(LabelSpec(name, kind))
    return labels


def _record(
    record: Any,
    here: str,
    problems: Problems,
    sizes: ImageSizes,
    limits: Limits,
    rectangle: bool,
) -> AnnotatedImage | None:
    if type(record) is not dict:
        problems.add("expected a record {external_picture_url, annotations, ...}", field=here)
        return None
    before = len(problems)
    name: Any = record.get("external_picture_url")
    problem = file_name_problem(name)
    if problem is not None:
        problems.add(problem, field=f"{here}.external_picture_url")
        name = None
    width, height = (_dimension(record, key, here, problems) for key in ("width", "height"))
    if name is not None and (width == 0 or height == 0) and sizes.available:
        size, problem = sizes.get(name)
        if size is None:
            problems.add(problem or "", field=f"{here}.external_picture_url")
        else:
            width, height = size
    extra: dict[str, Any] = {}
    for new, old in (("nb_instances", "nb_labels"), ("duration", "time_spent")):
        key = old if old in record else new
        if key in record:
            value = record[key]
            if not is_number(value) or value < 0:
                problems.add(
                    f"expected a number >= 0, got {describe(value)}", field=f"{here}.{key}"
                )
            extra[new] = value
    status = record.get("status")
    if status is not None and not isinstance(status, str):
        problems.add(f"expected a string, got {describe(status)}", field=f"{here}.status")
    qa = parse_qa(record.get("image_qa"), field=f"{here}.image_qa", problems=problems)
    for key in [key for key in record if key not in _RECORD_KEYS]:  # in the file's order
        extra[key] = record[key]
        check_opaque(
            record[key], field=f"{here}.{key}", problems=problems, max_depth=limits.max_depth
        )
    raw_objects = record.get("annotations", [])
    objects: list[Obj] = []
    if type(raw_objects) is not list:
        problems.add("expected a list of objects", field=f"{here}.annotations")
        raw_objects = []
    for index, raw in enumerate(raw_objects):
        obj = parse_wire_object(
            raw,
            field=f"{here}.annotations[{index}]",
            problems=problems,
            width=width,
            height=height,
            tolerance=limits.tolerance,
            max_depth=limits.max_depth,
        )
        if obj is not None:
            objects.append(_as_rectangle(obj) if rectangle else obj)
    if len(problems) > before or name is None:
        return None
    return AnnotatedImage(
        file_name=name,
        width=width,
        height=height,
        objects=tuple(objects),
        qa=qa,
        status=status,
        extra=extra,
    )


def _dimension(record: dict[str, Any], key: str, here: str, problems: Problems) -> int:
    value = record.get(key, 0)
    if type(value) is not int or value < 0:
        problems.add(
            f"expected an integer >= 0 (0: unknown), got {describe(value)}", field=f"{here}.{key}"
        )
        return 0
    return value


def _as_rectangle(obj: Obj) -> Obj:
    if obj.kind not in ("polygon", "mask"):
        return obj
    box = obj.extent()
    assert box is not None
    return Obj(
        label=obj.label,
        kind="rectangle",
        box=box,
        iscrowd=obj.iscrowd,
        area=obj.area,
        score=obj.score,
        qa=obj.qa,
        extra=obj.extra,
    )


# --------------------------------------------------------------------------------------
# Export


def image_to_record(image: AnnotatedImage) -> dict[str, Any]:
    """An image as a PICSELLIA annotation record (upstream keys first, then pixlake's)."""
    extra = dict(image.extra)
    record: dict[str, Any] = {
        "external_picture_url": image.file_name,
        "nb_labels": extra.pop("nb_instances", len(image.objects)),
        "time_spent": extra.pop("duration", 0),
        "annotations": [to_wire(obj) for obj in image.objects],
        "width": image.width,
        "height": image.height,
    }
    if image.status is not None:
        record["status"] = image.status
    if image.qa:
        record["image_qa"] = [qa_to_wire(qa) for qa in image.qa]
    for key, value in extra.items():
        record.setdefault(key, value)
    return record


class PicselliaExporter(Exporter):
    """Writes ``annotations.json``; images go to ``images/<file_name>``.

    Records are spooled to a temporary file and joined by ``close()``, so memory does not
    grow with the dataset.  Other top-level keys read from a PICSELLIA file
    (``info["picsellia"]``) are written back.
    """

    format = "PICSELLIA"

    def __init__(
        self,
        sink: Sink,
        labels: Sequence[LabelSpec],
        *,
        info: Mapping[str, Any] | None = None,
        splits: Iterable[str | None] | None = None,
    ) -> None:
        super().__init__(sink, labels, info=info, splits=splits)
        extra = self.info.get("picsellia")
        self._extra: Mapping[str, Any] = extra if isinstance(extra, Mapping) else {}
        self._spool: IO[bytes] | None = None  # a temporary file, opened by the first write
        self._count = 0

    def _write(self, image: AnnotatedImage) -> None:
        if self._spool is None:
            self._spool = tempfile.TemporaryFile()
        if self._count:
            self._spool.write(b",")
        self._spool.write(json_bytes(image_to_record(image)))
        self._count += 1

    def _finish(self) -> None:
        labels = [{"name": label.name, "type": label.kind} for label in self.labels]
        with self.sink.open(ANNOTATIONS_PATH) as out:
            out.write(b'{"labels":' + json_bytes(labels) + b',"annotations":[')
            if self._spool is not None:
                self._spool.seek(0)
                shutil.copyfileobj(self._spool, out)
            out.write(b"]")
            for key, value in self._extra.items():
                if key not in ("labels", "annotations"):
                    out.write(b"," + json_bytes(key) + b":" + json_bytes(value))
            out.write(b"}")

    def _release(self) -> None:
        if self._spool is not None:
            self._spool.close()


#: PICSELLIA in the registry: read, and written for files only (a version does not export
#: to it: the SDK contract exports to COCO, PASCAL-VOC and YOLO).
FORMAT: Final = FormatDescriptor(
    name="PICSELLIA",
    aliases=("picsellia",),
    reader=read_picsellia,
    exporter=PicselliaExporter,
    exports=False,
    input="file",
    input_text="one JSON file",
    progress_unit="bytes",
)
