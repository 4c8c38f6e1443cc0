"""Writing annotations: the bulk writer (validate a batch against the version, then write
it), the imports' first writes, and the use cases that set, review or delete annotations.

Annotations are validated as a whole before anything is written: every object's label must
exist in the version with a matching type, its geometry must lie inside its picture, and its
picture must belong to the version.  One call writes all or nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from pixlake import _json as fast_json
from pixlake._text import counted
from pixlake.clock import utcnow
from pixlake.core.accounts import require_organization
from pixlake.core.datasets._labels import ensure_labels
from pixlake.core.datasets._rules import (
    ACCEPTS,
    AnnotationInput,
    check_split,
    check_status,
    require_status,
)
from pixlake.core.datasets._versions import describe, link_pictures, new_dataset, version_by_id
from pixlake.entities.accounts import Caller
from pixlake.entities.datasets import DatasetVersion, StoredVersion
from pixlake.errors import InvalidInputError, ResourceNotFoundError
from pixlake.formats import qa_to_wire, to_compact
from pixlake.names import split_of
from pixlake.problems import Problems
from pixlake.store.db.engine import Database
from pixlake.store.db.repositories.annotations import NewAnnotation, NewShape
from pixlake.store.db.unit_of_work import UnitOfWork

__all__ = [
    "AnnotationWriter",
    "ImportTarget",
    "PreparedAnnotation",
    "PreparedObject",
    "annotate_picture",
    "delete_annotations",
    "dump_shape",
    "prepare_annotation",
    "set_annotations",
    "set_status",
    "start_import",
    "write_annotations",
]


class PreparedObject(NamedTuple):
    """An object reduced to what checking and writing it need."""

    label: str
    kind: str
    #: ``Obj.extent()`` as ``(x, y, w, h)``, or ``None`` (classification).
    extent: tuple[float, float, float, float] | None
    #: The object in the compact form less ``type`` and ``label``, as JSON text.
    data: str


class PreparedAnnotation(NamedTuple):
    """An ``AnnotationInput`` reduced to plain values (cheap to keep, spool or pickle)."""

    external_url: str
    status: str | None
    image_qa: list[dict[str, str]] | None
    nb_instances: int | None
    duration: float | None
    extra: dict[str, Any] | None
    split: str | None
    #: Last: the spool of an import keeps it apart (``pixlake.core.imports``).
    objects: tuple[PreparedObject, ...]


def prepare_annotation(item: AnnotationInput) -> PreparedAnnotation:
    """What ``AnnotationWriter`` needs of an annotation: its objects' labels, kinds,
    extents and stored data (serialized once, here)."""
    objects = []
    for obj in item.objects:
        data = to_compact(obj, typed=False)
        box = obj.extent()
        objects.append(
            PreparedObject(
                obj.label,
                obj.kind,
                None if box is None else (box.x, box.y, box.w, box.h),
                dump_shape(data),
            )
        )
    return PreparedAnnotation(
        item.external_url,
        item.status,
        [qa_to_wire(qa) for qa in item.image_qa] or None,
        item.nb_instances,
        item.duration,
        dict(item.extra) if item.extra else None,
        item.split,
        tuple(objects),
    )


#: How shape data is serialized (compact; its numbers are finite, checked when parsed).
dump_shape = fast_json.dumps


def _outside(box: tuple[float, float, float, float] | None, width: int, height: int) -> bool:
    """Whether an object's extent leaves its picture (by more than a pixel of rounding)."""
    return (
        box is not None
        and bool(width and height)
        and (
            box[0] < -1
            or box[1] < -1
            or box[0] + box[2] > width + 1
            or box[1] + box[3] > height + 1
        )
    )


class AnnotationWriter:
    """Validates then writes annotations inside the caller's transaction, a batch at a time.

    ``check(items)`` validates a batch against the version (labels, pictures, geometry,
    status, a picture annotated twice across every batch), recording problems with their
    position in the whole input; ``write(items, pictures)`` writes a batch that passed.  One
    writer over several batches gives the same rows as one call over their concatenation:
    the imports stream their document through it, a batch at a time, so memory does not
    grow with the size of the import.
    """

    def __init__(
        self,
        tx: UnitOfWork,
        caller: Caller,
        organization_id: uuid.UUID,
        *,
        version_pk: int,
        replace: bool = True,
        field_prefix: str = "annotations",
    ) -> None:
        self.tx = tx
        self.caller = caller
        self.organization_id = organization_id
        self.version_pk = version_pk
        self.replace = replace
        self.field_prefix = field_prefix
        self.problems = Problems()
        self.labels = tx.annotations.label_keys(version_pk)
        self._label_pks = {name: label.pk for name, label in self.labels.items()}
        self._seen: set[str] = set()
        self._checked = 0
        self.now = utcnow()
        self.nb_objects = 0

    def check(self, items: Sequence[PreparedAnnotation]) -> dict[str, tuple[int, int, int]]:
        """Validate a batch (recording problems); the batch's pictures by external URL."""
        names = list(dict.fromkeys(i.external_url for i in items))
        pictures = self.tx.datasets.pictures_named(self.organization_id, self.version_pk, names)
        start = self._checked
        self._checked += len(items)
        if self.problems.full:
            return pictures
        for i, item in enumerate(items, start):
            self._check_item(f"{self.field_prefix}[{i}]", item, pictures)
            if self.problems.full:
                break
        return pictures

    def _check_item(
        self,
        where: str,
        item: PreparedAnnotation,
        pictures: Mapping[str, tuple[int, int, int]],
    ) -> None:
        problems = self.problems
        if item.external_url in self._seen:
            problems.add(f"picture {item.external_url!r} is annotated twice", field=where)
        self._seen.add(item.external_url)
        picture = pictures.get(item.external_url)
        if picture is None:
            problems.add(
                f"picture {item.external_url!r} is not in this dataset version",
                field=f"{where}.external_url",
            )
            return
        check_status(item.status, f"{where}.status", problems)
        check_split(item.split, f"{where}.split", problems)
        _pk, width, height = picture
        for j, obj in enumerate(item.objects):
            label = self.labels.get(obj.label)
            if label is None:
                problems.add(
                    f"unknown label {obj.label!r}: create it first (create_labels)",
                    field=f"{where}.objects[{j}].label",
                )
            elif obj.kind not in ACCEPTS[label.type]:
                problems.add(
                    f"label {obj.label!r} is a {label.type} label: a {obj.kind} object "
                    "cannot use it",
                    field=f"{where}.objects[{j}].type",
                )
            if _outside(obj.extent, width, height):
                problems.add(
                    f"the object lies outside its {width}x{height} picture",
                    field=f"{where}.objects[{j}]",
                )

    def raise_if_any(self) -> None:
        if self.problems:
            raise InvalidInputError(
                f"{counted(len(self.problems), 'problem')} in the annotations; nothing was written",
                details=self.problems.details(),
            )

    def write(
        self, items: Sequence[PreparedAnnotation], pictures: Mapping[str, tuple[int, int, int]]
    ) -> int:
        """Write a batch that ``check`` passed; returns the number of objects written."""
        annotations = self.tx.annotations
        picture_pks = [pictures[i.external_url][0] for i in items]
        existing = annotations.keys(self.version_pk, picture_pks)
        self._write_annotations(items, picture_pks, existing)
        annotation_pks = annotations.keys(self.version_pk, picture_pks)
        offsets: dict[int, int] = {}
        if self.replace:
            annotations.delete_shapes([existing[p] for p in picture_pks if p in existing])
        else:
            offsets = annotations.last_positions(
                [annotation_pks[p] for p in picture_pks if p in existing]
            )
        label_pks = self._label_pks
        shapes: list[NewShape] = []
        for item, picture_pk in zip(items, picture_pks, strict=True):
            annotation_pk = annotation_pks[picture_pk]
            start = offsets.get(annotation_pk, -1) + 1
            for j, obj in enumerate(item.objects):
                shapes.append((annotation_pk, label_pks[obj.label], obj.kind, start + j, obj.data))
        annotations.add_shapes(shapes)
        self.nb_objects += len(shapes)
        return len(shapes)

    def _write_annotations(
        self,
        items: Sequence[PreparedAnnotation],
        picture_pks: Sequence[int],
        existing: Mapping[int, int],
    ) -> None:
        """Insert the annotations of pictures that have none, update the others'."""
        new: list[NewAnnotation] = [
            (
                picture_pk,
                item.status or "pending",
                split_of(item.split),
                item.image_qa,
                item.nb_instances,
                item.duration,
                item.extra,
            )
            for item, picture_pk in zip(items, picture_pks, strict=True)
            if picture_pk not in existing
        ]
        self.tx.annotations.add(self.version_pk, new, created_by=self.caller.user_id, now=self.now)
        for item, picture_pk in zip(items, picture_pks, strict=True):
            if picture_pk in existing:
                self.tx.annotations.change(existing[picture_pk], self._changes(item))

    def _changes(self, item: PreparedAnnotation) -> dict[str, Any]:
        """What writing ``item`` over an existing annotation changes."""
        values: dict[str, Any] = {"updated_at": self.now}
        if item.status is not None:
            values["status"] = item.status
        if item.split is not None:
            values["split"] = split_of(item.split)
        if item.image_qa is not None or self.replace:
            values["image_qa"] = item.image_qa
        if item.nb_instances is not None:
            values["nb_instances"] = item.nb_instances
        if item.duration is not None:
            values["duration"] = item.duration
        if item.extra:
            values["extra"] = item.extra
        return values


def write_annotations(
    tx: UnitOfWork,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_pk: int,
    items: Sequence[AnnotationInput],
    replace: bool = True,
    field_prefix: str = "annotations",
) -> int:
    """Validate then write annotations inside the caller's transaction; returns the number of
    objects written.  Raises one ``InvalidInputError`` listing every problem, writing nothing."""
    writer = AnnotationWriter(
        tx,
        caller,
        organization_id,
        version_pk=version_pk,
        replace=replace,
        field_prefix=field_prefix,
    )
    prepared = [prepare_annotation(item) for item in items]
    pictures = writer.check(prepared)
    writer.raise_if_any()
    return writer.write(prepared, pictures)


class ImportTarget:
    """The version an import writes to (see ``start_import``)."""

    def __init__(self, tx: UnitOfWork, version: StoredVersion) -> None:
        self.tx = tx
        self.version = version
        self._info = dict(version.info or {})

    @property
    def version_pk(self) -> int:
        return self.version.pk

    def add_info(self, info: Mapping[str, Any] | None) -> None:
        """Merge format-level ``info`` into the version's."""
        if info:
            self._info.update(info)
            self.tx.datasets.set_info(self.version.pk, self._info)

    def entity(self) -> DatasetVersion:
        return describe(self.tx, self.version)


def start_import(
    tx: UnitOfWork,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID | None,
    name: str,
    version: str,
    description: str,
    private: bool,
    pictures: Sequence[uuid.UUID],
    labels: Sequence[tuple[str, str]],
    label_extras: Mapping[str, Mapping[str, Any]],
    info: Mapping[str, Any] | None = None,
) -> ImportTarget:
    """An import's first writes, inside the caller's transaction: the new dataset (or the
    version ``version_id``), its info, pictures and labels.  The annotations follow with
    ``write_annotations`` or an ``AnnotationWriter`` on ``target.version_pk``."""
    require_organization(caller, organization_id, write=True)
    if version_id is not None:
        found = version_by_id(tx, organization_id, version_id)
    else:
        found = new_dataset(
            tx,
            caller,
            organization_id,
            name=name,
            version=version,
            description=description,
            private=private,
        )
    target = ImportTarget(tx, found)
    target.add_info(info)
    if pictures:
        link_pictures(tx, organization_id, version_pk=found.pk, picture_ids=pictures)
    ensure_labels(tx, found.pk, labels, label_extras)
    return target


# --------------------------------------------------------------------------- use cases


def set_annotations(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    items: Sequence[AnnotationInput],
    replace: bool = True,
) -> int:
    """Set (``replace``) or extend the annotations of pictures of a version, all or nothing."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        found = version_by_id(tx, organization_id, version_id)
        return write_annotations(
            tx, caller, organization_id, version_pk=found.pk, items=items, replace=replace
        )


def annotate_picture(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    item: AnnotationInput,
    replace: bool = True,
) -> int:
    """Set (``replace``) or extend one picture's annotation; returns the number of objects
    written.  A picture that is not in the version is not found (where a batch reports it
    among its problems): a caller naming one picture names a resource."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        found = version_by_id(tx, organization_id, version_id)
        if not tx.datasets.pictures_named(organization_id, found.pk, [item.external_url]):
            raise ResourceNotFoundError(
                f"no picture {item.external_url!r} in dataset {found.name}/{found.version}"
            )
        return write_annotations(
            tx, caller, organization_id, version_pk=found.pk, items=[item], replace=replace
        )


def set_status(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    external_urls: Sequence[str],
    status: str,
) -> int:
    """Set the review status of pictures' annotations; returns how many changed."""
    require_organization(caller, organization_id, write=True)
    require_status(status)
    with db.transaction() as tx:
        found = version_by_id(tx, organization_id, version_id)
        return tx.annotations.set_status(
            organization_id, found.pk, list(external_urls), status=status, now=utcnow()
        )


def delete_annotations(
    db: Database,
    caller: Caller,
    organization_id: uuid.UUID,
    *,
    version_id: uuid.UUID,
    picture_id: uuid.UUID | None = None,
) -> int:
    """Delete one picture's annotation, or (``picture_id=None``) all of the version's;
    returns how many were deleted.  A picture that is not in the version is not found,
    rather than a deletion of nothing that would read as done."""
    require_organization(caller, organization_id, write=True)
    with db.transaction() as tx:
        found = version_by_id(tx, organization_id, version_id)
        picture_pks = None
        if picture_id is not None:
            picture_pks = tx.pictures.keys(organization_id, [picture_id])
            if not picture_pks or not tx.datasets.holds_picture(found.pk, picture_pks[0]):
                raise ResourceNotFoundError(
                    f"no picture {picture_id} in dataset {found.name}/{found.version}"
                )
        return tx.annotations.delete(found.pk, picture_pks)
