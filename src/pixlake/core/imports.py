"""Dataset imports, run as a job: one document in, one transaction out.

The client parses and validates its COCO, PASCAL-VOC or PICSELLIA input, uploads the pictures,
then sends the annotations as one *import document* (a blob, so it is uploaded once and
resumably, whatever its size)::

    {"format": "pixlake-import/2",
     "labels": [{"name": ..., "type": "rectangle" | "polygon" | "classification", "extra": {...}}],
     "pictures": ["<picture id>", ...],            # the pictures of the new version
     "images": [{"external_url": ..., "objects": [<compact objects>], "image_qa": [...],
                 "status": ..., "split": ..., "nb_instances": ..., "duration": ...,
                 "extra": {...}}]}

Objects are in pixlake's compact form (``pixlake.formats.compact``); documents of the first
format, ``pixlake-import/1``, whose objects are in the SDK contract's wire shape, are still
accepted.

The server validates the document again (it trusts no client), then creates the dataset and
its version (or, in annotations-only mode, finds an existing version), links the pictures,
creates the labels and writes every annotation in **one transaction**: a bad document changes
nothing.

Two ways through, one outcome
=============================

*Streamed* (the documents the SDK writes: ``format``, ``labels`` and ``pictures`` before
``images``, every key once, valid JSON, no problem anywhere): the images are read from the
blob a piece at a time and validated, each batch reduced to plain rows
(``datasets.prepare_annotation``; an image whose objects are all plain, as a COCO import's
are, straight from the document: ``_compact.plain_object``), kept in memory up to
``MEMORY_OBJECTS`` objects and spooled to a temporary file past that; only then does the
transaction start, and it writes the prepared batches.  Memory stays bounded whatever the
size of the import, and the write lock is held only for the writes.

*Whole* (everything else): the document is loaded whole, every problem of it collected and
reported, then written.  The streamed way hands over to it as soon as anything is unusual (a
problem, invalid JSON, another layout) and before it has written anything, so errors are
always exactly the whole way's.  Problems found against the database (an existing name,
unknown pictures or labels, objects outside their picture) come from the same functions in
the same order either way, and roll the transaction back.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import tempfile
import uuid
from collections.abc import Iterator
from typing import IO, Any

from pixlake import _json as fast_json
from pixlake.core import blobs, datasets, thumbnails
from pixlake.core.datasets import (
    AnnotationInput,
    AnnotationWriter,
    PreparedAnnotation,
    PreparedObject,
    dump_shape,
    parse_image_qa,
    parse_objects,
    prepare_annotation,
)
from pixlake.entities.datasets import DatasetVersion
from pixlake.errors import InvalidInputError
from pixlake.formats import plain_object
from pixlake.jobs import JobContext
from pixlake.jsonstream import JsonStream, NotStreamable
from pixlake.problems import Problems
from pixlake.schemas.datasets import IMPORT_DOCUMENT_FORMAT
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = ["DOCUMENT_FORMAT", "KIND", "run_import"]

KIND = "dataset_import"
DOCUMENT_FORMAT = IMPORT_DOCUMENT_FORMAT
#: The document formats read, and whether their objects are in the compact form.
DOCUMENT_FORMATS = {"pixlake-import/1": False, DOCUMENT_FORMAT: True}
#: The largest import document read into memory.
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024 * 1024
#: Bytes read from the document blob at a time (streamed way).
READ_BYTES = 1024 * 1024
#: Images validated, spooled and written together (streamed way).
BATCH = 1000
#: Prepared objects kept in memory (about 500 bytes each) before they go to a spool file.
MEMORY_OBJECTS = 100_000


def _load(ctx: JobContext, digest: str) -> dict[str, Any]:
    entity, stream = blobs.open_blob(
        ctx.db, ctx.store, ctx.caller, ctx.organization_id, digest=digest
    )
    if entity.size > MAX_DOCUMENT_BYTES:
        stream.close()
        raise InvalidInputError(f"the import document is over {MAX_DOCUMENT_BYTES} bytes")
    with stream:
        try:
            document = fast_json.loads(stream.read())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInputError(f"the import document is not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") not in DOCUMENT_FORMATS:
        raise InvalidInputError(
            "not a pixlake import document",
            details=[{"field": "format", "message": f"expected one of {sorted(DOCUMENT_FORMATS)}"}],
        )
    return document


def _parse_labels(
    raw: Any, problems: Problems
) -> tuple[list[tuple[str, str]], dict[str, dict[str, Any]]]:
    labels: list[tuple[str, str]] = []
    extras: dict[str, dict[str, Any]] = {}
    for i, label in enumerate(raw or []):
        if not isinstance(label, dict):
            problems.add("expected {name, type}", field=f"labels[{i}]")
            continue
        labels.append((str(label.get("name", "")), str(label.get("type", ""))))
        if isinstance(label.get("extra"), dict):
            extras[str(label.get("name"))] = label["extra"]
    return labels, extras


def _parse_pictures(raw: Any, problems: Problems) -> list[uuid.UUID]:
    pictures: list[uuid.UUID] = []
    for i, value in enumerate(raw or []):
        try:
            pictures.append(uuid.UUID(str(value)))
        except ValueError:
            problems.add("expected a picture id", field=f"pictures[{i}]")
    return pictures


def _parse_image(i: int, image: Any, problems: Problems, compact: bool) -> AnnotationInput | None:
    where = f"images[{i}]"
    if not isinstance(image, dict) or not isinstance(image.get("external_url"), str):
        problems.add("expected {external_url, objects}", field=where)
        return None
    objects = parse_objects(
        image.get("objects", []), field=f"{where}.objects", problems=problems, compact=compact
    )
    qa = parse_image_qa(image.get("image_qa"), field=f"{where}.image_qa", problems=problems)
    return AnnotationInput(
        external_url=image["external_url"],
        objects=objects,
        image_qa=qa,
        status=image.get("status"),
        nb_instances=image.get("nb_instances"),
        duration=image.get("duration"),
        extra=image.get("extra") or None,
        split=image.get("split"),
    )


def _prepare_plain(image: Any) -> PreparedAnnotation | None:
    """What ``prepare_annotation(_parse_image(...))`` gives of an image whose objects are all
    plain (``plain_object``: a COCO import's), and that has no Q&A; ``None`` for any other,
    which must take that way (it names the problems)."""
    if type(image) is not dict or type(image.get("external_url")) is not str:
        return None
    raw, qa, extra = image.get("objects", []), image.get("image_qa"), image.get("extra")
    if (
        type(raw) is not list
        or qa not in (None, [])
        or (extra is not None and type(extra) is not dict)
    ):
        return None
    objects = []
    for data in raw:
        plain = plain_object(data)
        if plain is None:
            return None
        kind, label, box, stored = plain
        objects.append(
            PreparedObject(label, kind, (box[0], box[1], box[2], box[3]), dump_shape(stored))
        )
    return PreparedAnnotation(
        image["external_url"],
        image.get("status"),
        None,
        image.get("nb_instances"),
        image.get("duration"),
        dict(extra) if extra else None,
        image.get("split"),
        tuple(objects),
    )


def _parse(
    ctx: JobContext, document: dict[str, Any]
) -> tuple[
    list[tuple[str, str]], dict[str, dict[str, Any]], list[uuid.UUID], list[AnnotationInput]
]:
    problems = Problems(file="import document")
    labels, extras = _parse_labels(document.get("labels"), problems)
    pictures = _parse_pictures(document.get("pictures"), problems)
    images = document.get("images") or []
    if not isinstance(images, list):
        problems.add("expected a list", field="images")
        images = []
    items: list[AnnotationInput] = []
    total = len(images)
    compact = DOCUMENT_FORMATS[document["format"]]
    for i, image in enumerate(images):
        item = _parse_image(i, image, problems, compact)
        if item is not None:
            items.append(item)
        if i % 1000 == 0:
            ctx.progress(i, total, "validating annotations")
        if problems.full:
            break
    problems.raise_if_any("import document")
    return labels, extras, pictures, items


def _run_whole(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """The reference way: load the document whole, report every problem, write."""
    document = _load(ctx, params["document"])
    labels, extras, pictures, items = _parse(ctx, document)
    ctx.progress(len(items), len(items), "writing", force=True)
    info = document.get("info")
    with ctx.db.transaction() as tx:
        target = _start(tx, ctx, params, pictures, labels, extras, info)
        nb_objects = datasets.write_annotations(
            tx,
            ctx.caller,
            ctx.organization_id,
            version_pk=target.version_pk,
            items=items,
            field_prefix="images",
        )
        entity = target.entity()
    return _result(entity, len(items), nb_objects)


def _start(
    tx: UnitOfWork,
    ctx: JobContext,
    params: dict[str, Any],
    pictures: list[uuid.UUID],
    labels: list[tuple[str, str]],
    extras: dict[str, dict[str, Any]],
    info: Any,
) -> datasets.ImportTarget:
    """The version the job writes to, from the job's parameters (see ``start_import``)."""
    return datasets.start_import(
        tx,
        ctx.caller,
        ctx.organization_id,
        version_id=uuid.UUID(params["version_id"]) if params.get("version_id") else None,
        name=params.get("name", ""),
        version=params.get("version") or "first",
        description=params.get("description", ""),
        private=params.get("private", True),
        pictures=pictures,
        labels=labels,
        label_extras=extras,
        info=info if isinstance(info, dict) else None,
    )


def _result(entity: DatasetVersion, nb_items: int, nb_objects: int) -> dict[str, Any]:
    return {
        "dataset_id": str(entity.id),
        "dataset_name": entity.name,
        "version": entity.version,
        "nb_annotations": nb_items,
        "nb_objects": nb_objects,
    }


# --------------------------------------------------------------------------- streamed


class _Prepared:
    """The validated batches of an import, in order: kept in memory up to ``MEMORY_OBJECTS``
    objects, then all of them spooled to a temporary file, so that memory stays bounded
    whatever the size of the import and small imports skip the spool's round trip."""

    def __init__(self) -> None:
        self._batches: list[list[PreparedAnnotation]] = []
        self._objects = 0
        self._spool: IO[bytes] | None = None

    def add(self, batch: list[PreparedAnnotation]) -> None:
        if self._spool is not None:
            _spool(batch, self._spool)
            return
        self._batches.append(batch)
        self._objects += sum(len(a.objects) for a in batch)
        if self._objects > MEMORY_OBJECTS:
            self._spool = tempfile.TemporaryFile(prefix="pixlake-import-")
            for held in self._batches:
                _spool(held, self._spool)
            self._batches = []

    def __iter__(self) -> Iterator[list[PreparedAnnotation]]:
        if self._spool is None:
            yield from self._batches
        else:
            yield from _spooled(self._spool)

    def close(self) -> None:
        self._batches = []
        if self._spool is not None:
            self._spool.close()


def _prepare_images(
    ctx: JobContext, reader: JsonStream, prepared: _Prepared, expected: int, compact: bool
) -> int:
    """Read, validate and prepare the ``images`` array, a batch at a time, into ``prepared``;
    returns the number of images."""
    problems = Problems(file="import document")
    batch: list[PreparedAnnotation] = []
    count = 0
    for value in reader.items():
        annotation = _prepare_plain(value) if compact else None
        if annotation is None:
            item = _parse_image(count, value, problems, compact)
            if item is None or problems:
                raise NotStreamable
            annotation = prepare_annotation(item)
        batch.append(annotation)
        count += 1
        if len(batch) >= BATCH:
            prepared.add(batch)
            batch = []
            ctx.progress(count, max(count, expected), "validating annotations")
    if batch:
        prepared.add(batch)
    return count


def _spool(batch: list[PreparedAnnotation], spool: IO[bytes]) -> None:
    """Append a batch to the spool, as plain tuples (``marshal`` writes and reads those
    many times faster than ``pickle`` does named tuples)."""
    marshal.dump([(*a[:-1], tuple(tuple(o) for o in a.objects)) for a in batch], spool)


def _spooled(spool: IO[bytes]) -> Iterator[list[PreparedAnnotation]]:
    """The spooled batches, in order."""
    spool.seek(0)
    while True:
        try:
            batch = marshal.load(spool)
        except EOFError:
            return
        yield [
            PreparedAnnotation._make((*a[:-1], tuple(PreparedObject._make(o) for o in a[-1])))
            for a in batch
        ]


#: Keys the streamed way needs before ``images``.
_HEAD = frozenset({"format", "labels", "pictures"})


def _run_streamed(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """The streamed way (see the module documentation); ``NotStreamable`` before any write when
    the document needs the whole way."""
    entity, stream = blobs.open_blob(
        ctx.db, ctx.store, ctx.caller, ctx.organization_id, digest=params["document"]
    )
    prepared = _Prepared()
    with stream, contextlib.closing(prepared):
        if entity.size > MAX_DOCUMENT_BYTES:
            raise NotStreamable
        reader = JsonStream(stream, read_bytes=READ_BYTES)
        head: dict[str, Any] = {}
        nb_items: int | None = None
        for key in reader.keys():
            if key != "images":
                head[key] = reader.value()
                continue
            if not _HEAD <= head.keys() or head["format"] not in DOCUMENT_FORMATS:
                raise NotStreamable
            problems = Problems(file="import document")
            labels, extras = _parse_labels(head["labels"], problems)
            pictures = _parse_pictures(head["pictures"], problems)
            if problems:
                raise NotStreamable
            compact = DOCUMENT_FORMATS[head["format"]]
            nb_items = _prepare_images(ctx, reader, prepared, len(pictures), compact)
        if nb_items is None or not reader.at_end():
            raise NotStreamable  # no images (the whole way is as quick), or more after the end
        info = head.get("info")
        ctx.progress(nb_items, nb_items, "writing", force=True)
        with ctx.db.transaction() as tx:
            target = _start(tx, ctx, params, pictures, labels, extras, info)
            writer = AnnotationWriter(
                tx,
                ctx.caller,
                ctx.organization_id,
                version_pk=target.version_pk,
                field_prefix="images",
            )
            for batch in prepared:
                found = writer.check(batch)
                if not writer.problems:
                    writer.write(batch, found)
            writer.raise_if_any()
            return _result(target.entity(), nb_items, writer.nb_objects)


def run_import(ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    """Create (or, with ``version_id``, annotate) a dataset version from an import document."""
    try:
        result = _run_streamed(ctx, params)
    except NotStreamable:
        result = _run_whole(ctx, params)
    if ctx.runner is not None:  # the new pictures' thumbnails, made ahead for the web UI
        thumbnails.request_thumbnails(ctx.db, ctx.runner, ctx.caller, ctx.organization_id)
    return result
